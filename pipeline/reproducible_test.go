package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestBuildSameBytesAnyWorkersOrShards builds 16 congress portraits with the
// no-weights default (whose GrabCut masks draw from OpenCV's per-thread
// random generator) once on one worker and once as two shards of three
// workers each, merged: every variant file has the same bytes.
func TestBuildSameBytesAnyWorkersOrShards(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real photos three times")
	}
	dir := testenv.Data(t, "faces", "congress")
	var b strings.Builder
	b.WriteString("path,name\n")
	ents, err := os.ReadDir(dir)
	must(t, err)
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".jpg") && n < 16 {
			fmt.Fprintf(&b, "%s,Person %d\n", e.Name(), n)
			n++
		}
	}
	manifest := filepath.Join(t.TempDir(), "people.csv")
	must(t, os.WriteFile(manifest, []byte(b.String()), 0o644))
	recs, err := ManifestRecords(manifest, dir)
	must(t, err)
	conds := []Condition{Original, White}
	build := func(out string, workers int, shard Shard) {
		t.Helper()
		b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(conds...), WithWorkers(workers),
			WithShard(shard), WithSeed(5), WithContactSheet(0))
		must(t, err)
		if _, err := b.Run(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	one, s0, s1, merged := t.TempDir(), t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "merged")
	build(one, 1, Shard{I: 0, N: 1})
	build(s0, 3, Shard{I: 0, N: 2})
	build(s1, 3, Shard{I: 1, N: 2})
	if _, err := Merge(context.Background(), merged, []string{s0, s1}, 0); err != nil {
		t.Fatal(err)
	}
	rows := checkOutput(t, one, conds)
	if len(rows) != 32 {
		t.Fatalf("%d rows, want 32", len(rows))
	}
	people := 0
	for _, r := range rows {
		x, err := os.ReadFile(filepath.Join(one, r.FileName))
		must(t, err)
		y, err := os.ReadFile(filepath.Join(merged, r.FileName))
		if err != nil {
			t.Errorf("%s: missing from the sharded build: %v", r.FileName, err)
			continue
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between one worker and two shards of three", r.FileName)
		}
		if r.Condition == string(White) && r.People > 0 {
			people++
		}
	}
	if people < 8 {
		t.Errorf("only %d white variants with a person: the test does not exercise GrabCut", people)
	}
}
