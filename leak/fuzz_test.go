package leak

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResultsFile feeds arbitrary bytes to the results-file readers:
// ReadResults and Latest (the report's) and OpenResults (a resumed run's).
// None may panic; every row passed on has a valid key and status; every
// complete non-blank line is either a row or a reported bad line; Latest has
// one row per key; and OpenResults leaves the file ending at a line
// boundary, its torn last line cut, ready to append. It ran 6 minutes with
// go test -fuzz=FuzzResultsFile; the corpus it grew is kept in
// testdata/fuzz/FuzzResultsFile, which every go test runs.
func FuzzResultsFile(f *testing.F) {
	k := func(i int) string { return strings.Repeat(string(rune('a'+i)), 32) }
	f.Add([]byte(`{"key":"` + k(0) + `","status":"ok","answer":"Lionel Messi","leak":true,"category":"P2"}` + "\n"))
	f.Add([]byte(`{"key":"` + k(0) + `","status":"failed","error":"x"}` + "\n" + `{"key":"` + k(0) + `","status":"ok","answer":"a"}` + "\n"))
	f.Add([]byte(`{"key":"` + k(1) + `","status":"ok","answer":""}` + "\n" + `{"key":"short","status":"ok"}` + "\n\n"))
	f.Add([]byte(`{"key":"` + k(2) + `","status":"maybe"}` + "\nnot json\n" + `{"key":"` + k(3) + `","status":"ok","ans`))
	f.Add([]byte(`{"key":"` + k(4) + `","status":"ok","answer":"x","variant_sha256":"` + strings.Repeat("0", 64) + `","batch_id":"b1"}` + "\r\n"))
	// A key's ok row whose other columns do not parse.
	f.Add([]byte(`{"key":"` + k(5) + `","status":"failed","error":"x"}` + "\n" + `{"key":"` + k(5) + `","status":"ok","answer":"x","leak":"yes"}` + "\n"))
	f.Add([]byte("\xff\xfe\x00\n" + strings.Repeat("x", 70000) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "results.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Complete lines: those ended by a newline; the rest is torn.
		complete := data[:bytes.LastIndexByte(data, '\n')+1]
		nonBlank := 0
		for _, line := range bytes.SplitAfter(complete, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 {
				nonBlank++
			}
		}
		rows := 0
		bad, err := ReadResults(path, func(r *Result) {
			rows++
			if _, err := parseKey(r.Key); err != nil {
				t.Fatalf("row with a bad key passed on: %q", r.Key)
			}
			if r.Status != StatusOK && r.Status != StatusFailed {
				t.Fatalf("row with status %q passed on", r.Status)
			}
			if r.OK() && strings.TrimSpace(r.Answer) == "" {
				t.Fatal("an empty answer counts as ok")
			}
		})
		if err != nil {
			t.Fatalf("ReadResults: %v", err)
		}
		if rows+len(bad) != nonBlank {
			t.Fatalf("%d rows and %d bad lines of %d complete non-blank lines", rows, len(bad), nonBlank)
		}
		latest, _, err := Latest(path)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, r := range latest {
			if keys[r.Key] {
				t.Fatalf("Latest has key %s twice", r.Key)
			}
			keys[r.Key] = true
		}
		rf, err := OpenResults(path)
		if err != nil {
			t.Fatalf("OpenResults: %v", err)
		}
		for k := range keys {
			want := false
			for _, r := range latest {
				want = want || (r.Key == k && r.OK())
			}
			if rf.Done(k) != want {
				t.Fatalf("Done(%s) = %v, but Latest's row is ok = %v", k, !want, want)
			}
		}
		if err := rf.Close(); err != nil {
			t.Fatal(err)
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after, complete) {
			t.Fatalf("OpenResults left %q, want the complete lines %q", after, complete)
		}
	})
}
