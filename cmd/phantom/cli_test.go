package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer that a command's goroutines (progress
// displays, workers) may write to at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// phantomTo runs phantom with args in this process, on a fresh command
// tree, as main does without its signal handling: the command writes to
// stdout and stderr, main's "phantom: error" line goes to stderr, and the
// exit status is returned.
func phantomTo(t *testing.T, stdout, stderr io.Writer, args ...string) int {
	t.Helper()
	return exitStatus(execute(t.Context(), args, streams{Out: stdout, ErrOut: stderr}), stderr)
}

// phantomRun runs phantom in this process (see phantomTo) and returns what
// it wrote to stdout and to stderr, and its exit status.
func phantomRun(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb syncBuffer
	status = phantomTo(t, &out, &errb, args...)
	return out.String(), errb.String(), status
}

// phantomCombined runs phantom in this process (see phantomTo) and returns
// its stdout and stderr interleaved, as exec.Cmd.CombinedOutput does, and
// its exit status.
func phantomCombined(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var b syncBuffer
	status := phantomTo(t, &b, &b, args...)
	return b.String(), status
}

// TestRequiredFlags: each required flag missing is refused by cobra with
// its name, exit status 1, before the command runs.
func TestRequiredFlags(t *testing.T) {
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"build", "photos/"}, `"out"`},
		{[]string{"build", "merge", "a/", "b/"}, `"out"`},
		{[]string{"anonymize", "a.jpg"}, `"out"`},
		{[]string{"background", "a.jpg"}, `"out"`},
		{[]string{"ocr", "a.jpg"}, `"name"`},
		{[]string{"names", "count", "corpus/", "-o", "c.csv"}, `"names"`},
		{[]string{"names", "merge", "p.csv"}, `"out"`},
		{[]string{"query", "--model", "llava:7b"}, `"variants"`},
		{[]string{"query", "merge", "r.jsonl"}, `"out"`},
		{[]string{"report", "--results", "r.jsonl"}, `"out"`},
	}
	for _, tt := range tests {
		stdout, stderr, status := phantomRun(t, tt.args...)
		if status != 1 || stdout != "" || stderr != "phantom: required flag(s) "+tt.flag+" not set\n" {
			t.Errorf("phantom %v: status %d, stdout %q, stderr %q; want 1 and required flag(s) %s not set", tt.args, status, stdout, stderr, tt.flag)
		}
	}
}

// TestFreshTree: two runs in one process do not share flags, as package
// globals did: a flag given to the first is at its default in the second.
func TestFreshTree(t *testing.T) {
	dir := t.TempDir()
	if _, _, status := phantomRun(t, "query", "merge", dir+"/none.jsonl", "-o", dir+"/merged.jsonl"); status != 1 {
		t.Fatalf("merging a missing file: status %d, want 1", status)
	}
	if _, stderr, _ := phantomRun(t, "query", "merge", dir+"/none.jsonl"); stderr != "phantom: required flag(s) \"out\" not set\n" {
		t.Errorf("second run kept the first run's -o: %q", stderr)
	}
}

// TestRunQueryMerge calls a command's run function directly, as its RunE
// does, with the writers in its options: an unreadable line is reported
// on ErrOut and fails the merge, the count goes to Out.
func TestRunQueryMerge(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "r.jsonl")
	if err := os.WriteFile(in, []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	opts := &queryMergeOptions{streams: streams{Out: &out, ErrOut: &errb}, ins: []string{in}, out: filepath.Join(dir, "merged.jsonl")}
	err := runQueryMerge(t.Context(), opts)
	if !errors.Is(err, errSomeFailed) || !strings.Contains(errb.String(), "phantom query merge: skipped: ") ||
		!strings.Contains(errb.String(), "r.jsonl") || !strings.HasPrefix(out.String(), "1 files, ") {
		t.Errorf("err %v, stdout %q, stderr %q", err, out.String(), errb.String())
	}
}
