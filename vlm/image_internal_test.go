package vlm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// BenchmarkDownscale measures the only re-encoding path: a real photo over
// the limits, decoded, shrunk and re-encoded as JPEG.
func BenchmarkDownscale(b *testing.B) {
	data, err := os.ReadFile(testenv.Data(b, "photos", "crowd-selfie.jpg"))
	if err != nil {
		b.Skip(err)
	}
	for _, tt := range []struct {
		name              string
		maxBytes, maxSide int
	}{{"side-448", 0, 448}, {"bytes-64KiB", 64 << 10, 0}} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := downscale(data, tt.maxBytes, tt.maxSide, 90); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeParse measures the client's own CPU work per request,
// without the network: marshalling the request body with a real photo
// and parsing the documented answer.
func BenchmarkEncodeParse(b *testing.B) {
	img, err := os.ReadFile(filepath.Join("testdata", "docs", "ollama_docs_pig.png"))
	if err != nil {
		b.Fatal(err)
	}
	images := map[string][]byte{"pig-3.6KB": img}
	if dir := os.Getenv("PHANTOM_DATA"); dir != "" {
		if data, err := os.ReadFile(filepath.Join(dir, "photos", "portrait-outdoor.jpg")); err == nil {
			images["photo-186KB"] = data
		}
	}
	ol, _ := NewOllama("", "llava")
	oa, _ := NewOpenAI("http://localhost:8000", "llava-hf/llava-1.5-7b-hf")
	olAnswer, _ := os.ReadFile(filepath.Join("testdata", "docs", "ollama_chat_images_response.json"))
	oaAnswer, _ := os.ReadFile(filepath.Join("testdata", "docs", "openai_chat_response.json"))
	for _, name := range []string{"pig-3.6KB", "photo-186KB"} {
		data, ok := images[name]
		if !ok {
			continue
		}
		req := Request{Image: data, Prompt: "Who is the person in the picture?"}
		b.Run("ollama/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ol.encode(req); err != nil {
					b.Fatal(err)
				}
				if _, err := parseOllama(olAnswer); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("openai/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := oa.ChatRequest(req); err != nil {
					b.Fatal(err)
				}
				if _, err := parseOpenAI(oaAnswer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
