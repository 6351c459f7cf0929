package vlm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// OpenAI is a client of the OpenAI-compatible chat completions API (POST
// /v1/chat/completions) served by vLLM, llama.cpp's llama-server, LM Studio
// and Ollama's /v1. It is safe for concurrent use.
type OpenAI struct {
	core
}

var _ Client = (*OpenAI)(nil)

// NewOpenAI returns a client that asks model at baseURL, given with or
// without the trailing /v1 (e.g. "http://localhost:8000" or
// "http://localhost:8000/v1"). Use WithAPIKeyEnv for servers that want a
// key.
func NewOpenAI(baseURL, model string, opts ...Option) (*OpenAI, error) {
	u := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	u = strings.TrimSuffix(u, "/v1")
	c, err := newCore(BackendOpenAI, u, model, opts)
	if err != nil {
		return nil, err
	}
	return &OpenAI{core: c}, nil
}

// Backend returns "openai".
func (o *OpenAI) Backend() string { return BackendOpenAI }

// Model returns the model the client asks.
func (o *OpenAI) Model() string { return o.model }

// openaiRequest is the body of POST /v1/chat/completions. Temperature and
// seed are always sent.
type openaiRequest struct {
	Model       string          `json:"model"`
	Messages    []openaiMessage `json:"messages"`
	Temperature float64         `json:"temperature"`
	Seed        int64           `json:"seed"`
	MaxTokens   int             `json:"max_tokens"`
	Stream      bool            `json:"stream"`
}

type openaiMessage struct {
	Role    string       `json:"role"`
	Content []openaiPart `json:"content"`
}

type openaiPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text,omitempty"`
	ImageURL *openaiImageURL `json:"image_url,omitempty"`
}

type openaiImageURL struct {
	URL string `json:"url"`
}

// openaiAnswer is a chat completion, or one streamed chunk of one, or an
// error object in either shape.
type openaiAnswer struct {
	errorBody
	Model   string `json:"model"`
	Choices []struct {
		Message      *openaiAnswerMessage `json:"message"`
		Delta        *openaiAnswerMessage `json:"delta"`
		FinishReason *string              `json:"finish_reason"`
	} `json:"choices"`
}

type openaiAnswerMessage struct {
	Content json.RawMessage `json:"content"`
}

// ChatPath is the path Ask posts to, and the "url" of a batch file's lines.
const ChatPath = "/v1/chat/completions"

// Ask sends req to /v1/chat/completions with "stream": false.
func (o *OpenAI) Ask(ctx context.Context, req Request) (Response, error) {
	body, err := o.ChatRequest(req)
	if err != nil {
		return Response{Model: o.model}, &AskError{Backend: o.Backend(), Model: o.model, Err: err}
	}
	return o.ask(ctx, ChatPath, body, parseOpenAI)
}

// ChatRequest returns the JSON body that Ask posts for req, byte for byte:
// the image downscaled as Ask would and inlined as a data URL (or req.ImageURL
// when Image is empty), the prompt, and the resolved decoding options. It is
// the "body" of an OpenAI batch file's line.
func (o *OpenAI) ChatRequest(req Request) ([]byte, error) {
	img, mime, err := prepareImage(req.Image, req.MIME, o.cfg)
	if err != nil {
		return nil, err
	}
	opt := req.Options.Resolved()
	parts := []openaiPart{{Type: "text", Text: req.Prompt}}
	prefix := "data:" + mime + ";base64,"
	switch {
	case len(img) > 0:
		// The base64 data is filled in by spliceBase64.
		parts = append(parts, openaiPart{Type: "image_url", ImageURL: &openaiImageURL{URL: prefix}})
	case req.ImageURL != "":
		parts = append(parts, openaiPart{Type: "image_url", ImageURL: &openaiImageURL{URL: req.ImageURL}})
	}
	body, err := json.Marshal(openaiRequest{
		Model:       o.model,
		Messages:    []openaiMessage{{Role: "user", Content: parts}},
		Temperature: opt.Temperature,
		Seed:        opt.Seed,
		MaxTokens:   opt.MaxTokens,
		Stream:      false,
	})
	if err != nil || len(img) == 0 {
		return body, err
	}
	marker, err := json.Marshal(prefix)
	if err != nil {
		return nil, err
	}
	return spliceBase64(body, append([]byte(`"url":`), marker[:len(marker)-1]...), img)
}

// ParseChatCompletion reads the body of a chat completion as Ask does: the
// answer's text, the model and the finish reason. An error object inside
// the body (as some servers send with status 200) is an *HTTPError; a body
// that is not a chat completion wraps ErrBadResponse. Batch output lines
// carry such a body.
func ParseChatCompletion(body []byte) (Response, error) { return parseOpenAI(body) }

// parseOpenAI reads a chat completion. It also accepts a server-sent event
// stream of chunks (from a server that streamed anyway), and fails on an
// error object inside a 200 answer.
func parseOpenAI(body []byte) (Response, error) {
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("data:")) || bytes.HasPrefix(trimmed, []byte("event:")) || bytes.HasPrefix(trimmed, []byte(":")) {
		return parseOpenAIStream(trimmed)
	}
	var a openaiAnswer
	if err := json.Unmarshal(trimmed, &a); err != nil {
		return Response{}, fmt.Errorf("%w: chat completion: %w: %s", ErrBadResponse, err, snippet(body))
	}
	if err := a.inBodyError(); err != nil {
		return Response{}, err
	}
	if len(a.Choices) == 0 || a.Choices[0].Message == nil {
		return Response{}, fmt.Errorf("%w: chat completion without choices: %s", ErrBadResponse, snippet(body))
	}
	text, err := contentText(a.Choices[0].Message.Content)
	if err != nil {
		return Response{}, err
	}
	resp := Response{Text: text, Model: a.Model}
	if fr := a.Choices[0].FinishReason; fr != nil {
		resp.FinishReason = *fr
	}
	return resp, nil
}

func (a *openaiAnswer) inBodyError() error {
	if msg, typ, code, ok := a.errorBody.parse(); ok {
		return &HTTPError{Status: 200, InBody: true, Message: msg, Type: typ, Code: code}
	}
	return nil
}

// parseOpenAIStream joins the deltas of an SSE stream of chunks.
func parseOpenAIStream(body []byte) (Response, error) {
	var text strings.Builder
	var resp Response
	chunks, done := 0, false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), maxBodyBytes)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue // blank separators, comments, event names
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			done = true
			break
		}
		var a openaiAnswer
		if err := json.Unmarshal(data, &a); err != nil {
			return Response{}, fmt.Errorf("%w: stream chunk: %w: %s", ErrBadResponse, err, snippet(data))
		}
		if err := a.inBodyError(); err != nil {
			return Response{}, err
		}
		chunks++
		if a.Model != "" {
			resp.Model = a.Model
		}
		for _, ch := range a.Choices {
			m := ch.Delta
			if m == nil {
				m = ch.Message
			}
			if m != nil {
				t, err := contentText(m.Content)
				if err != nil {
					return Response{}, err
				}
				text.WriteString(t)
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				resp.FinishReason = *ch.FinishReason
				done = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Response{}, fmt.Errorf("%w: stream: %w", ErrBadResponse, err)
	}
	if chunks == 0 || !done {
		return Response{}, fmt.Errorf("%w: stream ended before it finished", ErrBadResponse)
	}
	resp.Text = text.String()
	return resp, nil
}

// contentText reads a message content that is a string, null, or an array
// of content parts.
func contentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("%w: message content: %w", ErrBadResponse, err)
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// openaiModels is the answer of GET /v1/models.
type openaiModels struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
}

// Health checks with GET /v1/models that the server is up and lists the
// model.
func (o *OpenAI) Health(ctx context.Context) error {
	data, err := o.get(ctx, "/v1/models")
	if err != nil {
		return o.healthError(err)
	}
	var ms openaiModels
	if err := json.Unmarshal(data, &ms); err != nil {
		return o.healthError(fmt.Errorf("%w: /v1/models: %w", ErrBadResponse, err))
	}
	var ids []string
	for _, m := range ms.Data {
		if m.ID == o.model {
			return nil
		}
		ids = append(ids, m.ID)
	}
	return o.modelNotFound(ids)
}
