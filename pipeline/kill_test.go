package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildCLI compiles cmd/phantom into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the CLI; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "phantom")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/phantom-vlm/phantom/cmd/phantom")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// fileDigests maps every file under dir (relative, slash-separated) to its
// sha256, leaving out the files that differ between runs by design.
func fileDigests(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	skip := map[string]bool{"summary.json": true, "journal.jsonl": true, ".lock": true}
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if skip[rel] {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = sha256.Sum256(data)
		return nil
	})
	must(t, err)
	return out
}

func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

// TestKillAndResume starts a build in a subprocess, kills it with SIGKILL
// mid-run, runs it again, and checks that the result equals a clean run's:
// the same rows, no duplicates, none missing, the same files byte for byte,
// no temporary files left.
func TestKillAndResume(t *testing.T) {
	bin := buildCLI(t)
	in := t.TempDir()
	const photos = 24
	writeFixtures(t, in, photos)
	must(t, os.WriteFile(filepath.Join(in, "Ada Lovelace", "bad.png"), []byte("\x89PNG\r\n\x1a\nbroken"), 0o644))
	bgs := t.TempDir()
	for i, c := range []color.RGBA{{200, 120, 40, 255}, {30, 90, 200, 255}, {40, 160, 60, 255}} {
		img := image.NewRGBA(image.Rect(0, 0, 200, 150))
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, c.A
		}
		var buf bytes.Buffer
		must(t, png.Encode(&buf, img))
		must(t, os.WriteFile(filepath.Join(bgs, fmt.Sprintf("bg%d.png", i)), buf.Bytes(), 0o644))
	}
	args := func(out string) []string {
		return []string{"build", in, "-o", out, "--backgrounds", bgs, "--no-ocr", "--workers", "2", "--seed", "3", "--contact-sheet", "3", "--models", "none"}
	}
	run := func(ctx context.Context, out string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, args(out)...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		return buf.String(), err
	}

	clean := filepath.Join(t.TempDir(), "clean")
	if log, err := run(context.Background(), clean); err == nil || !strings.Contains(log, "bad.png") {
		t.Fatalf("clean run: err %v (want exit 1 for the bad file)\n%s", err, log)
	}

	killed := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(bin, args(killed)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	must(t, cmd.Start())
	journal := filepath.Join(killed, "journal.jsonl")
	deadline := time.Now().Add(2 * time.Minute)
	for countLines(journal) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()
	done := countLines(journal)
	if done >= photos+1 {
		t.Fatalf("the build finished before it was killed (%d journal lines); the test proves nothing", done)
	}
	files := 0
	for _, c := range AllConditions {
		ents, _ := os.ReadDir(filepath.Join(killed, string(c)))
		files += len(ents)
	}
	t.Logf("killed with %d of %d photos in the journal and %d variant files on disk", done, photos+1, files)

	out, err := run(context.Background(), killed)
	if err == nil {
		t.Fatalf("resumed run: want exit 1 for the bad file\n%s", out)
	}
	want, got := fileDigests(t, clean), fileDigests(t, killed)
	if !reflect.DeepEqual(want, got) {
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s differs or is missing after resume", k)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s is extra after resume", k)
			}
		}
	}
	rows := checkOutput(t, killed, AllConditions)
	if len(rows) != photos*6 {
		t.Errorf("%d rows, want %d", len(rows), photos*6)
	}
	if n := countLines(filepath.Join(killed, "failed.jsonl")); n != 1 {
		t.Errorf("failed.jsonl has %d rows, want 1", n)
	}

	// phantom audit reads the result.
	audit := exec.Command(bin, "audit", killed, "--models", "none", "--json", "--quiet")
	js, err := audit.Output()
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	var rep AuditReport
	must(t, json.Unmarshal(js, &rep))
	if len(rep.Conditions) != 3 || rep.Conditions[0].Variants != photos {
		t.Errorf("audit report %+v", rep.Conditions)
	}
}

// TestCLIShardsAndMerge builds two shards with the CLI, merges them with
// "phantom build merge" and compares the result with a one-shot build.
func TestCLIShardsAndMerge(t *testing.T) {
	bin := buildCLI(t)
	in := t.TempDir()
	writeFixtures(t, in, 10)
	base := t.TempDir()
	build := func(out string, extra ...string) {
		args := append([]string{"build", in, "-o", out, "--no-ocr", "--models", "none", "--quiet", "--conditions", "original,blur,white+blur", "--workers", "2"}, extra...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	whole, s0, s1, merged := filepath.Join(base, "whole"), filepath.Join(base, "s0"), filepath.Join(base, "s1"), filepath.Join(base, "merged")
	build(whole)
	build(s0, "--shard", "0/2")
	build(s1, "--shard", "1/2")
	n0, n1 := countLines(filepath.Join(s0, "metadata.jsonl")), countLines(filepath.Join(s1, "metadata.jsonl"))
	if n0 == 0 || n1 == 0 || n0+n1 != 30 {
		t.Fatalf("shards have %d and %d rows, want 30 in all and some in each", n0, n1)
	}
	if out, err := exec.Command(bin, "build", "merge", s0, s1, "-o", merged).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "metadata.jsonl"))
	b, _ := os.ReadFile(filepath.Join(merged, "metadata.jsonl"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("merged metadata.jsonl differs from the one-shot build's")
	}
	checkOutput(t, merged, []Condition{Original, Blur, WhiteBlur})
	// A shard of another setting cannot be merged in.
	other := filepath.Join(base, "other")
	build(other, "--seed", "5")
	if out, err := exec.Command(bin, "build", "merge", s0, other, "-o", filepath.Join(base, "bad")).CombinedOutput(); err == nil {
		t.Errorf("merging builds with different seeds succeeded:\n%s", out)
	}
}
