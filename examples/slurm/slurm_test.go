package slurm_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// The tests here run this folder's job scripts on a real Slurm cluster: a
// one-node one that scripts/slurm-local.sh starts on this machine (as
// root), or the cluster already configured here. Where Slurm cannot start
// they skip, saying why, except on CI (CI=true), where they fail.

// unavailable skips the test, or fails it on CI, where the cluster tests
// must run.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf(format, args...)
}

// jobName names every job a test process submits (SBATCH_JOB_NAME
// overrides the scripts' names), so that its cleanup cancels its own jobs
// only: other processes may use the same cluster at the same time.
var jobName = fmt.Sprintf("phantom-test-%d", os.Getpid())

// slurm makes sure a cluster is up: one that answers scontrol ping, or the
// local one that scripts/slurm-local.sh starts. It leaves the cluster
// running (another test process may be using it; scripts/slurm-local.sh
// stop stops it) and cancels the jobs this process submitted when the
// test ends.
func slurm(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("submits Slurm jobs")
	}
	t.Cleanup(func() { exec.Command("scancel", "--name", jobName).Run() })
	if exec.Command("scontrol", "ping").Run() == nil && exec.Command("sinfo", "-h").Run() == nil {
		return
	}
	script, _ := filepath.Abs("../../scripts/slurm-local.sh")
	out, err := exec.Command(script, "start").CombinedOutput()
	if err != nil {
		unavailable(t, "Slurm cannot start here (%s start: %v):\n%s", script, err, out)
	}
}

// goBuild builds a command of the module into dir and returns its path.
func goBuild(t testing.TB, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// run runs a command in dir with env added, within 5 minutes; on failure
// it shows the command's output and the Slurm job logs in dir.
func run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "SBATCH_JOB_NAME="+jobName), env...)
	cmd.WaitDelay = 5 * time.Second // sbatch --wait behind a pipe outlives its shell
	out, err := cmd.CombinedOutput()
	if err != nil {
		var logs strings.Builder
		files, _ := filepath.Glob(filepath.Join(dir, "*.out"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			fmt.Fprintf(&logs, "--- %s\n%s", filepath.Base(f), b)
		}
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, logs.String())
	}
	return string(out)
}

// congress writes a manifest of the first n labelled congress portraits
// and returns the photos' folder and the manifest.
func congress(t testing.TB, dir string, n int) (photos, manifest string) {
	photos = testenv.Data(t, "faces", "congress")
	f, err := os.Open(filepath.Join(photos, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) <= n {
		t.Fatalf("labels.csv: %d rows, %v", len(rows), err)
	}
	var b strings.Builder
	b.WriteString("path,name\n")
	for _, r := range rows[1 : n+1] {
		fmt.Fprintf(&b, "%s,%s\n", r[0], r[3]) // file, common_name
	}
	manifest = filepath.Join(dir, "people.csv")
	if err := os.WriteFile(manifest, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return photos, manifest
}

// TestSlurmArrays builds photos with the example build array and its merge
// job (submit-build.sh: sbatch --array, then --dependency=afterok), checks
// that the merged dataset equals a one-machine build of the same photos,
// then asks its questions with the example query array, each task with
// its own stand-in server, and checks that the merged results report
// exactly what one unsharded run reports. The build is the study's six
// conditions with the no-weights OpenCV default (GrabCut masks, seeded per
// photo) on four labelled portraits.
func TestSlurmArrays(t *testing.T) {
	slurm(t)
	work := t.TempDir()
	photos, manifest := congress(t, work, 4)
	backgrounds := testenv.Data(t, "backgrounds")
	bin := t.TempDir()
	phantom := goBuild(t, bin, "github.com/phantom-vlm/phantom/cmd/phantom")
	standin := goBuild(t, bin, "github.com/phantom-vlm/phantom/tools/standin-vlm")
	here, _ := filepath.Abs(".")

	// The build array: 2 shards, then the merge.
	flags := "--manifest " + manifest + " --models none --backgrounds " + backgrounds + " --workers 1"
	out := filepath.Join(work, "build")
	run(t, work, []string{"PHANTOM=" + phantom, "PHOTOS=" + photos, "OUT=" + out, "BUILD_FLAGS=" + flags,
		"N=2", "CPUS=1", "WAIT=1"}, filepath.Join(here, "submit-build.sh"))
	one := filepath.Join(work, "one")
	run(t, work, nil, phantom, append([]string{"build", photos, "-o", one}, strings.Fields(flags)...)...)
	dataset := filepath.Join(out, "dataset")
	for _, part := range []string{"part-0", "part-1"} {
		if n := lines(t, filepath.Join(out, part, "metadata.jsonl")); n == 0 || n >= 24 {
			t.Errorf("%s has %d metadata rows: not a part of 4 photos × 6 conditions", part, n)
		}
	}
	if n := lines(t, filepath.Join(dataset, "metadata.jsonl")); n != 24 {
		t.Errorf("the merged dataset has %d metadata rows, want 24", n)
	}
	// The same files with the same bytes, less the run's own records
	// (timings in summary.json and the journal).
	sameTree(t, one, dataset, "summary.json", "journal.jsonl")

	// The query array: 2 tasks, each starting a stand-in server on its
	// node, then merge and report.
	results := filepath.Join(work, "results")
	base := 30000 + os.Getpid()%20000
	server := standin + ` --addr 127.0.0.1:$PORT --model "$MODEL" --variants ` + dataset
	run(t, work, []string{"PHANTOM=" + phantom, "VARIANTS=" + dataset, "RESULTS=" + results, "MODEL=llava:7b",
		"SERVER=" + server, fmt.Sprintf("PORT_BASE=%d", base), "QUERY_FLAGS=--concurrency 4", "N=2", "WAIT=1",
		"SBATCH_FLAGS=--cpus-per-task=1"},
		filepath.Join(here, "submit-query.sh"))
	for i := range 2 {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", base+i), time.Second); err == nil {
			c.Close()
			t.Errorf("task %d's server still listens after its task ended", i)
		}
	}
	// One unsharded run against one stand-in server, and its report.
	port := base + 10
	srv := exec.Command(standin, "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--model", "llava:7b", "--variants", dataset)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	whole := filepath.Join(work, "whole.jsonl")
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("the stand-in server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	run(t, work, nil, phantom, "query", "--variants", dataset, "--url", fmt.Sprintf("http://127.0.0.1:%d", port),
		"--model", "llava:7b", "--results", whole, "--concurrency", "4")
	report := filepath.Join(work, "report-whole")
	run(t, work, nil, phantom, "report", "--results", whole, "--out", report)

	// 4 originals × 30 prompts + 4 photos × 5 other conditions × 5.
	const questions = 220
	if n := lines(t, whole); n != questions {
		t.Errorf("the unsharded run has %d rows, want %d", n, questions)
	}
	if a, b := lines(t, filepath.Join(results, "results-0.jsonl")), lines(t, filepath.Join(results, "results-1.jsonl")); a+b != questions || a == 0 || b == 0 {
		t.Errorf("the shards have %d and %d rows, want %d in all", a, b, questions)
	}
	if n := lines(t, filepath.Join(results, "results.jsonl")); n != questions {
		t.Errorf("the merged results have %d rows, want %d", n, questions)
	}
	sameTree(t, report, filepath.Join(results, "report"))
	// The name-count array over four corpus files, then the sum.
	corpus := filepath.Join(work, "corpus")
	must(t, os.MkdirAll(corpus, 0o755))
	names := filepath.Join(work, "names.txt")
	must(t, os.WriteFile(names, []byte("Sherrod Brown\nTammy Baldwin\nJohn Boozman\n"), 0o644))
	var files []string
	for i := range 4 {
		f := filepath.Join(corpus, fmt.Sprintf("captions-%d.txt", i))
		text := strings.Repeat("senator sherrod brown speaks\n", i+1) + strings.Repeat("Tammy Baldwin and John Boozman\n", 2*i) + "a brownie\n"
		must(t, os.WriteFile(f, []byte(text), 0o644))
		files = append(files, f)
	}
	counts := filepath.Join(work, "counts")
	run(t, work, []string{"PHANTOM=" + phantom, "CORPUS=" + strings.Join(files, " "), "NAMES=" + names, "COUNTS=" + counts,
		"N=2", "WAIT=1", "SBATCH_FLAGS=--cpus-per-task=1"}, filepath.Join(here, "submit-names.sh"))
	oneCounts := filepath.Join(work, "counts-one.csv")
	run(t, work, nil, phantom, append([]string{"names", "count", "--names", names, "-o", oneCounts}, files...)...)
	a, _ := os.ReadFile(oneCounts)
	b, err := os.ReadFile(filepath.Join(counts, "counts.csv"))
	if err != nil || !bytes.Equal(a, b) || !bytes.Contains(a, []byte("Sherrod Brown,10")) {
		t.Errorf("name counts: the array's sum (%v)\n%s\nthe one-machine count\n%s", err, b, a)
	}

	table, _ := os.ReadFile(filepath.Join(report, "table_a.csv"))
	if !bytes.Contains(table, []byte("llava:7b,P2,")) || bytes.Contains(table, []byte("llava:7b,P2,0.0000")) {
		t.Errorf("table_a.csv shows no P2 leak, though the stand-in names the person when asked who:\n%s", table)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lines(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// sameTree checks that folders a and b hold the same files with the same
// bytes, but for the names in skip.
func sameTree(t *testing.T, a, b string, skip ...string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		m := make(map[string][]byte)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			for _, s := range skip {
				if rel == s {
					return nil
				}
			}
			data, err := os.ReadFile(p)
			m[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fa, fb := files(a), files(b)
	if len(fa) == 0 || len(fa) != len(fb) {
		t.Errorf("%s has %d files, %s %d", a, len(fa), b, len(fb))
	}
	for name, x := range fa {
		y, ok := fb[name]
		if !ok {
			t.Errorf("%s: only in %s", name, a)
		} else if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}
