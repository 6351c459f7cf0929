package vlm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Errors returned by the clients wrap one of them where it
// applies; test with errors.Is.
var (
	// ErrServerDown: the server could not be reached (connection refused,
	// unknown host).
	ErrServerDown = errors.New("server down")
	// ErrConnection: the connection broke during the exchange (reset,
	// unexpected EOF). Retried.
	ErrConnection = errors.New("connection failed")
	// ErrTimeout: an attempt ran past the per-attempt timeout. Retried.
	ErrTimeout = errors.New("request timed out")
	// ErrModelNotFound: the server does not serve the client's model.
	ErrModelNotFound = errors.New("model not found")
	// ErrPermanent: the server refused the request with a status that
	// retrying cannot fix (a 4xx other than 408 and 429). Not retried.
	ErrPermanent = errors.New("permanent failure")
	// ErrBadResponse: the server answered with a body that is not the
	// protocol's JSON, or with no answer in it. Retried.
	ErrBadResponse = errors.New("malformed response")
	// ErrImage: the image could not be prepared (unknown format, or over the
	// limit and undecodable). Not retried.
	ErrImage = errors.New("bad image")
	// ErrInvalid: a bad argument to a constructor or option.
	ErrInvalid = errors.New("invalid argument")
)

// HTTPError is an error status from the server, or an error reported
// inside a 200 answer (Status 200, InBody true), with the message parsed
// from any of the error shapes: Ollama's {"error": "..."}, OpenAI's
// {"error": {"message", "type", "code"}} and vLLM's {"object": "error",
// "message", "type", "code"}.
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the server's error message, or the start of the raw body
	// when it has no recognised error shape.
	Message string
	// Type and Code are the OpenAI-style error type and code, when given.
	Type string
	Code string
	// InBody is true for an error line inside a 200 answer.
	InBody bool
	// RetryAfter is the wait the server asked for with Retry-After; 0 when
	// it asked for none.
	RetryAfter time.Duration
}

// Error describes the status, the server's message, and its type and code.
func (e *HTTPError) Error() string {
	var b strings.Builder
	if e.InBody {
		fmt.Fprintf(&b, "error in %d answer", e.Status)
	} else {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" " + t)
		}
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Type != "" || e.Code != "" {
		fmt.Fprintf(&b, " (type %q, code %q)", e.Type, e.Code)
	}
	return b.String()
}

// Retryable reports whether the request may succeed if sent again: 408,
// 429, 5xx, and errors reported inside a 200 answer.
func (e *HTTPError) Retryable() bool {
	return e.InBody || e.Status == http.StatusRequestTimeout ||
		e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Is makes errors.Is(err, ErrPermanent) true for non-retryable statuses and
// errors.Is(err, ErrModelNotFound) true for a 404 that names a model.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return !e.Retryable()
	case ErrModelNotFound:
		if e.Code == "model_not_found" {
			return true
		}
		return e.Status == http.StatusNotFound && strings.Contains(strings.ToLower(e.Message), "model")
	}
	return false
}

// ModelNotFoundError is Health's error for a server that answers but does
// not serve the client's model. It matches ErrModelNotFound with errors.Is.
type ModelNotFoundError struct {
	Backend string
	URL     string
	Model   string
	// Available lists the models the server does serve.
	Available []string
}

// Error names the model, the server and the models it does serve.
func (e *ModelNotFoundError) Error() string {
	list := "none"
	if len(e.Available) > 0 {
		list = strings.Join(e.Available, ", ")
	}
	return fmt.Sprintf("vlm: %s at %s: model %q not loaded; available: %s", e.Backend, e.URL, e.Model, list)
}

// Unwrap returns ErrModelNotFound.
func (e *ModelNotFoundError) Unwrap() error { return ErrModelNotFound }

// AskError is the error of a failed Ask: the last attempt's cause and how
// many attempts were made.
type AskError struct {
	Backend  string
	Model    string
	Attempts int
	Err      error
}

// Error names the backend, the model, the attempts and the last cause.
func (e *AskError) Error() string {
	s := "s"
	if e.Attempts == 1 {
		s = ""
	}
	return fmt.Sprintf("vlm: %s %s: %d attempt%s: %v", e.Backend, e.Model, e.Attempts, s, e.Err)
}

// Unwrap returns the last attempt's cause.
func (e *AskError) Unwrap() error { return e.Err }

// Attempts returns the number of attempts recorded in err's chain, or 0.
func Attempts(err error) int {
	if ae, ok := errors.AsType[*AskError](err); ok {
		return ae.Attempts
	}
	return 0
}

// errorBody matches all the error shapes: "error" is a string (Ollama) or
// an object (OpenAI); vLLM puts message, type and code at the top level
// next to "object": "error".
type errorBody struct {
	Object  string          `json:"object"`
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

type errorObject struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// parseErrorBody extracts an error message from body. ok is false when body
// carries no recognised error.
func parseErrorBody(body []byte) (msg, typ, code string, ok bool) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", "", "", false
	}
	return eb.parse()
}

func (eb *errorBody) parse() (msg, typ, code string, ok bool) {
	if raw := bytes.TrimSpace(eb.Error); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, "", "", true
		}
		var o errorObject
		if json.Unmarshal(raw, &o) == nil {
			return o.Message, o.Type, rawCode(o.Code), true
		}
		return string(raw), "", "", true
	}
	if eb.Object == "error" {
		return eb.Message, eb.Type, rawCode(eb.Code), true
	}
	return "", "", "", false
}

// rawCode renders a JSON code that may be a string, a number or null.
func rawCode(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// newHTTPError builds the error for a non-2xx answer.
func newHTTPError(status int, header http.Header, body []byte) *HTTPError {
	e := &HTTPError{Status: status}
	if msg, typ, code, ok := parseErrorBody(body); ok {
		e.Message, e.Type, e.Code = msg, typ, code
	} else {
		e.Message = snippet(body)
	}
	e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now())
	return e
}

// snippet returns the start of a raw body for an error message.
func snippet(body []byte) string {
	const max = 200
	s := strings.TrimSpace(string(body))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date,
// relative to now. It returns 0 for an absent, past or unreadable value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 || n > 1e6 {
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
