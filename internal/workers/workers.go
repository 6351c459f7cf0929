// Package workers runs the calls of an indexed loop on a bounded number of
// goroutines: the one worker pool of phantom's batch loops (the build's
// hashing, its photo workers and commit stage, build merge, the audit,
// phantom ocr).
package workers

import (
	"context"
	"sync"
)

// Each calls fn(i) for every i in [0, n), on at most w goroutines (one when
// w < 1), starting the calls in index order. Once ctx is done it starts no
// more; it returns when every call it started has returned. fn is called
// from several goroutines at once; it says nothing of a cancelled ctx, which
// the caller reads after Each returns.
func Each(ctx context.Context, n, w int, fn func(i int)) {
	w = min(max(w, 1), max(n, 1))
	idx := make(chan int)
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for i := range idx {
				fn(i)
			}
		})
	}
feed:
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
}

// Pipeline calls produce(ctx, i) for every i in [0, n), on at most w
// goroutines and starting the calls in index order (as Each does), and
// hands each result to consume, on at most c goroutines (one when c < 1),
// so that consume's waits (a disk's syncs) overlap the next calls of
// produce.
//
// The first error, of produce or of consume, stops the run: the context
// given to produce is cancelled with it as cause (calls in flight see it),
// no more calls start, the results not yet consumed are dropped, and
// Pipeline returns that error once every call it started has returned;
// later errors are dropped. A result whose produce call returns after ctx
// is done (the caller's, or the one a first error cancelled) is dropped
// too, so that consume never sees work a stop interrupted. Pipeline
// returns nil when ctx is cancelled without an error: the caller reads
// ctx.Err().
func Pipeline[T any](ctx context.Context, n, w, c int, produce func(ctx context.Context, i int) (T, error), consume func(T) error) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			stop(err)
		}
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	out := make(chan T, max(w, 1))
	var cwg sync.WaitGroup
	for range max(c, 1) {
		cwg.Go(func() {
			for v := range out {
				if failed() {
					continue // the run stopped: drop it
				}
				if err := consume(v); err != nil {
					fail(err)
				}
			}
		})
	}
	Each(ctx, n, w, func(i int) {
		v, err := produce(ctx, i)
		switch {
		case ctx.Err() != nil:
			// Stopped mid-call: the result is not to be trusted.
		case err != nil:
			fail(err)
		default:
			out <- v
		}
	})
	close(out)
	cwg.Wait()
	return firstErr
}
