package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadJournal(t *testing.T) {
	a := `{"id":"aaaaaaaaaaaaaaaa","source":"a.jpg","status":"done"}` + "\n"
	b := `{"id":"bbbbbbbbbbbbbbbb","source":"b.jpg","status":"failed"}` + "\n"
	tests := []struct {
		name string
		in   string
		ids  []string
		good int
	}{
		{name: "empty", in: "", good: 0},
		{name: "whole lines", in: a + b, ids: []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}, good: len(a + b)},
		{name: "partial last line is cut", in: a + b[:20], ids: []string{"aaaaaaaaaaaaaaaa"}, good: len(a)},
		{name: "whole last line without newline is cut too", in: a + strings.TrimSuffix(b, "\n"), ids: []string{"aaaaaaaaaaaaaaaa"}, good: len(a)},
		{name: "damaged middle line is skipped", in: a + "{not json\n" + b, ids: []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}, good: len(a+b) + len("{not json\n")},
		{name: "blank lines", in: "\n" + a + "\n", ids: []string{"aaaaaaaaaaaaaaaa"}, good: len(a) + 2},
		{name: "entry without id", in: `{"source":"x"}` + "\n" + a, ids: []string{"aaaaaaaaaaaaaaaa"}, good: len(a) + len(`{"source":"x"}`) + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, good, err := readJournal(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if int(good) != tc.good {
				t.Errorf("good prefix %d, want %d", good, tc.good)
			}
			if len(entries) != len(tc.ids) {
				t.Fatalf("%d entries, want %v", len(entries), tc.ids)
			}
			for _, id := range tc.ids {
				if entries[id] == nil {
					t.Errorf("entry %s missing", id)
				}
			}
		})
	}
}

func TestJournalAppendsAfterACutLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "journal.jsonl")
	must(t, os.WriteFile(p, []byte(`{"id":"aaaaaaaaaaaaaaaa","status":"done"}`+"\n"+`{"id":"bbbb`), 0o644))
	j, err := openJournal(p)
	must(t, err)
	if !j.has("aaaaaaaaaaaaaaaa") || j.has("bbbbbbbbbbbbbbbb") {
		t.Fatal("wrong entries after opening")
	}
	must(t, j.add(&entry{ID: "cccccccccccccccc", Status: statusFailed}))
	must(t, j.Close())
	data, err := os.ReadFile(p)
	must(t, err)
	entries, good, err := readJournal(strings.NewReader(string(data)))
	must(t, err)
	if len(entries) != 2 || good != int64(len(data)) || entries["cccccccccccccccc"] == nil {
		t.Errorf("journal after append: %q", data)
	}
}
