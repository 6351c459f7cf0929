package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// TestGroupSync checks that every caller of sync returns only after an
// fsync that started after its write, and that callers arriving together
// share fsyncs.
func TestGroupSync(t *testing.T) {
	var (
		written atomic.Int64 // writes so far
		covered atomic.Int64 // writes before the start of the last finished fsync
		fsyncs  atomic.Int64
	)
	g := &groupSync{fsync: func() error {
		upTo := written.Load()
		fsyncs.Add(1)
		time.Sleep(5 * time.Millisecond)
		covered.Store(upTo)
		return nil
	}}
	const n = 16
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w := written.Add(1)
			if err := g.sync(); err != nil {
				t.Error(err)
			}
			if c := covered.Load(); c < w {
				t.Errorf("write %d returned with only the writes up to %d synced", w, c)
			}
		}()
	}
	close(start)
	wg.Wait()
	if f := fsyncs.Load(); f < 1 || f > n/2 {
		t.Errorf("%d fsyncs for %d callers arriving together, want 1 to %d", f, n, n/2)
	}

	// A failed fsync fails its caller and leaves the next caller to sync.
	fail := errors.New("disk gone")
	calls := 0
	g = &groupSync{fsync: func() error {
		calls++
		if calls == 1 {
			return fail
		}
		return nil
	}}
	if err := g.sync(); !errors.Is(err, fail) {
		t.Errorf("first sync: %v, want %v", err, fail)
	}
	if err := g.sync(); err != nil || calls != 2 {
		t.Errorf("second sync: %v after %d fsyncs, want nil after 2", err, calls)
	}
}

// TestJournalEntryDirs checks which folders an append syncs: OUT, scenes
// and the folder of each variant for a built photo; none for a failure.
func TestJournalEntryDirs(t *testing.T) {
	out := t.TempDir()
	for _, d := range []string{"scenes", "original", "white+blur"} {
		must(t, os.MkdirAll(filepath.Join(out, d), 0o755))
	}
	j, err := openJournal(filepath.Join(out, "journal.jsonl"))
	must(t, err)
	defer j.Close()
	done := &entry{ID: "aaaaaaaaaaaaaaaa", Status: statusDone, Rows: []Row{
		{FileName: "original/aaaaaaaaaaaaaaaa.jpg"}, {FileName: "white+blur/aaaaaaaaaaaaaaaa.jpg"}, {FileName: "original/x.jpg"},
	}}
	want := []string{out, filepath.Join(out, "scenes"), filepath.Join(out, "original"), filepath.Join(out, "white+blur")}
	if got := j.entryDirs(done); !reflect.DeepEqual(got, want) {
		t.Errorf("dirs of a built photo: %v, want %v", got, want)
	}
	if got := j.entryDirs(&entry{ID: "bbbbbbbbbbbbbbbb", Status: statusFailed}); len(got) != 0 {
		t.Errorf("dirs of a failure: %v, want none", got)
	}
	must(t, j.add(done))
	if len(j.dirs) != 4 {
		t.Errorf("%d folders synced, want 4", len(j.dirs))
	}
	// A missing folder is an error, not a silent success.
	if err := j.add(&entry{ID: "cccccccccccccccc", Status: statusDone, Rows: []Row{{FileName: "landscape/c.jpg"}}}); err == nil {
		t.Error("append naming a missing folder did not fail")
	}
}

// BenchmarkJournalAdd appends the entry of a built photo (six variants just
// renamed into their folders, as the builder does) from one and from two
// goroutines, durably (folder and journal fsyncs, shared) and, for
// comparison, without any fsync.
func BenchmarkJournalAdd(b *testing.B) {
	for _, durable := range []bool{false, true} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("durable=%v/workers=%d", durable, workers), func(b *testing.B) {
				out := b.TempDir()
				for _, d := range append([]string{"scenes"}, conditionNames()...) {
					must(b, os.MkdirAll(filepath.Join(out, d), 0o755))
				}
				j, err := openJournal(filepath.Join(out, "journal.jsonl"))
				must(b, err)
				defer j.Close()
				if !durable {
					nop := func() error { return nil }
					j.fsync = &groupSync{fsync: nop}
					for _, d := range j.entryDirs(benchEntry(out, "x")) {
						j.dirs[d] = &groupSync{fsync: nop}
					}
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							id := fmt.Sprintf("%016x", i)
							e := benchEntry(out, id)
							for _, r := range e.Rows { // the builder's renames, without the data
								tmp := filepath.Join(out, filepath.FromSlash(r.FileName)) + ".tmp"
								must(b, os.WriteFile(tmp, nil, 0o644))
								must(b, os.Rename(tmp, filepath.Join(out, filepath.FromSlash(r.FileName))))
							}
							must(b, j.add(e))
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/photo")
			})
		}
	}
}

func conditionNames() []string {
	var out []string
	for _, c := range AllConditions {
		out = append(out, string(c))
	}
	return out
}

func benchEntry(out, id string) *entry {
	e := &entry{ID: id, Source: id + ".jpg", Status: statusDone, StageMS: map[string]float64{"detect": 500, "render": 2}}
	for _, c := range AllConditions {
		e.Rows = append(e.Rows, Row{ID: id, FileName: string(c) + "/" + id + ".jpg", Condition: string(c), Name: "Some Person", Source: id + ".jpg"})
	}
	return e
}
