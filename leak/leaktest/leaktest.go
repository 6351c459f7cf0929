// Package leaktest provides an in-process server that speaks Ollama's wire
// protocol (GET /api/tags, POST /api/chat with "stream": false and images
// as raw base64), for testing and demonstrating study code without a real
// model. Its answers come from a function the caller gives.
package leaktest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Question is what the server received in one chat request.
type Question struct {
	// Model is the requested model; Prompt is the user message's text.
	Model  string
	Prompt string
	// Image is the decoded first image of the message (nil if none).
	Image []byte
	// Temperature, Seed and NumPredict are the request's options.
	Temperature float64
	Seed        int64
	NumPredict  int
}

// Answer returns the model's answer to q, or an error, which the server
// sends as HTTP 500 with Ollama's {"error": "..."} body.
type Answer func(q Question) (string, error)

// Server is an in-process Ollama-compatible server. Close it when done.
type Server struct {
	*httptest.Server
	model  string
	answer Answer
	delay  time.Duration
	ln     net.Listener

	requests atomic.Int64
	mu       sync.Mutex
	seen     map[string]int
	inFlight int
	maxIn    int
}

// Option configures a Server.
type Option func(*Server)

// WithDelay makes every chat answer take d, as a model's generation does.
func WithDelay(d time.Duration) Option { return func(s *Server) { s.delay = d } }

// WithListener makes the server accept on l (a fixed address, for a
// stand-in server that other processes reach) instead of a free port on
// the loopback interface.
func WithListener(l net.Listener) Option { return func(s *Server) { s.ln = l } }

// NewOllama starts a server that serves model and answers with answer.
func NewOllama(model string, answer Answer, opts ...Option) *Server {
	s := &Server{model: model, answer: answer, seen: make(map[string]int)}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tags", s.tags)
	mux.HandleFunc("POST /api/chat", s.chat)
	s.Server = httptest.NewUnstartedServer(mux)
	if s.ln != nil {
		s.Server.Listener.Close()
		s.Server.Listener = s.ln
	}
	s.Server.Start()
	return s
}

// Requests returns the number of chat requests received.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// MaxInFlight returns the largest number of chat requests that were being
// answered at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// Asked returns how many chat requests carried this prompt.
func (s *Server) Asked(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[prompt]
}

func (s *Server) tags(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"models": []map[string]any{{
		"name": s.model, "model": s.model, "modified_at": "2024-05-01T10:00:00Z", "size": 4733363377,
		"details": map[string]any{"format": "gguf", "family": "llama", "families": []string{"llama", "clip"}},
	}}})
}

type chatRequest struct {
	Model    string `json:"model"`
	Stream   *bool  `json:"stream"`
	Messages []struct {
		Role    string   `json:"role"`
		Content string   `json:"content"`
		Images  []string `json:"images"`
	} `json:"messages"`
	Options struct {
		Temperature float64 `json:"temperature"`
		Seed        int64   `json:"seed"`
		NumPredict  int     `json:"num_predict"`
	} `json:"options"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body: " + err.Error()})
		return
	}
	if req.Model != s.model && req.Model+":latest" != s.model { // Ollama reads "llava" as "llava:latest"
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model)})
		return
	}
	if req.Stream == nil || *req.Stream || len(req.Messages) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "leaktest serves only non-streamed chats with a message"})
		return
	}
	msg := req.Messages[len(req.Messages)-1]
	q := Question{Model: req.Model, Prompt: msg.Content, Temperature: req.Options.Temperature,
		Seed: req.Options.Seed, NumPredict: req.Options.NumPredict}
	if len(msg.Images) > 0 {
		img, err := base64.StdEncoding.DecodeString(msg.Images[0])
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "illegal base64 data in image"})
			return
		}
		q.Image = img
	}
	s.mu.Lock()
	s.seen[q.Prompt]++
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	text, err := s.answer(q)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model":      s.model,
		"created_at": time.Now().UTC().Format(time.RFC3339Nano),
		"message":    map[string]string{"role": "assistant", "content": text},
		"done":       true, "done_reason": "stop",
		"total_duration": 4883583458, "load_duration": 1334875, "prompt_eval_count": 26,
		"prompt_eval_duration": 342546000, "eval_count": 282, "eval_duration": 4535599000,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
