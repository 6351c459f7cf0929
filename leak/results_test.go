package leak

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func okRow(key string, leak bool) *Result {
	r := &Result{Key: key, Model: "m", Backend: "ollama", ImageID: "i", Name: "A B", Condition: "original",
		Category: "P2", Prompt: "Who?", Answer: "A B", Status: StatusOK}
	r.SetScores(Scores{Leak: leak})
	return r
}

func failedRow(key string) *Result {
	return &Result{Key: key, Model: "m", Backend: "ollama", ImageID: "i", Name: "A B", Condition: "original",
		Category: "P2", Prompt: "Who?", Status: StatusFailed, Error: "boom"}
}

func key(n byte) string { return strings.Repeat(string("0123456789abcdef"[n%16]), 32) }

func TestResultsFileResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	rf, err := OpenResults(path, WithSyncInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Result{okRow(key(1), true), failedRow(key(2)), okRow(key(3), false)} {
		if err := rf.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := rf.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rf.Append(okRow(key(4), false)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	// A killed writer left half a line behind.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"key":"` + key(5) + `","status":"ok","ans`)
	f.Close()

	rf, err = OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if rf.Rows() != 3 {
		t.Errorf("Rows() = %d, want 3", rf.Rows())
	}
	for k, want := range map[string]bool{key(1): true, key(2): false, key(3): true, key(5): false} {
		if got := rf.Done(k); got != want {
			t.Errorf("Done(%s) = %v, want %v", k[:4], got, want)
		}
	}
	// The retry of the failed key supersedes it.
	if err := rf.Append(okRow(key(2), true)); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), key(5)) {
		t.Errorf("torn line not truncated:\n%s", data)
	}
	if n := strings.Count(string(data), "\n"); n != 4 {
		t.Errorf("file has %d lines, want 4:\n%s", n, data)
	}
	rows, bad, err := Latest(path)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if len(rows) != 3 {
		t.Fatalf("Latest gave %d rows, want 3", len(rows))
	}
	if rows[1].Key != key(2) || !rows[1].OK() || !*rows[1].Leak {
		t.Errorf("row for key 2 = %+v, want the later ok row", rows[1])
	}
}

func TestReadResultsBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	content := `{"key":"` + key(1) + `","status":"ok","leak":true}
not json
{"key":"short","status":"ok"}
{"key":"` + key(2) + `","status":"maybe"}

{"key":"` + key(3) + `","status":"failed"}
{"key":"` + key(4) + `","status":"ok"` // torn: ignored, not reported
	os.WriteFile(path, []byte(content), 0o644)
	var keys []string
	bad, err := ReadResults(path, func(r *Result) { keys = append(keys, r.Key[:1]) })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "1,3" {
		t.Errorf("read keys %v, want 1,3", keys)
	}
	wantLines := []int{2, 3, 4}
	if len(bad) != len(wantLines) {
		t.Fatalf("bad = %v, want lines %v", bad, wantLines)
	}
	for i, e := range bad {
		var le *LineError
		if !errors.As(e, &le) || le.Line != wantLines[i] || le.Path != path {
			t.Errorf("bad[%d] = %v, want a LineError at %s:%d", i, e, path, wantLines[i])
		}
	}
}

func TestReadVariants(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, MetadataFile), []byte(`{"file_name":"original/a.jpg","id":"a","name":"A","condition":"original"}
{"file_name":"../escape.jpg","id":"b","name":"B","condition":"original"}
{"file_name":"blur/c.jpg","id":"c","condition":"blur"}
{oops
{"file_name":"blur/d.jpg","id":"d","name":"D","aliases":["Dee"],"condition":"blur","faces":0}
`), 0o644)
	rows, bad, err := ReadVariants(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != "a" || rows[1].Aliases[0] != "Dee" {
		t.Errorf("rows = %+v", rows)
	}
	want := []string{":2: file_name", ":3: missing name", ":4: "}
	if len(bad) != len(want) {
		t.Fatalf("bad = %v", bad)
	}
	for i, w := range want {
		if !strings.Contains(bad[i].Error(), MetadataFile+w) {
			t.Errorf("bad[%d] = %q, want it to contain %q", i, bad[i], MetadataFile+w)
		}
	}
	if _, _, err := ReadVariants(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: %v, want ErrNotExist", err)
	}
}

func TestKey(t *testing.T) {
	base := KeyInput{Model: "llava", Backend: "ollama", ImageID: "a", Condition: "original", Prompt: "Who?"}
	k := Key(base)
	if len(k) != 32 {
		t.Fatalf("key %q: want 32 hex digits", k)
	}
	same := base
	same.Options.Seed, same.Options.MaxTokens = 42, 256 // the resolved defaults
	if Key(same) != k {
		t.Error("explicit default options change the key")
	}
	for name, change := range map[string]func(*KeyInput){
		"model":       func(in *KeyInput) { in.Model = "llava2" },
		"backend":     func(in *KeyInput) { in.Backend = "openai" },
		"image":       func(in *KeyInput) { in.ImageID = "b" },
		"condition":   func(in *KeyInput) { in.Condition = "blur" },
		"prompt":      func(in *KeyInput) { in.Prompt = "Who!" },
		"seed":        func(in *KeyInput) { in.Options.Seed = 7 },
		"temperature": func(in *KeyInput) { in.Options.Temperature = 0.7 },
		"max tokens":  func(in *KeyInput) { in.Options.MaxTokens = 64 },
		"boundary":    func(in *KeyInput) { in.Model, in.Backend = "llavao", "llama" },
		"variant":     func(in *KeyInput) { in.VariantSHA256 = strings.Repeat("ab", 32) },
	} {
		in := base
		change(&in)
		if Key(in) == k {
			t.Errorf("changing the %s keeps the key", name)
		}
	}
	// Without a variant hash the key is the version-1 key phantom wrote
	// before the hash was part of it, so old rows can still be matched.
	if k != "a2f57fc2ce7b46f9619a33b27d509aa2" {
		t.Errorf("legacy key = %s, want the version-1 key a2f57fc2ce7b46f9619a33b27d509aa2", k)
	}
	withHash := base
	withHash.VariantSHA256 = strings.Repeat("01", 32)
	other := withHash
	other.VariantSHA256 = strings.Repeat("02", 32)
	if Key(withHash) == Key(other) {
		t.Error("two variant hashes give one key")
	}
}

// TestResultsFileConcurrentAppend appends from many goroutines and checks
// that every row is one intact line.
func TestResultsFileConcurrentAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs", "results.jsonl")
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				r := okRow(Key(KeyInput{Model: "m", ImageID: fmt.Sprint(g, "-", i)}), i%2 == 0)
				r.Answer = strings.Repeat(fmt.Sprintf("answer %d-%d ", g, i), 200) // 3 KB rows
				if err := rf.Append(r); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := rf.Close(); err != nil {
		t.Fatal(err)
	}
	rows, bad, err := Latest(path)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if len(rows) != 400 {
		t.Errorf("%d distinct rows, want 400", len(rows))
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.Answer, "answer ") || len(r.Answer) < 2000 {
			t.Errorf("row %s has a damaged answer", r.Key)
		}
	}
}

// TestResultsFileLocked: a second OpenResults of a file that is open is
// refused with ErrBusy naming the holder, and allowed after Close.
func TestResultsFileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenResults(path)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("held by pid %d", os.Getpid())) {
		t.Errorf("second open = %v, want ErrBusy naming this process", err)
	}
	if err := rf.Close(); err != nil {
		t.Fatal(err)
	}
	rf, err = OpenResults(path)
	if err != nil {
		t.Fatalf("open after Close: %v", err)
	}
	rf.Close()
}
