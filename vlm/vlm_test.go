package vlm_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/vlm"
)

const docsPrompt = "what is in this image?"

// backend describes one wire protocol for the table-driven tests.
type backend struct {
	name     string
	chatPath string
	newFn    func(url string, opts ...vlm.Option) (vlm.Client, error)
	// ok is the documented answer and the text it carries.
	ok       func(t testing.TB) step
	okText   string
	okModel  string
	model    string
	inStream func(t testing.TB) step // an error inside a 200 answer
}

var backends = []backend{
	{
		name:     "ollama",
		chatPath: "/api/chat",
		model:    "llava",
		newFn: func(url string, opts ...vlm.Option) (vlm.Client, error) {
			return vlm.NewOllama(url, "llava", opts...)
		},
		ok: func(t testing.TB) step {
			return replyJSON(200, fixture(t, "ollama_chat_images_response.json"))
		},
		okText:  " The image features a cute, little pig with an angry facial expression. It's wearing a heart on its shirt and is waving in the air. This scene appears to be part of a drawing or sketching project.",
		okModel: "llava",
		inStream: func(t testing.TB) step {
			return reply(200, "application/x-ndjson", fixture(t, "ollama_stream_error.ndjson"))
		},
	},
	{
		name:     "openai",
		chatPath: "/v1/chat/completions",
		model:    "llava-hf/llava-1.5-7b-hf",
		newFn: func(url string, opts ...vlm.Option) (vlm.Client, error) {
			return vlm.NewOpenAI(url+"/v1", "llava-hf/llava-1.5-7b-hf", opts...)
		},
		ok: func(t testing.TB) step {
			return replyJSON(200, fixture(t, "openai_chat_response.json"))
		},
		okText:  "The image shows a cartoon pig with an angry expression, wearing a heart on its shirt.",
		okModel: "llava-hf/llava-1.5-7b-hf",
		inStream: func(t testing.TB) step {
			return replyJSON(200, []byte(`{"object":"error","message":"CUDA out of memory","type":"InternalServerError","param":null,"code":500}`))
		},
	},
}

func TestAskDocumentedExchange(t *testing.T) {
	pig := fixture(t, "ollama_docs_pig.png")
	t.Setenv("PHANTOM_TEST_API_KEY", "sk-test-123")
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {be.ok(t)}})
			c, err := be.newFn(fs.URL, vlm.WithAPIKeyEnv("PHANTOM_TEST_API_KEY"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Ask(context.Background(), vlm.Request{Image: pig, Prompt: docsPrompt})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != be.okText || resp.Model != be.okModel || resp.Attempts != 1 || resp.Latency <= 0 {
				t.Errorf("got %+v, want text %q model %q after 1 attempt", resp, be.okText, be.okModel)
			}
			if c.Backend() != be.name || c.Model() != be.model {
				t.Errorf("Backend, Model = %q, %q", c.Backend(), c.Model())
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != be.chatPath {
				t.Errorf("%s %s, want POST %s", r.Method, r.Path, be.chatPath)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if a := r.Header.Get("Authorization"); a != "Bearer sk-test-123" {
				t.Errorf("Authorization %q", a)
			}
			if got := sentImage(t, be.name, r.Body); !bytes.Equal(got, pig) {
				t.Errorf("the image was not sent byte for byte (%d bytes sent, %d stored)", len(got), len(pig))
			}
			checkGolden(t, be.name+"_request.json", r.Body)
		})
	}
}

// sentImage extracts the image bytes from a request body of either
// protocol, checking the protocol's framing on the way.
func sentImage(t *testing.T, backend string, body []byte) []byte {
	t.Helper()
	var b64 string
	switch backend {
	case "ollama":
		var req struct {
			Messages []struct {
				Images []string `json:"images"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) != 1 || len(req.Messages[0].Images) != 1 {
			t.Fatalf("ollama body: %v %s", err, body)
		}
		b64 = req.Messages[0].Images[0]
	case "openai":
		var req struct {
			Messages []struct {
				Content []struct {
					Type     string `json:"type"`
					ImageURL struct {
						URL string `json:"url"`
					} `json:"image_url"`
				} `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) != 1 || len(req.Messages[0].Content) != 2 {
			t.Fatalf("openai body: %v %s", err, body)
		}
		part := req.Messages[0].Content[1]
		var ok bool
		_, b64, ok = strings.Cut(part.ImageURL.URL, ";base64,")
		if part.Type != "image_url" || !ok || !strings.HasPrefix(part.ImageURL.URL, "data:image/") {
			t.Fatalf("image part %+v", part)
		}
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDecodingOptions(t *testing.T) {
	tests := []struct {
		name        string
		opts        vlm.Options
		temperature float64
		seed        int64
		maxTokens   int
	}{
		{"zero value is the study default", vlm.Options{}, 0, vlm.DefaultSeed, vlm.DefaultMaxTokens},
		{"explicit", vlm.Options{Temperature: 0.7, Seed: 7, MaxTokens: 32}, 0.7, 7, 32},
	}
	for _, be := range backends {
		for _, tt := range tests {
			t.Run(be.name+"/"+tt.name, func(t *testing.T) {
				fs := newFakeServer(t, map[string][]step{be.chatPath: {be.ok(t)}})
				c, _ := be.newFn(fs.URL)
				if _, err := c.Ask(context.Background(), vlm.Request{Prompt: "hi", Options: tt.opts}); err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				if err := json.Unmarshal(fs.requests()[0].Body, &body); err != nil {
					t.Fatal(err)
				}
				if body["stream"] != false {
					t.Errorf("stream = %v, want false", body["stream"])
				}
				opt := body
				maxKey := "max_tokens"
				if be.name == "ollama" {
					opt, _ = body["options"].(map[string]any)
					maxKey = "num_predict"
				}
				if opt["temperature"] != tt.temperature || opt["seed"] != float64(tt.seed) || opt[maxKey] != float64(tt.maxTokens) {
					t.Errorf("sent %v, want temperature %v seed %v %s %v", opt, tt.temperature, tt.seed, maxKey, tt.maxTokens)
				}
			})
		}
	}
}

func TestFailures(t *testing.T) {
	type scenario struct {
		name     string
		steps    func(be backend) []step
		opts     []vlm.Option
		wantErr  []error // errors.Is targets; nil for success
		attempts int
		status   int // *HTTPError status expected in the chain, 0 for none
		waits    []time.Duration
	}
	httpDate := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	scenarios := []scenario{
		{
			name: "429 with Retry-After seconds, then ok",
			steps: func(be backend) []step {
				return []step{replyJSON(429, fixture(t, "openai_rate_limit_429.json"), "Retry-After", "2"), be.ok(t)}
			},
			attempts: 2,
			waits:    []time.Duration{2 * time.Second},
		},
		{
			name: "429 with Retry-After HTTP date, then ok",
			steps: func(be backend) []step {
				return []step{replyJSON(429, fixture(t, "openai_rate_limit_429.json"), "Retry-After", httpDate), be.ok(t)}
			},
			attempts: 2,
		},
		{
			name: "Retry-After capped",
			steps: func(be backend) []step {
				return []step{replyJSON(429, []byte(`{"error":"slow down"}`), "Retry-After", "3600"), be.ok(t)}
			},
			opts:     []vlm.Option{vlm.WithMaxRetryAfter(time.Minute)},
			attempts: 2,
			waits:    []time.Duration{time.Minute},
		},
		{
			name: "503 while loading, then ok",
			steps: func(be backend) []step {
				loading := replyJSON(503, fixture(t, "llamacpp_loading_503.json"))
				return []step{loading, loading, be.ok(t)}
			},
			attempts: 3,
		},
		{
			name:     "408, then ok",
			steps:    func(be backend) []step { return []step{replyJSON(408, []byte(`{"error":"timeout"}`)), be.ok(t)} },
			attempts: 2,
		},
		{
			name:     "timeout, then ok",
			steps:    func(be backend) []step { return []step{stall, be.ok(t)} },
			opts:     []vlm.Option{vlm.WithTimeout(100 * time.Millisecond)},
			attempts: 2,
		},
		{
			name:     "malformed JSON, then ok",
			steps:    func(be backend) []step { return []step{replyJSON(200, []byte(`{"model": "llava", "mess`)), be.ok(t)} },
			attempts: 2,
		},
		{
			name:     "connection reset, then ok",
			steps:    func(be backend) []step { return []step{resetConn, be.ok(t)} },
			attempts: 2,
		},
		{
			name:     "error inside a 200 answer, then ok",
			steps:    func(be backend) []step { return []step{be.inStream(t), be.ok(t)} },
			attempts: 2,
		},
		{
			name: "400 is permanent",
			steps: func(be backend) []step {
				return []step{replyJSON(400, []byte(`{"error":{"message":"invalid image","type":"invalid_request_error","param":null,"code":null}}`))}
			},
			wantErr:  []error{vlm.ErrPermanent},
			attempts: 1,
			status:   400,
		},
		{
			name:     "404 model not found (Ollama shape)",
			steps:    func(be backend) []step { return []step{replyJSON(404, fixture(t, "ollama_model_not_found.json"))} },
			wantErr:  []error{vlm.ErrPermanent, vlm.ErrModelNotFound},
			attempts: 1,
			status:   404,
		},
		{
			name:     "404 model not found (vLLM shape)",
			steps:    func(be backend) []step { return []step{replyJSON(404, fixture(t, "vllm_error_model_not_found.json"))} },
			wantErr:  []error{vlm.ErrPermanent, vlm.ErrModelNotFound},
			attempts: 1,
			status:   404,
		},
		{
			name: "404 model not found (OpenAI shape)",
			steps: func(be backend) []step {
				return []step{replyJSON(404, fixture(t, "openai_error_model_not_found.json"))}
			},
			wantErr:  []error{vlm.ErrPermanent, vlm.ErrModelNotFound},
			attempts: 1,
			status:   404,
		},
		{
			name:     "500 every time exhausts the attempts",
			steps:    func(be backend) []step { return []step{replyJSON(500, []byte(`{"error":"boom"}`))} },
			wantErr:  []error{},
			attempts: vlm.DefaultMaxAttempts,
			status:   500,
		},
		{
			name:     "reset every time",
			steps:    func(be backend) []step { return []step{resetConn} },
			opts:     []vlm.Option{vlm.WithMaxAttempts(3)},
			wantErr:  []error{vlm.ErrConnection},
			attempts: 3,
		},
		{
			name:     "malformed every time",
			steps:    func(be backend) []step { return []step{reply(200, "text/html", []byte("<html>Bad Gateway</html>"))} },
			wantErr:  []error{vlm.ErrBadResponse},
			attempts: vlm.DefaultMaxAttempts,
		},
	}
	for _, be := range backends {
		for _, sc := range scenarios {
			t.Run(be.name+"/"+sc.name, func(t *testing.T) {
				fs := newFakeServer(t, map[string][]step{be.chatPath: sc.steps(be)})
				sleep, waits := recordSleeps()
				opts := append([]vlm.Option{vlm.WithSleep(sleep), vlm.WithTimeout(5 * time.Second)}, sc.opts...)
				c, err := be.newFn(fs.URL, opts...)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.Ask(context.Background(), vlm.Request{Image: fixture(t, "ollama_docs_pig.png"), Prompt: docsPrompt})
				if resp.Attempts != sc.attempts {
					t.Errorf("Response.Attempts = %d, want %d (err %v)", resp.Attempts, sc.attempts, err)
				}
				if n := fs.count(be.chatPath); n != sc.attempts {
					t.Errorf("server saw %d requests, want %d", n, sc.attempts)
				}
				if sc.wantErr == nil {
					if err != nil {
						t.Fatalf("Ask: %v", err)
					}
					if resp.Text != be.okText {
						t.Errorf("text %q", resp.Text)
					}
				} else {
					if err == nil {
						t.Fatalf("Ask succeeded with %q, want an error", resp.Text)
					}
					for _, target := range sc.wantErr {
						if !errors.Is(err, target) {
							t.Errorf("error %v is not %v", err, target)
						}
					}
					if got := vlm.Attempts(err); got != sc.attempts {
						t.Errorf("vlm.Attempts(err) = %d, want %d", got, sc.attempts)
					}
					var he *vlm.HTTPError
					if sc.status != 0 && (!errors.As(err, &he) || he.Status != sc.status) {
						t.Errorf("error %v does not carry HTTP status %d", err, sc.status)
					}
				}
				if sc.waits != nil {
					if got := waits(); fmt.Sprint(got) != fmt.Sprint(sc.waits) {
						t.Errorf("waits %v, want %v", got, sc.waits)
					}
				}
				if len(waits()) != sc.attempts-1 {
					t.Errorf("%d waits for %d attempts", len(waits()), sc.attempts)
				}
			})
		}
	}
}

func TestRetryAfterHTTPDateWait(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := vlm.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name, body, msg, typ, code string
		ok                         bool
	}{
		{"ollama", `{"error":"model \"x\" not found, try pulling it first"}`, `model "x" not found, try pulling it first`, "", "", true},
		{"openai", `{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, "bad", "invalid_request_error", "model_not_found", true},
		{"openai numeric code", `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`, "Loading model", "unavailable_error", "503", true},
		{"vllm", `{"object":"error","message":"The model does not exist.","type":"NotFoundError","param":null,"code":404}`, "The model does not exist.", "NotFoundError", "404", true},
		{"answer", `{"model":"llava","done":true}`, "", "", "", false},
		{"null error", `{"error":null,"choices":[]}`, "", "", "", false},
		{"not JSON", `upstream connect error`, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, typ, code, ok := vlm.ParseErrorBody([]byte(tt.body))
			if msg != tt.msg || typ != tt.typ || code != tt.code || ok != tt.ok {
				t.Errorf("got %q %q %q %v, want %q %q %q %v", msg, typ, code, ok, tt.msg, tt.typ, tt.code, tt.ok)
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	base, max := 10*time.Millisecond, 30*time.Millisecond
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {replyJSON(502, []byte(`bad gateway`))}})
			sleep, waits := recordSleeps()
			var hooked []vlm.RetryEvent
			c, _ := be.newFn(fs.URL, vlm.WithSleep(sleep), vlm.WithBackoff(base, max), vlm.WithMaxAttempts(6),
				vlm.WithRetryHook(func(e vlm.RetryEvent) { hooked = append(hooked, e) }))
			_, err := c.Ask(context.Background(), vlm.Request{Prompt: "hi"})
			if vlm.Attempts(err) != 6 {
				t.Fatalf("attempts %d (%v)", vlm.Attempts(err), err)
			}
			got := waits()
			ceil := []time.Duration{10, 20, 30, 30, 30}
			for i, d := range got {
				hi := ceil[i] * time.Millisecond
				if d < hi/2 || d > hi {
					t.Errorf("wait %d = %v, want in [%v, %v]", i+1, d, hi/2, hi)
				}
				if hooked[i].Attempt != i+1 || hooked[i].Wait != d || hooked[i].Err == nil {
					t.Errorf("hook event %d = %+v", i, hooked[i])
				}
			}
			if len(got) != 5 || len(hooked) != 5 {
				t.Errorf("%d waits, %d hook events, want 5", len(got), len(hooked))
			}
		})
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {replyJSON(503, fixture(t, "llamacpp_loading_503.json"))}})
			c, _ := be.newFn(fs.URL, vlm.WithBackoff(time.Minute, time.Minute))
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			resp, err := c.Ask(ctx, vlm.Request{Prompt: "hi"})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
			var he *vlm.HTTPError
			if !errors.As(err, &he) || he.Status != 503 {
				t.Errorf("error %v should still carry the last cause (503)", err)
			}
			if resp.Attempts != 1 || time.Since(start) > 5*time.Second {
				t.Errorf("attempts %d after %v", resp.Attempts, time.Since(start))
			}
		})
	}
}

func TestCancelDuringRequestIsNotRetried(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {stall}})
			c, _ := be.newFn(fs.URL)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := c.Ask(ctx, vlm.Request{Prompt: "hi"})
			if !errors.Is(err, context.DeadlineExceeded) || vlm.Attempts(err) != 1 {
				t.Errorf("error %v after %d attempts, want the caller's deadline after 1", err, vlm.Attempts(err))
			}
		})
	}
}

func TestServerDown(t *testing.T) {
	fs := newFakeServer(t, nil)
	url := fs.URL
	fs.Close()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			sleep, _ := recordSleeps()
			c, _ := be.newFn(url, vlm.WithSleep(sleep))
			_, err := c.Ask(context.Background(), vlm.Request{Prompt: "hi"})
			if !errors.Is(err, vlm.ErrServerDown) || vlm.Attempts(err) != vlm.DefaultMaxAttempts {
				t.Errorf("Ask: %v after %d attempts", err, vlm.Attempts(err))
			}
			err = c.Health(context.Background())
			if !errors.Is(err, vlm.ErrServerDown) || !strings.Contains(err.Error(), "server down at "+url) {
				t.Errorf("Health: %v", err)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	tags := replyJSON(200, fixture(t, "ollama_tags.json"))
	models := replyJSON(200, fixture(t, "openai_models.json"))
	tests := []struct {
		name    string
		newFn   func(url string) (vlm.Client, error)
		script  map[string][]step
		wantErr error
		wantMsg string
	}{
		{"ollama untagged name matches latest", func(u string) (vlm.Client, error) { return vlm.NewOllama(u, "llava") },
			map[string][]step{"/api/tags": {tags}}, nil, ""},
		{"ollama exact tag", func(u string) (vlm.Client, error) { return vlm.NewOllama(u, "codellama:13b") },
			map[string][]step{"/api/tags": {tags}}, nil, ""},
		{"ollama missing model", func(u string) (vlm.Client, error) { return vlm.NewOllama(u, "llava:13b") },
			map[string][]step{"/api/tags": {tags}}, vlm.ErrModelNotFound,
			`model "llava:13b" not loaded; available: codellama:13b, llava:latest`},
		{"openai listed", func(u string) (vlm.Client, error) { return vlm.NewOpenAI(u, "llava-hf/llava-1.5-7b-hf") },
			map[string][]step{"/v1/models": {models}}, nil, ""},
		{"openai missing model", func(u string) (vlm.Client, error) { return vlm.NewOpenAI(u, "Qwen/Qwen2-VL-7B") },
			map[string][]step{"/v1/models": {models}}, vlm.ErrModelNotFound,
			`model "Qwen/Qwen2-VL-7B" not loaded; available: llava-hf/llava-1.5-7b-hf`},
		{"openai loading", func(u string) (vlm.Client, error) { return vlm.NewOpenAI(u, "m") },
			map[string][]step{"/v1/models": {replyJSON(503, fixture(t, "llamacpp_loading_503.json"))}}, nil, "HTTP 503 Service Unavailable: Loading model"},
		{"openai unauthorized", func(u string) (vlm.Client, error) { return vlm.NewOpenAI(u, "m") },
			map[string][]step{"/v1/models": {replyJSON(401, []byte(`{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`))}},
			vlm.ErrPermanent, "Incorrect API key provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t, tt.script)
			c, err := tt.newFn(fs.URL)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Health(context.Background())
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("Health succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if mnf, ok := errors.AsType[*vlm.ModelNotFoundError](err); ok != (tt.wantErr == vlm.ErrModelNotFound) || (ok && len(mnf.Available) == 0) {
				t.Errorf("error %v: *ModelNotFoundError %v %+v", err, ok, mnf)
			}
		})
	}
}

func TestStreamedAnswers(t *testing.T) {
	tests := []struct {
		name   string
		newFn  func(url string) (vlm.Client, error)
		path   string
		step   step
		text   string
		finish string
	}{
		{"ollama NDJSON", func(u string) (vlm.Client, error) { return vlm.NewOllama(u, "llava") }, "/api/chat",
			reply(200, "application/x-ndjson", fixture(t, "ollama_chat_stream.ndjson")), " The image features a cute, little pig.", "stop"},
		{"openai SSE", func(u string) (vlm.Client, error) { return vlm.NewOpenAI(u, "llava-hf/llava-1.5-7b-hf") }, "/v1/chat/completions",
			reply(200, "text/event-stream", fixture(t, "openai_chat_stream.sse")), "The image shows a cartoon pig.", "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{tt.path: {tt.step}})
			c, _ := tt.newFn(fs.URL)
			resp, err := c.Ask(context.Background(), vlm.Request{Prompt: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != tt.text || resp.FinishReason != tt.finish {
				t.Errorf("got %q (%q), want %q (%q)", resp.Text, resp.FinishReason, tt.text, tt.finish)
			}
		})
	}
}

func TestTruncatedStreamIsRetried(t *testing.T) {
	full := fixture(t, "ollama_chat_stream.ndjson")
	cut := full[:bytes.LastIndexByte(full[:len(full)-1], '\n')+1] // drop the done line
	sse := fixture(t, "openai_chat_stream.sse")
	sseCut := sse[:bytes.Index(sse, []byte(`{"content":" a cartoon`))-60]
	sseCut = sseCut[:bytes.LastIndex(sseCut, []byte("\n\n"))+2]
	tests := []struct {
		name  string
		newFn func(url string, opts ...vlm.Option) (vlm.Client, error)
		path  string
		body  []byte
	}{
		{"ollama", func(u string, o ...vlm.Option) (vlm.Client, error) { return vlm.NewOllama(u, "llava", o...) }, "/api/chat", cut},
		{"openai", func(u string, o ...vlm.Option) (vlm.Client, error) { return vlm.NewOpenAI(u, "m", o...) }, "/v1/chat/completions", sseCut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{tt.path: {reply(200, "application/x-ndjson", tt.body)}})
			sleep, _ := recordSleeps()
			c, _ := tt.newFn(fs.URL, vlm.WithSleep(sleep), vlm.WithMaxAttempts(2))
			_, err := c.Ask(context.Background(), vlm.Request{Prompt: "hi"})
			if !errors.Is(err, vlm.ErrBadResponse) || vlm.Attempts(err) != 2 {
				t.Errorf("error %v after %d attempts, want ErrBadResponse after 2", err, vlm.Attempts(err))
			}
		})
	}
}

func TestConcurrentAsks(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {be.ok(t)}})
			c, _ := be.newFn(fs.URL)
			img := fixture(t, "ollama_docs_pig.png")
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for i := range 64 {
				wg.Go(func() {
					resp, err := c.Ask(context.Background(), vlm.Request{Image: img, Prompt: fmt.Sprint("q", i)})
					if err == nil && resp.Text != be.okText {
						err = fmt.Errorf("text %q", resp.Text)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if n := fs.count(be.chatPath); n != 64 {
				t.Errorf("%d requests, want 64", n)
			}
		})
	}
}

func TestConstructorErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   func() error
	}{
		{"empty model", func() error { _, err := vlm.NewOllama("", ""); return err }},
		{"bad URL", func() error { _, err := vlm.NewOpenAI("localhost:8000", "m"); return err }},
		{"zero attempts", func() error { _, err := vlm.NewOllama("", "m", vlm.WithMaxAttempts(0)); return err }},
		{"bad backoff", func() error {
			_, err := vlm.NewOllama("", "m", vlm.WithBackoff(time.Second, time.Millisecond))
			return err
		}},
		{"unknown backend", func() error { _, err := vlm.New("grpc", "http://x", "m"); return err }},
	}
	for _, tt := range tests {
		if err := tt.fn(); !errors.Is(err, vlm.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tt.name, err)
		}
	}
	if c, err := vlm.New("ollama", "", "llava"); err != nil || c.Backend() != "ollama" {
		t.Errorf("New(ollama): %v", err)
	}
}

func TestImageNotAnImage(t *testing.T) {
	fs := newFakeServer(t, nil)
	c, _ := vlm.NewOllama(fs.URL, "llava")
	_, err := c.Ask(context.Background(), vlm.Request{Image: []byte("not an image at all"), Prompt: "hi"})
	if !errors.Is(err, vlm.ErrImage) || len(fs.requests()) != 0 {
		t.Errorf("error %v, %d requests; want ErrImage and none sent", err, len(fs.requests()))
	}
}

func TestOversizedImageIsDownscaled(t *testing.T) {
	pig := fixture(t, "ollama_docs_pig.png") // 109×102 PNG, 3648 bytes
	tests := []struct {
		name              string
		maxBytes, maxSide int
		wantMaxSide       int
	}{
		{"over the byte limit", 3000, 0, 109},
		{"over the side limit", 0, 50, 50},
		{"both", 20 << 20, 64, 64},
	}
	for _, be := range backends {
		for _, tt := range tests {
			t.Run(be.name+"/"+tt.name, func(t *testing.T) {
				fs := newFakeServer(t, map[string][]step{be.chatPath: {be.ok(t)}})
				c, _ := be.newFn(fs.URL, vlm.WithImageLimit(tt.maxBytes, tt.maxSide))
				if _, err := c.Ask(context.Background(), vlm.Request{Image: pig, Prompt: "hi"}); err != nil {
					t.Fatal(err)
				}
				body := fs.requests()[0].Body
				sent := sentImage(t, be.name, body)
				img, format, err := image.Decode(bytes.NewReader(sent))
				if err != nil || format != "jpeg" {
					t.Fatalf("sent image: %v (%s)", err, format)
				}
				b := img.Bounds()
				if tt.maxBytes > 0 && len(sent) > tt.maxBytes {
					t.Errorf("sent %d bytes, limit %d", len(sent), tt.maxBytes)
				}
				if side := max(b.Dx(), b.Dy()); side > tt.wantMaxSide || (tt.maxSide > 0 && side != tt.maxSide) {
					t.Errorf("sent %v, want longer side at most %d", b, tt.wantMaxSide)
				}
				if be.name == "openai" && !bytes.Contains(body, []byte(`"url":"data:image/jpeg;base64,`)) {
					t.Error("downscaled image not labelled image/jpeg")
				}
			})
		}
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	ct.n++
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestWithHTTPClient(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {be.ok(t)}})
			ct := &countingTransport{}
			c, err := be.newFn(fs.URL, vlm.WithHTTPClient(&http.Client{Transport: ct}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Ask(context.Background(), vlm.Request{Prompt: "hi"}); err != nil {
				t.Fatal(err)
			}
			if ct.n != 1 {
				t.Errorf("the given client carried %d requests, want 1", ct.n)
			}
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestNoWaitPastTheDeadline(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fs := newFakeServer(t, map[string][]step{be.chatPath: {replyJSON(429, []byte(`{"error":"slow down"}`), "Retry-After", "30"), be.ok(t)}})
			c, _ := be.newFn(fs.URL)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.Ask(ctx, vlm.Request{Prompt: "hi"})
			var he *vlm.HTTPError
			if !errors.As(err, &he) || he.Status != 429 || vlm.Attempts(err) != 1 {
				t.Errorf("error %v after %d attempts, want the 429 after 1", err, vlm.Attempts(err))
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v: waited into the deadline", d)
			}
		})
	}
}
