// Package vlm asks vision-language models served over HTTP about images.
//
// Two clients implement the one small [Client] interface:
//
//   - [Ollama] speaks Ollama's native /api/chat (images as raw base64,
//     "stream": false, options.temperature, options.seed, options.num_predict).
//   - [OpenAI] speaks the OpenAI-compatible /v1/chat/completions served by
//     vLLM, llama.cpp's llama-server, LM Studio and Ollama's /v1 (images as
//     data: URLs in content parts, temperature, seed, max_tokens).
//
// Decoding is deterministic by default: the zero [Options] mean temperature
// 0, seed [DefaultSeed] and [DefaultMaxTokens] tokens.
//
// Images are sent byte for byte as given, never re-encoded, unless they are
// larger than the client's image limit (see [WithImageLimit]); only then are
// they decoded, downscaled and re-encoded as JPEG.
//
// Both clients retry connection errors, per-attempt timeouts, malformed or
// truncated bodies, errors reported inside a 200 answer, and HTTP 408, 429
// and 5xx, with jittered exponential backoff, honouring Retry-After (seconds
// or an HTTP date); any other 4xx fails at once. The caller's context is
// honoured during requests and during backoff. A failed Ask returns an
// [*AskError] that carries the number of attempts and wraps the last cause,
// which callers test with errors.Is against the sentinel errors
// ([ErrServerDown], [ErrModelNotFound], [ErrPermanent], ...) or with errors.As
// against [*HTTPError].
//
// The clients use net/http only and are safe for concurrent use by multiple
// goroutines; share one client per server and model.
package vlm

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Study defaults for deterministic decoding.
const (
	// DefaultSeed is the sampling seed sent when Options.Seed is zero.
	DefaultSeed int64 = 42
	// DefaultMaxTokens is the answer length limit sent when
	// Options.MaxTokens is zero.
	DefaultMaxTokens = 256
)

// Request is one question about one image.
type Request struct {
	// Image is the encoded image (JPEG, PNG, GIF or WebP), sent as given
	// unless it exceeds the client's image limit. It may be empty for a
	// text-only question.
	Image []byte
	// MIME is the image's media type, e.g. "image/jpeg". When empty it is
	// detected from the bytes.
	MIME string
	// ImageURL, when set and Image is empty, is sent as the image's URL
	// instead of inlined bytes: an https:// URL a hosted API fetches, or a
	// file:// URL that vLLM reads when started with
	// --allowed-local-media-path. Only the OpenAI-compatible client sends
	// it; Ollama takes inlined images only.
	ImageURL string
	// Prompt is the question, sent as the user message's text.
	Prompt string
	// Options are the decoding options.
	Options Options
}

// Options are the decoding options; the zero value means the study's
// deterministic defaults: temperature 0, seed DefaultSeed, DefaultMaxTokens.
type Options struct {
	// Temperature is the sampling temperature; 0 is greedy decoding.
	Temperature float64
	// Seed is the sampling seed; 0 means DefaultSeed.
	Seed int64
	// MaxTokens limits the answer's length in tokens; 0 means
	// DefaultMaxTokens.
	MaxTokens int
}

// Resolved returns o with the defaults filled in: the values actually sent.
// Callers that key results by decoding options should key by Resolved.
func (o Options) Resolved() Options {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	return o
}

// Response is a model's answer.
type Response struct {
	// Text is the answer, as the server returned it.
	Text string
	// Model is the model name the server reported, or the client's model
	// when the server reported none.
	Model string
	// FinishReason is why generation stopped when the server says
	// ("stop", "length", ...); empty when it does not.
	FinishReason string
	// Attempts is the number of HTTP attempts made, retries included. It is
	// also set when Ask fails.
	Attempts int
	// Latency is the wall time of the whole Ask, retries and backoff
	// included. It is also set when Ask fails.
	Latency time.Duration
}

// Client asks one model on one server. Implementations are safe for
// concurrent use. Close releases the client's idle connections; the client
// is not to be used after it.
type Client interface {
	io.Closer
	// Ask sends one request, retrying transient failures. On failure the
	// returned Response still carries Attempts and Latency, and the error
	// is an *AskError.
	Ask(ctx context.Context, req Request) (Response, error)
	// Health checks, with one attempt, that the server answers and serves
	// the client's model. It returns an error wrapping ErrServerDown when
	// the server cannot be reached and ErrModelNotFound (naming the
	// available models) when the model is not there.
	Health(ctx context.Context) error
	// Backend names the wire protocol: "ollama" or "openai".
	Backend() string
	// Model is the server's model id the client asks.
	Model() string
}

// Backend names.
const (
	BackendOllama = "ollama"
	BackendOpenAI = "openai"
)

// New returns the client for backend ("ollama" or "openai"), for callers
// that pick the backend from configuration.
func New(backend, baseURL, model string, opts ...Option) (Client, error) {
	switch backend {
	case BackendOllama:
		return NewOllama(baseURL, model, opts...)
	case BackendOpenAI:
		return NewOpenAI(baseURL, model, opts...)
	default:
		return nil, fmt.Errorf("vlm: %w: unknown backend %q (want %q or %q)", ErrInvalid, backend, BackendOllama, BackendOpenAI)
	}
}
