package vlm

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBodyBytes bounds how much of an answer is read.
const maxBodyBytes = 16 << 20

// core holds what both clients share: configuration, the server's URL and
// model, and the retry loop. It is immutable after construction.
type core struct {
	cfg     *config
	backend string
	baseURL string
	model   string
}

func newCore(backend, baseURL, model string, opts []Option) (core, error) {
	if model == "" {
		return core{}, fmt.Errorf("vlm: %w: empty model name", ErrInvalid)
	}
	u := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return core{}, fmt.Errorf("vlm: %w: base URL %q is not http(s)", ErrInvalid, baseURL)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return core{}, err
	}
	return core{cfg: cfg, backend: backend, baseURL: u, model: model}, nil
}

// URL returns the server's base URL, as given (less a trailing slash).
func (c *core) URL() string { return c.baseURL }

// Close releases the idle connections of the client's own transport. A
// client given WithHTTPClient leaves that client alone. Close returns nil.
func (c *core) Close() error {
	if c.cfg.ownTransport != nil {
		c.cfg.ownTransport.CloseIdleConnections()
	}
	return nil
}

// attemptError is one attempt's failure with whether it may be retried and
// the wait the server asked for.
type attemptError struct {
	err        error
	retry      bool
	retryAfter time.Duration
}

// ask posts body to path, retrying as configured, and parses a 2xx answer
// with parse.
func (c *core) ask(ctx context.Context, path string, body []byte, parse func([]byte) (Response, error)) (Response, error) {
	start := time.Now()
	target := c.baseURL + path
	var last attemptError
	n := 0
	for n < c.cfg.maxAttempts {
		n++
		resp, ae := c.attempt(ctx, http.MethodPost, target, body, parse)
		if ae == nil {
			resp.Attempts = n
			resp.Latency = time.Since(start)
			if resp.Model == "" {
				resp.Model = c.model
			}
			return resp, nil
		}
		last = *ae
		if !last.retry || n == c.cfg.maxAttempts {
			break
		}
		wait := c.wait(n, last.retryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// The caller's deadline would pass during the wait: fail now,
			// with the cause, instead of sleeping into the deadline.
			last.err = fmt.Errorf("%w (the context's deadline leaves no time to wait %v and retry)", last.err, wait.Round(time.Millisecond))
			break
		}
		if c.cfg.onRetry != nil {
			c.cfg.onRetry(RetryEvent{Attempt: n, Err: last.err, Wait: wait})
		}
		if err := c.cfg.sleep(ctx, wait); err != nil {
			last = attemptError{err: fmt.Errorf("waiting to retry after %w: %w", last.err, err)}
			break
		}
	}
	return Response{Model: c.model, Attempts: n, Latency: time.Since(start)},
		&AskError{Backend: c.backend, Model: c.model, Attempts: n, Err: last.err}
}

// wait is the pause before the attempt after attempt n: the server's
// Retry-After when it gave one (capped), else jittered exponential backoff.
func (c *core) wait(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.cfg.maxRetryAfter)
	}
	d := c.cfg.backoffBase
	for i := 1; i < n && d < c.cfg.backoffMax; i++ {
		d *= 2
	}
	d = min(d, c.cfg.backoffMax)
	half := d / 2
	return half + rand.N(d-half+1)
}

// attempt makes one HTTP exchange.
func (c *core) attempt(ctx context.Context, method, target string, body []byte, parse func([]byte) (Response, error)) (Response, *attemptError) {
	data, status, header, ae := c.exchange(ctx, method, target, body)
	if ae != nil {
		return Response{}, ae
	}
	if status < 200 || status > 299 {
		he := newHTTPError(status, header, data)
		return Response{}, &attemptError{err: he, retry: he.Retryable(), retryAfter: he.RetryAfter}
	}
	resp, err := parse(data)
	if err != nil {
		// An error inside a 200 answer and a malformed body are both
		// retried: the next attempt may well succeed.
		return Response{}, &attemptError{err: err, retry: true}
	}
	return resp, nil
}

// exchange sends one request and reads the whole answer under the
// per-attempt timeout.
func (c *core) exchange(ctx context.Context, method, target string, body []byte) ([]byte, int, http.Header, *attemptError) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.timeout)
	}
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return nil, 0, nil, &attemptError{err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.apiKey)
	}
	resp, err := c.cfg.httpClient.Do(req)
	if err != nil {
		return nil, 0, nil, c.transportError(ctx, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, 0, nil, c.transportError(ctx, actx, err)
	}
	if len(data) > maxBodyBytes {
		return nil, 0, nil, &attemptError{err: fmt.Errorf("%w: answer longer than %d bytes", ErrBadResponse, maxBodyBytes), retry: true}
	}
	return data, resp.StatusCode, resp.Header, nil
}

// transportError classifies a failure to send or to read: the caller's
// cancellation is final; a per-attempt timeout, a refused connection and a
// broken one are retried.
func (c *core) transportError(ctx, actx context.Context, err error) *attemptError {
	if ctx.Err() != nil {
		return &attemptError{err: context.Cause(ctx)}
	}
	if actx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return &attemptError{err: fmt.Errorf("%w after %v at %s", ErrTimeout, c.cfg.timeout, c.baseURL), retry: true}
	}
	var op *net.OpError
	var dns *net.DNSError
	if (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) {
		return &attemptError{err: fmt.Errorf("%w at %s: %w", ErrServerDown, c.baseURL, unwrapURL(err)), retry: true}
	}
	return &attemptError{err: fmt.Errorf("%w with %s: %w", ErrConnection, c.baseURL, unwrapURL(err)), retry: true}
}

// unwrapURL drops net/http's *url.Error wrapper, whose text repeats the
// method and URL.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// get fetches path once (no retries) for a health check.
func (c *core) get(ctx context.Context, path string) ([]byte, error) {
	data, status, header, ae := c.exchange(ctx, http.MethodGet, c.baseURL+path, nil)
	if ae != nil {
		return nil, ae.err
	}
	if status < 200 || status > 299 {
		return nil, newHTTPError(status, header, data)
	}
	return data, nil
}

// modelNotFound is the health error for a model the server does not list.
func (c *core) modelNotFound(available []string) error {
	return &ModelNotFoundError{Backend: c.backend, URL: c.baseURL, Model: c.model, Available: available}
}

// healthError wraps a failed health request.
func (c *core) healthError(err error) error {
	return fmt.Errorf("vlm: %s health: %w", c.backend, err)
}

// spliceBase64 writes the base64 encoding of img into a marshalled request
// body right after the first occurrence of marker, which ends inside an
// empty or prefix-only JSON string. It spares encoding/json a scan of the
// image's base64 text, the largest part of every request. The marker
// begins with a structural quote, which cannot occur unescaped inside any
// string value of the body, so the first occurrence is the right one.
func spliceBase64(body, marker, img []byte) ([]byte, error) {
	i := bytes.Index(body, marker)
	if i < 0 {
		return nil, fmt.Errorf("vlm: internal error: no image slot in the request body")
	}
	i += len(marker)
	n := base64.StdEncoding.EncodedLen(len(img))
	out := make([]byte, len(body)+n)
	copy(out, body[:i])
	base64.StdEncoding.Encode(out[i:i+n], img)
	copy(out[i+n:], body[i:])
	return out, nil
}
