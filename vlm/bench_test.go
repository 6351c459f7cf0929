package vlm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/vlm"
)

// BenchmarkAsk measures the client's overhead per request (encode, send,
// parse) against an in-process server that answers at once with the
// documented answer. It reports requests per second.
func BenchmarkAsk(b *testing.B) {
	images := map[string][]byte{"pig-3.6KB": fixture(b, "ollama_docs_pig.png")}
	if dir := os.Getenv("PHANTOM_DATA"); dir != "" {
		if data, err := os.ReadFile(filepath.Join(dir, "photos", "portrait-outdoor.jpg")); err == nil {
			images["photo-186KB"] = data
		}
	}
	for _, be := range backends {
		for _, name := range []string{"pig-3.6KB", "photo-186KB"} {
			img, ok := images[name]
			if !ok {
				continue
			}
			req := vlm.Request{Image: img, Prompt: "Who is the person in the picture?"}
			b.Run(be.name+"/"+name+"/serial", func(b *testing.B) {
				c := benchClient(b, be)
				start := time.Now()
				for b.Loop() {
					if _, err := c.Ask(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			})
			b.Run(be.name+"/"+name+"/parallel", func(b *testing.B) {
				c := benchClient(b, be)
				b.SetParallelism(4)
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := c.Ask(context.Background(), req); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			})
		}
	}
}

func benchClient(b *testing.B, be backend) vlm.Client {
	fs := newFakeServer(b, map[string][]step{be.chatPath: {be.ok(b)}})
	fs.discard = true
	c, err := be.newFn(fs.URL)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
