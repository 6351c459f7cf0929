package vlm

import (
	"context"
	"time"
)

// WithSleep replaces the wait between attempts, so that tests can record
// the waits without sleeping. Test builds only.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) error {
		c.sleep = f
		return nil
	}
}

// ParseRetryAfter exposes parseRetryAfter to the tests.
var ParseRetryAfter = parseRetryAfter

// ParseErrorBody exposes parseErrorBody to the tests.
var ParseErrorBody = parseErrorBody
