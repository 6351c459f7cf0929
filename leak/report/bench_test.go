package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/leak"
)

// BenchmarkLoadAndWrite reads a results file of 55,000 rows (1,000 photos
// × the protocol's 30 original + 25 other-condition prompts, answers of
// about 300 bytes) and writes the whole report, figures included. It
// reports rows per second.
func BenchmarkLoadAndWrite(b *testing.B) {
	path := filepath.Join(b.TempDir(), "results.jsonl")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	answer := strings.Repeat("The image shows a person standing at a podium in front of flags. ", 5)
	rows := 0
	conds := []string{"original", "blur", "landscape", "white", "landscape+blur", "white+blur"}
	for img := range 1000 {
		name := fmt.Sprintf("Person %d", img%500)
		for _, c := range conds {
			for _, p := range leak.SelectProtocol.For(c) {
				leaked := (img*7+p.Category*3+p.Phrasing)%5 == 0
				r := exampleRowFor("llava", c, p, img, name, leaked)
				r.Answer = answer
				if leaked {
					r.Answer = answer + name + "."
				}
				enc.Encode(r)
				rows++
			}
		}
	}
	w.Flush()
	f.Close()
	for b.Loop() {
		d, bad, err := Load(path)
		if err != nil || len(bad) > 0 || d.Questions() != rows {
			b.Fatal(err, bad, d.Questions())
		}
		if _, err := d.Write(b.TempDir(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func exampleRowFor(model, cond string, p leak.Prompt, img int, name string, leaked bool) *leak.Result {
	id := fmt.Sprint("img", img)
	r := &leak.Result{
		Key:   leak.Key(leak.KeyInput{Model: model, Backend: "ollama", ImageID: id, Condition: cond, Prompt: p.Text}),
		Model: model, Backend: "ollama", ImageID: id, Name: name, Condition: cond,
		Category: p.CategoryName(), Phrasing: p.Phrasing, Prompt: p.Text, Status: leak.StatusOK,
		Answer: "A person.",
	}
	r.SetScores(leak.Scores{Leak: leaked})
	return r
}
