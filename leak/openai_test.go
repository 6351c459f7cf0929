package leak

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/vlm"
)

// TestRunnerOpenAI runs the main prompts against a server speaking the
// OpenAI-compatible /v1/chat/completions protocol as vLLM documents it,
// checking the request the runner's client sends.
func TestRunnerOpenAI(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"white"}, nil)
	var bad atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"id":"llava-hf/llava-1.5-7b-hf","object":"model","created":1715000000,"owned_by":"vllm"}]}`))
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req chatBody
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			bad.Store(err.Error())
		}
		text, url := req.prompt()
		if req.Model != "llava-hf/llava-1.5-7b-hf" || req.Temperature != 0 || req.Seed != 7 || req.MaxTokens != 128 ||
			!strings.HasPrefix(url, "data:image/png;base64,") || text == "" {
			bad.Store("unexpected request: " + text + " " + url[:min(len(url), 30)])
		}
		answer := "A person on a white background."
		if strings.HasPrefix(text, "Who") {
			answer = "It could be Chuck Schumer."
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1715000000, "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": answer}}},
			"usage": map[string]int{"prompt_tokens": 600, "completion_tokens": 9, "total_tokens": 609},
		})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client, err := vlm.NewOpenAI(srv.URL, "llava-hf/llava-1.5-7b-hf", vlm.WithBackoff(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	variants, _, _ := ReadVariants(dir)
	path := filepath.Join(dir, "results.jsonl")
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	models := []Model{{Name: "llava-vllm", Client: client, Concurrency: 3}}
	r := newRunner(t, dir, variants, models, rf, WithDecoding(vlm.Options{Seed: 7, MaxTokens: 128}))
	if err := CheckHealth(context.Background(), models); err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
	// 3 white variants × 5 main prompts; both "who" prompts name Schumer.
	if m := sum.Models[0]; m.Total != 15 || m.OK != 15 || m.Leaks != 2 {
		t.Errorf("summary %+v", m)
	}
	rows, _, _ := Latest(path)
	for _, row := range rows {
		if row.Backend != "openai" || row.Seed != 7 || row.MaxTokens != 128 || row.Condition != "white" {
			t.Errorf("row %+v", row)
		}
	}
}
