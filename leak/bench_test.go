package leak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/leak/leaktest"
	"github.com/phantom-vlm/phantom/vlm"
)

// benchVariants writes n original photos, 512×512 JPEGs of about 35 KB.
func benchVariants(b *testing.B, n int) (string, []Variant) {
	dir := b.TempDir()
	os.MkdirAll(filepath.Join(dir, "original"), 0o755)
	rng := rand.New(rand.NewPCG(1, 2))
	var vs []Variant
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 512, 512))
		for y := range 512 {
			for x := range 512 {
				v := uint8((x+y+i*7)/4) + uint8(rng.IntN(24))
				img.Set(x, y, color.RGBA{v, v / 2, 255 - v, 255})
			}
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		name := fmt.Sprintf("original/%03d.jpg", i)
		os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
		vs = append(vs, Variant{FileName: name, ID: fmt.Sprint(i), Name: fmt.Sprintf("Person Number%d", i), Condition: "original"})
	}
	meta, _ := json.Marshal(vs[0])
	os.WriteFile(filepath.Join(dir, MetadataFile), append(meta, '\n'), 0o644)
	return dir, vs
}

const benchAnswer = `{"model":"llava:7b","created_at":"2024-05-01T10:00:00Z","message":{"role":"assistant",` +
	`"content":"The picture shows Person Number1 smiling at the camera in front of a colourful background."},` +
	`"done":true,"done_reason":"stop","total_duration":4883583458,"eval_count":28}`

// BenchmarkRunner measures the runner's own overhead per question (read
// the image, encode the request, send it, parse the answer, score it,
// append the row) against local servers that answer at once: "discard"
// reads the request and sends a canned Ollama answer, "leaktest" also
// decodes the request's JSON and base64 image as a real server must (and
// shares the machine's cores with the runner). It reports requests per
// second.
func BenchmarkRunner(b *testing.B) {
	dir, vs := benchVariants(b, 4) // 4 photos × 30 prompts = 120 questions per run
	full := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		return "The picture shows Person Number1 smiling at the camera in front of a colourful background.", nil
	})
	defer full.Close()
	discard := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, benchAnswer)
	}))
	defer discard.Close()
	for _, bc := range []struct {
		server string
		url    string
		conc   int
	}{{"discard", discard.URL, 1}, {"discard", discard.URL, 8}, {"leaktest", full.URL, 1}, {"leaktest", full.URL, 8}} {
		b.Run(fmt.Sprintf("server=%s/concurrency=%d", bc.server, bc.conc), func(b *testing.B) {
			conc := bc.conc
			client, err := vlm.NewOllama(bc.url, "llava:7b")
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			questions := 0
			for i := 0; b.Loop(); i++ {
				rf, err := OpenResults(filepath.Join(b.TempDir(), fmt.Sprintf("r%d.jsonl", i)))
				if err != nil {
					b.Fatal(err)
				}
				r := newRunner(b, dir, vs, []Model{{Client: client, Concurrency: conc}}, rf)
				sum, err := r.Run(context.Background())
				if err != nil || sum.Models[0].OK != 120 {
					b.Fatal(err, sum)
				}
				rf.Close()
				questions += 120
			}
			b.ReportMetric(float64(questions)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(questions), "µs/req")
		})
	}
}
