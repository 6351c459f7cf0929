package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNamesCountMerge runs phantom names count on a small corpus as a user
// would, with one bad file, then on two shards, and merges them.
func TestNamesCountMerge(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	os.MkdirAll(corpus, 0o755)
	wr := func(name, data string) {
		if err := os.WriteFile(filepath.Join(corpus, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write([]byte("Lionel  MESSI's goal\nWill Smithsonian\n\n"))
	z.Close()
	wr("a.txt.gz", gz.String())
	wr("b.jsonl", `{"caption":"(Lionel Messi) and Will Smith"}`+"\n"+`{"caption":null}`+"\n")
	wr("c.txt", "xbono\nBono live\nbeyonce knowles\n")
	wr("d.jsonl", "{\"caption\":\"Bono\"}\nnot json\n")
	names := filepath.Join(dir, "names.txt")
	os.WriteFile(names, []byte("Lionel Messi\nWill Smith\nBono\nBeyoncé Knowles\n"), 0o644)

	out := filepath.Join(dir, "counts.csv")
	stdout, stderr, status := phantomRun(t, "names", "count", corpus, "--names", names, "-o", out, "--jobs", "2", "--field", "caption")
	if status != 1 {
		t.Fatalf("exit %d, want 1 (a bad file); stderr:\n%s", status, stderr)
	}
	if !strings.Contains(stderr, "d.jsonl: line 2") || !strings.Contains(stderr, "1 failed") {
		t.Errorf("stderr does not name the bad line and the failure count:\n%s", stderr)
	}
	if !strings.Contains(stdout, "8 captions scanned (2 empty or missing) in 3 files") {
		t.Errorf("stdout: %s", stdout)
	}
	want := "name,count\nBeyoncé Knowles,1\nBono,1\nLionel Messi,2\nWill Smith,1\n"
	if got, _ := os.ReadFile(out); string(got) != want {
		t.Errorf("counts.csv:\n%s\nwant\n%s", got, want)
	}

	os.Remove(filepath.Join(corpus, "d.jsonl"))
	var parts []string
	for _, s := range []string{"0/2", "1/2"} {
		p := filepath.Join(dir, "part-"+s[:1]+".csv")
		if b, status := phantomCombined(t, "names", "count", corpus, "--names", names, "-o", p, "--shard", s, "--field", "caption"); status != 0 {
			t.Fatalf("shard %s: status %d\n%s", s, status, b)
		}
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.csv")
	if b, status := phantomCombined(t, append([]string{"names", "merge", "-o", merged}, parts...)...); status != 0 {
		t.Fatalf("merge: status %d\n%s", status, b)
	}
	if got, _ := os.ReadFile(merged); string(got) != want {
		t.Errorf("merged.csv:\n%s\nwant\n%s", got, want)
	}
}

// TestNamesCountKilled kills phantom names count (SIGKILL) once it has
// finished some files, runs it again, and checks that the second run takes
// the finished files from the parts folder and ends with the counts of one
// whole run.
func TestNamesCountKilled(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	os.MkdirAll(corpus, 0o755)
	var line strings.Builder
	for i := range 40 {
		line.Reset()
		for j := range 20000 {
			fmt.Fprintf(&line, "photo %d of Lionel Messi's goal, Will Smithsonian, xbono %d\n", i, j)
		}
		os.WriteFile(filepath.Join(corpus, fmt.Sprintf("part-%02d.txt", i)), []byte(line.String()), 0o644)
	}
	names := filepath.Join(dir, "names.txt")
	os.WriteFile(names, []byte("Lionel Messi\nWill Smith\nBono\n"), 0o644)
	out := filepath.Join(dir, "counts.csv")
	args := []string{"names", "count", corpus, "--names", names, "-o", out, "--jobs", "1"}

	cmd := phantomCmd(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	parts := filepath.Join(dir, "counts.csv.parts")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(parts, "*.json")); len(m) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no partial count after 60 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	done, _ := filepath.Glob(filepath.Join(parts, "*.json"))

	b, status := phantomCombined(t, args...)
	if status != 0 {
		t.Fatalf("rerun: status %d\n%s", status, b)
	}
	var resumed int
	if i := strings.Index(b, "files ("); i < 0 {
		t.Fatalf("rerun output: %s", b)
	} else {
		fmt.Sscanf(b[i+len("files ("):], "%d resumed", &resumed)
	}
	t.Logf("killed with %d of 40 files done; the rerun resumed %d", len(done), resumed)
	if resumed < len(done) || resumed == 0 {
		t.Errorf("the rerun resumed %d files, %d were done when it was killed:\n%s", resumed, len(done), b)
	}
	if !strings.Contains(b, "800000 captions scanned (0 empty or missing) in 40 files") {
		t.Errorf("rerun output: %s", b)
	}
	want := "name,count\nBono,0\nLionel Messi,800000\nWill Smith,0\n"
	if got, _ := os.ReadFile(out); string(got) != want {
		t.Errorf("counts.csv after the rerun:\n%s\nwant\n%s", got, want)
	}
}
