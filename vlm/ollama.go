package vlm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultOllamaURL is the address NewOllama uses for an empty base URL.
const DefaultOllamaURL = "http://localhost:11434"

// Ollama is a client of Ollama's native chat API (POST /api/chat). It is
// safe for concurrent use.
type Ollama struct {
	core
}

var _ Client = (*Ollama)(nil)

// NewOllama returns a client that asks model (e.g. "llava:7b") at baseURL
// (e.g. "http://localhost:11434"; DefaultOllamaURL when empty).
func NewOllama(baseURL, model string, opts ...Option) (*Ollama, error) {
	if strings.TrimSpace(baseURL) == "" {
		baseURL = DefaultOllamaURL
	}
	c, err := newCore(BackendOllama, baseURL, model, opts)
	if err != nil {
		return nil, err
	}
	return &Ollama{core: c}, nil
}

// Backend returns "ollama".
func (o *Ollama) Backend() string { return BackendOllama }

// Model returns the model the client asks.
func (o *Ollama) Model() string { return o.model }

// ollamaRequest is the body of POST /api/chat.
type ollamaRequest struct {
	Model    string          `json:"model"`
	Messages []ollamaMessage `json:"messages"`
	Stream   bool            `json:"stream"`
	Options  ollamaOptions   `json:"options"`
}

type ollamaMessage struct {
	Role    string   `json:"role"`
	Content string   `json:"content"`
	Images  []string `json:"images,omitempty"`
}

// ollamaOptions are sent in full: a zero temperature must reach the server,
// whose own default is not zero.
type ollamaOptions struct {
	Temperature float64 `json:"temperature"`
	Seed        int64   `json:"seed"`
	NumPredict  int     `json:"num_predict"`
}

// ollamaChunk is one answer object; a streamed answer is NDJSON of them.
type ollamaChunk struct {
	Model   string `json:"model"`
	Message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"message"`
	Done       bool            `json:"done"`
	DoneReason string          `json:"done_reason"`
	Error      json.RawMessage `json:"error"`
}

// Ask sends req to /api/chat with "stream": false.
func (o *Ollama) Ask(ctx context.Context, req Request) (Response, error) {
	body, err := o.encode(req)
	if err != nil {
		return Response{Model: o.model}, &AskError{Backend: o.Backend(), Model: o.model, Err: err}
	}
	return o.ask(ctx, "/api/chat", body, parseOllama)
}

func (o *Ollama) encode(req Request) ([]byte, error) {
	if len(req.Image) == 0 && req.ImageURL != "" {
		return nil, fmt.Errorf("%w: Ollama takes inlined images only, not an image URL", ErrInvalid)
	}
	img, _, err := prepareImage(req.Image, req.MIME, o.cfg)
	if err != nil {
		return nil, err
	}
	opt := req.Options.Resolved()
	msg := ollamaMessage{Role: "user", Content: req.Prompt}
	if len(img) > 0 {
		msg.Images = []string{""} // filled in by spliceBase64
	}
	body, err := json.Marshal(ollamaRequest{
		Model:    o.model,
		Messages: []ollamaMessage{msg},
		Stream:   false,
		Options:  ollamaOptions{Temperature: opt.Temperature, Seed: opt.Seed, NumPredict: opt.MaxTokens},
	})
	if err != nil || len(img) == 0 {
		return body, err
	}
	return spliceBase64(body, []byte(`"images":["`), img)
}

// parseOllama reads an answer that is one JSON object or, from a server
// that streamed anyway, NDJSON chunks whose contents are joined. An error
// line anywhere fails the answer, and so does an answer that never says
// done.
func parseOllama(body []byte) (Response, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var text strings.Builder
	var resp Response
	chunks, done := 0, false
	for {
		var ch ollamaChunk
		err := dec.Decode(&ch)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Response{}, fmt.Errorf("%w: ollama answer: %w: %s", ErrBadResponse, err, snippet(body))
		}
		chunks++
		eb := errorBody{Error: ch.Error}
		if msg, typ, code, ok := eb.parse(); ok {
			return Response{}, &HTTPError{Status: 200, InBody: true, Message: msg, Type: typ, Code: code}
		}
		text.WriteString(ch.Message.Content)
		if ch.Model != "" {
			resp.Model = ch.Model
		}
		if ch.Done {
			done = true
			resp.FinishReason = ch.DoneReason
		}
	}
	if chunks == 0 {
		return Response{}, fmt.Errorf("%w: empty ollama answer", ErrBadResponse)
	}
	if !done {
		return Response{}, fmt.Errorf("%w: ollama answer ended before \"done\": true", ErrBadResponse)
	}
	resp.Text = text.String()
	return resp, nil
}

// ollamaTags is the answer of GET /api/tags.
type ollamaTags struct {
	Models []struct {
		Name  string `json:"name"`
		Model string `json:"model"`
	} `json:"models"`
}

// Health checks with GET /api/tags that the server is up and has the
// model. A model named without a tag matches its ":latest".
func (o *Ollama) Health(ctx context.Context) error {
	data, err := o.get(ctx, "/api/tags")
	if err != nil {
		return o.healthError(err)
	}
	var tags ollamaTags
	if err := json.Unmarshal(data, &tags); err != nil {
		return o.healthError(fmt.Errorf("%w: /api/tags: %w", ErrBadResponse, err))
	}
	want := o.model
	if !strings.Contains(want, ":") {
		want += ":latest"
	}
	var names []string
	for _, m := range tags.Models {
		if m.Name == o.model || m.Name == want || m.Model == o.model || m.Model == want {
			return nil
		}
		names = append(names, m.Name)
	}
	return o.modelNotFound(names)
}
