package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/leak/leaktest"
)

// TestQueryShardsReportAsOne asks a study in three shards, chosen with
// --shard auto from a Slurm job array's environment, each into its own
// results file, and checks that the shards split the questions without
// overlap and that the report of the shards (as a glob, and after phantom
// query merge) is byte for byte the report of one unsharded run.
func TestQueryShardsReportAsOne(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, names := killFixture(t, 4) // 4 × 30 + 4 × 5 = 140 questions
	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		if strings.HasPrefix(q.Prompt, "Who") {
			return "This is " + names[string(q.Image)] + ".", nil
		}
		return "A grey square.", nil
	}, leaktest.WithDelay(time.Millisecond))
	defer srv.Close()
	tmp := t.TempDir()
	query := func(results string, env ...string) {
		t.Helper()
		args := []string{"query", "--variants", dir, "--url", srv.URL, "--model", "llava:7b", "--concurrency", "4", "--results", results}
		if len(env) > 0 {
			args = append(args, "--shard", "auto")
		}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
			defer os.Unsetenv(k)
		}
		if out, status := phantomCombined(t, args...); status != 0 {
			t.Fatalf("%v: status %d\n%s", args, status, out)
		}
	}
	whole := filepath.Join(tmp, "whole.jsonl")
	query(whole)
	var parts []string
	for i := range 3 {
		p := filepath.Join(tmp, "part-"+string(rune('0'+i))+".jsonl")
		query(p, "SLURM_ARRAY_TASK_ID="+string(rune('0'+i)), "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=2")
		parts = append(parts, p)
	}

	want, _ := keyCounts(t, whole)
	if len(want) != 140 {
		t.Fatalf("unsharded run: %d keys, want 140", len(want))
	}
	seen := make(map[string]int)
	for _, p := range parts {
		got, _ := keyCounts(t, p)
		if len(got) == 0 || len(got) == len(want) {
			t.Errorf("%s: %d of %d keys: not a part", p, len(got), len(want))
		}
		for k, n := range got {
			seen[k] += n
		}
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("key %s asked %d times over the shards, want once", k, seen[k])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the shards asked %d keys, the whole run %d", len(seen), len(want))
	}

	merged := filepath.Join(tmp, "merged.jsonl")
	if out, status := phantomCombined(t, "query", "merge", filepath.Join(tmp, "part-*.jsonl"), "-o", merged); status != 0 ||
		!strings.Contains(out, "3 files, 140 rows: 140 questions (140 ok, 0 failed)") {
		t.Fatalf("merge: status %d\n%s", status, out)
	}
	report := func(results ...string) string {
		t.Helper()
		out := t.TempDir()
		args := []string{"report", "--out", out}
		for _, r := range results {
			args = append(args, "--results", r)
		}
		if o, status := phantomCombined(t, args...); status != 0 {
			t.Fatalf("%v: status %d\n%s", args, status, o)
		}
		return out
	}
	ref := report(whole)
	for _, got := range []string{report(filepath.Join(tmp, "part-*.jsonl")), report(parts[2], parts[0]+","+parts[1]), report(merged)} {
		sameFiles(t, ref, got)
	}
}

// sameFiles checks that folders a and b hold the same files with the same
// bytes.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	ea, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, _ := os.ReadDir(b)
	if len(ea) != len(eb) || len(ea) == 0 {
		t.Errorf("%s has %d files, %s %d", a, len(ea), b, len(eb))
	}
	for _, e := range ea {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s (%v)", e.Name(), a, b, err)
		}
	}
}

// TestShardFlag checks, for each command that splits its work, that
// --shard's help names auto and the scheduler variables it reads, and that
// --shard auto outside a job array says so plainly instead of doing all
// the work or none.
func TestShardFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, _ := killFixture(t, 1)
	tests := []struct {
		cmd  []string
		args []string
	}{
		{[]string{"build"}, []string{dir, "-o", filepath.Join(t.TempDir(), "out")}},
		{[]string{"query"}, []string{"--variants", dir, "--model", "llava:7b", "--url", "http://127.0.0.1:1", "--results", filepath.Join(t.TempDir(), "r.jsonl")}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd[0], func(t *testing.T) {
			help, status := phantomCombined(t, append(tt.cmd, "--help")...)
			if status != 0 {
				t.Fatalf("--help: status %d\n%s", status, help)
			}
			for _, want := range []string{"--shard", "auto", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX", "PHANTOM_SHARD_COUNT"} {
				if !strings.Contains(help, want) {
					t.Errorf("%v --help lacks %q", tt.cmd, want)
				}
			}
			withoutScheduler(t)
			out, status := phantomCombined(t, append(append(tt.cmd, tt.args...), "--shard", "auto")...)
			if status == 0 || !strings.Contains(out, "--shard: shard: auto: no SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX") {
				t.Errorf("--shard auto outside a job array: status %d\n%s", status, out)
			}
			t.Setenv("SLURM_ARRAY_TASK_ID", "3")
			if out, status := phantomCombined(t, append(append(tt.cmd, tt.args...), "--shard", "auto")...); status == 0 || !strings.Contains(out, "SLURM_ARRAY_TASK_ID=3 is set but not SLURM_ARRAY_TASK_COUNT") {
				t.Errorf("--shard auto with a task id only: status %d\n%s", status, out)
			}
		})
	}
}

// withoutScheduler unsets, until the test ends, the variables that
// --shard auto reads, as outside a job array.
func withoutScheduler(t *testing.T) {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SLURM_") || k == "JOB_COMPLETION_INDEX" || k == "PHANTOM_SHARD_COUNT" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}
