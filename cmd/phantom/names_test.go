package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	cmd := phantomCmd("names", "count", corpus, "--names", names, "-o", out, "--jobs", "2", "--field", "caption")
	stdout, stderr := &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1 (a bad file); stderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "d.jsonl: line 2") || !strings.Contains(stderr.String(), "1 failed") {
		t.Errorf("stderr does not name the bad line and the failure count:\n%s", stderr)
	}
	if !strings.Contains(stdout.String(), "8 captions scanned (2 empty or missing) in 3 files") {
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
		cmd := phantomCmd("names", "count", corpus, "--names", names, "-o", p, "--shard", s, "--field", "caption")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("shard %s: %v\n%s", s, err, b)
		}
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.csv")
	if b, err := phantomCmd(append([]string{"names", "merge", "-o", merged}, parts...)...).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, b)
	}
	if got, _ := os.ReadFile(merged); string(got) != want {
		t.Errorf("merged.csv:\n%s\nwant\n%s", got, want)
	}
}
