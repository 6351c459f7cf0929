// Package workers runs the calls of an indexed loop on a bounded number of
// goroutines: the one worker pool of phantom's batch loops (the build's
// hashing, the audit, phantom ocr).
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
