package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkMerge merges the two shards of a synthetic build (every photo
// done, six variants and a scene each, as tiny files) of 1,000 and 5,000
// photos, and of PHANTOM_MERGE_PHOTOS more when set (25000 for the
// study's size; minutes), to show that the merge is linear in the photos:
// compare ns/photo. Each op is a whole merge into a fresh folder:
// 7 hard links per photo, the united journal (durable appends) and the
// metadata files. The shards are written before the timer starts.
func BenchmarkMerge(b *testing.B) {
	sizes := []int{1_000, 5_000}
	if n, err := strconv.Atoi(os.Getenv("PHANTOM_MERGE_PHOTOS")); err == nil && n > 0 {
		sizes = append(sizes, n)
	}
	for _, photos := range sizes {
		b.Run(fmt.Sprintf("photos=%d", photos), func(b *testing.B) {
			dir := b.TempDir()
			s := Settings{Conditions: AllConditions, Format: "jpg", Grid: 10, Codec: "bench"}
			var ins []string
			for sh := range 2 {
				in := filepath.Join(dir, fmt.Sprintf("part-%d", sh))
				for _, d := range append([]string{"scenes"}, conditionNames()...) {
					must(b, os.MkdirAll(filepath.Join(in, d), 0o755))
				}
				must(b, writeSettings(in, s))
				f, err := os.Create(filepath.Join(in, "journal.jsonl"))
				must(b, err)
				w := bufio.NewWriter(f)
				for i := sh; i < photos; i += 2 {
					id := fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
					e := benchEntry(in, id)
					line, err := json.Marshal(e)
					must(b, err)
					w.Write(append(line, '\n'))
					must(b, os.WriteFile(filepath.Join(in, "scenes", id+".json"), []byte("{}"), 0o644))
					for _, r := range e.Rows {
						must(b, os.WriteFile(filepath.Join(in, filepath.FromSlash(r.FileName)), []byte(id), 0o644))
					}
				}
				must(b, w.Flush())
				must(b, f.Close())
				ins = append(ins, in)
			}
			b.ResetTimer()
			for i := range b.N {
				sum, err := Merge(context.Background(), filepath.Join(dir, fmt.Sprintf("merged-%d", i)), ins, 0)
				if err != nil || sum.Built != photos {
					b.Fatalf("merge: %v, %+v", err, sum)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*photos), "ns/photo")
		})
	}
}
