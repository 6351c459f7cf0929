package vlm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Defaults of the client options.
const (
	// DefaultMaxAttempts is how many attempts Ask makes in all.
	DefaultMaxAttempts = 5
	// DefaultBackoffBase is the ceiling of the first wait between attempts.
	DefaultBackoffBase = 500 * time.Millisecond
	// DefaultBackoffMax caps the backoff's ceiling.
	DefaultBackoffMax = 30 * time.Second
	// DefaultMaxRetryAfter caps the wait a server asks for.
	DefaultMaxRetryAfter = 2 * time.Minute
	// DefaultTimeout is the time limit of one attempt; a model on a CPU
	// may take minutes per answer.
	DefaultTimeout = 5 * time.Minute
	// DefaultMaxImageBytes is the size above which an image is downscaled
	// and re-encoded before it is sent.
	DefaultMaxImageBytes = 20 << 20
)

// Option configures a client built by NewOllama or NewOpenAI.
type Option func(*config) error

// RetryEvent describes one failed attempt that will be retried; see
// WithRetryHook.
type RetryEvent struct {
	// Attempt is the number of the attempt that failed, from 1.
	Attempt int
	// Err is why it failed.
	Err error
	// Wait is how long the client sleeps before the next attempt.
	Wait time.Duration
}

type config struct {
	httpClient    *http.Client
	ownTransport  *http.Transport // closed by Close when the client made it
	timeout       time.Duration
	maxAttempts   int
	backoffBase   time.Duration
	backoffMax    time.Duration
	maxRetryAfter time.Duration
	apiKey        string
	maxImageBytes int
	maxImageSide  int
	jpegQuality   int
	onRetry       func(RetryEvent)
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

func newConfig(opts []Option) (*config, error) {
	c := &config{
		timeout:       DefaultTimeout,
		maxAttempts:   DefaultMaxAttempts,
		backoffBase:   DefaultBackoffBase,
		backoffMax:    DefaultBackoffMax,
		maxRetryAfter: DefaultMaxRetryAfter,
		maxImageBytes: DefaultMaxImageBytes,
		jpegQuality:   90,
		sleep:         sleepCtx,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.httpClient == nil {
		t := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		c.ownTransport = t
		c.httpClient = &http.Client{Transport: t}
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WithHTTPClient makes the client send its requests through hc instead of
// its own pooled client. Per-attempt timeouts still apply through the
// request context.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("vlm: %w: nil http.Client", ErrInvalid)
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout sets the time limit of one attempt (default DefaultTimeout).
// An attempt that runs past it is retried; 0 disables the limit.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("vlm: %w: negative timeout %v", ErrInvalid, d)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxAttempts sets how many attempts Ask makes in all (default
// DefaultMaxAttempts); 1 disables retries.
func WithMaxAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("vlm: %w: max attempts %d < 1", ErrInvalid, n)
		}
		c.maxAttempts = n
		return nil
	}
}

// WithBackoff sets the exponential backoff between attempts: the wait
// before retry n is drawn uniformly from [d/2, d] where d = base·2^(n-1),
// capped at max. Defaults: DefaultBackoffBase, DefaultBackoffMax.
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) error {
		if base <= 0 || max < base {
			return fmt.Errorf("vlm: %w: backoff base %v, max %v", ErrInvalid, base, max)
		}
		c.backoffBase, c.backoffMax = base, max
		return nil
	}
}

// WithMaxRetryAfter caps the wait a server may ask for with a Retry-After
// header (default DefaultMaxRetryAfter).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("vlm: %w: negative Retry-After cap %v", ErrInvalid, d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithAPIKey sends key as "Authorization: Bearer key".
func WithAPIKey(key string) Option {
	return func(c *config) error {
		c.apiKey = key
		return nil
	}
}

// WithAPIKeyEnv reads the API key from the environment variable name, e.g.
// "OPENAI_API_KEY", when the client is built, and sends it as a Bearer
// token. An unset or empty variable sends no key.
func WithAPIKeyEnv(name string) Option {
	return func(c *config) error {
		c.apiKey = os.Getenv(name)
		return nil
	}
}

// WithImageLimit sets when an image is downscaled before it is sent: when
// it is larger than maxBytes (default DefaultMaxImageBytes) or its longer
// side is longer than maxSide pixels (default 0: no side limit). A limit of
// 0 is no limit. Images within the limits are sent byte for byte; a
// downscaled image is a new JPEG (quality 90, transparency on white,
// metadata such as EXIF dropped).
func WithImageLimit(maxBytes, maxSide int) Option {
	return func(c *config) error {
		if maxBytes < 0 || maxSide < 0 {
			return fmt.Errorf("vlm: %w: image limit %d bytes, %d px", ErrInvalid, maxBytes, maxSide)
		}
		c.maxImageBytes, c.maxImageSide = maxBytes, maxSide
		return nil
	}
}

// WithRetryHook calls f before each retry's wait, e.g. to log it. f must be
// safe for concurrent use when the client is.
func WithRetryHook(f func(RetryEvent)) Option {
	return func(c *config) error {
		c.onRetry = f
		return nil
	}
}
