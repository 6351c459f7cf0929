package workers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	for _, tc := range []struct{ n, w int }{{0, 4}, {1, 4}, {10, 1}, {100, 3}, {5, 0}, {7, 50}} {
		var calls [100]atomic.Int32
		var running, most atomic.Int32
		Each(context.Background(), tc.n, tc.w, func(i int) {
			r := running.Add(1)
			for {
				m := most.Load()
				if r <= m || most.CompareAndSwap(m, r) {
					break
				}
			}
			calls[i].Add(1)
			running.Add(-1)
		})
		for i := range calls {
			want := int32(0)
			if i < tc.n {
				want = 1
			}
			if got := calls[i].Load(); got != want {
				t.Errorf("n=%d w=%d: index %d called %d times, want %d", tc.n, tc.w, i, got, want)
			}
		}
		if limit := int32(max(tc.w, 1)); most.Load() > limit {
			t.Errorf("n=%d w=%d: %d calls at once", tc.n, tc.w, most.Load())
		}
	}
}

// TestEachStopsWhenCancelled: no call starts after the context is done,
// and every call started has returned when Each does.
func TestEachStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var started, finished int
	Each(ctx, 1000, 2, func(i int) {
		mu.Lock()
		started++
		mu.Unlock()
		if i == 10 {
			cancel()
		}
		mu.Lock()
		finished++
		mu.Unlock()
	})
	if started > 13 || started < 11 {
		t.Errorf("%d calls started after a cancel at the 11th (2 workers)", started)
	}
	if finished != started {
		t.Errorf("%d calls started, %d finished", started, finished)
	}
}

// TestPipeline: every result is consumed once, in at most c calls at once.
func TestPipeline(t *testing.T) {
	for _, tc := range []struct{ n, w, c int }{{0, 2, 2}, {1, 4, 8}, {50, 1, 1}, {200, 3, 6}, {9, 0, 0}} {
		var got [200]atomic.Int32
		var running, most atomic.Int32
		err := Pipeline(context.Background(), tc.n, tc.w, tc.c,
			func(_ context.Context, i int) (int, error) { return i * 2, nil },
			func(v int) error {
				r := running.Add(1)
				for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
				}
				got[v/2].Add(1)
				running.Add(-1)
				return nil
			})
		if err != nil {
			t.Fatalf("n=%d: %v", tc.n, err)
		}
		for i := range got {
			want := int32(0)
			if i < tc.n {
				want = 1
			}
			if g := got[i].Load(); g != want {
				t.Errorf("n=%d w=%d c=%d: result %d consumed %d times, want %d", tc.n, tc.w, tc.c, i, g, want)
			}
		}
		if limit := int32(max(tc.c, 1)); most.Load() > limit {
			t.Errorf("n=%d c=%d: %d consume calls at once", tc.n, tc.c, most.Load())
		}
	}
}

// TestPipelineFirstErrorStops: the first error of consume (a full disk)
// cancels the produce calls in flight, stops the hand-out and is the one
// returned; no result is consumed after it. An error of produce does the
// same.
func TestPipelineFirstErrorStops(t *testing.T) {
	errDisk := errors.New("no space left on device")
	errLater := errors.New("later")
	var produced, consumedAfter atomic.Int32
	var failed atomic.Bool
	sawCancel := make(chan error, 1)
	err := Pipeline(context.Background(), 1000, 2, 2,
		func(ctx context.Context, i int) (int, error) {
			produced.Add(1)
			if i == 5 {
				<-ctx.Done() // in flight when the disk fills: sees the stop
				sawCancel <- context.Cause(ctx)
			}
			return i, nil
		},
		func(v int) error {
			if failed.Load() {
				consumedAfter.Add(1)
				return errLater
			}
			if v == 10 {
				failed.Store(true)
				return errDisk
			}
			return nil
		})
	if !errors.Is(err, errDisk) {
		t.Fatalf("err = %v, want the first one, %v", err, errDisk)
	}
	if got := <-sawCancel; !errors.Is(got, errDisk) {
		t.Errorf("a call in flight saw cause %v, want %v", got, errDisk)
	}
	if n := produced.Load(); n > 20 {
		t.Errorf("%d calls started after the failure at the 11th", n)
	}
	if n := consumedAfter.Load(); n != 0 {
		t.Errorf("%d results consumed after the failure", n)
	}

	errBad := errors.New("bad")
	err = Pipeline(context.Background(), 1000, 3, 1,
		func(_ context.Context, i int) (int, error) {
			if i == 5 {
				return 0, errBad
			}
			return i, nil
		},
		func(int) error { return nil })
	if !errors.Is(err, errBad) {
		t.Errorf("produce's error: got %v", err)
	}
}

// TestPipelineCancelled: a cancelled context stops the run with a nil
// error, and a result produced after the cancel is not consumed.
func TestPipelineCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var consumed atomic.Int32
	err := Pipeline(ctx, 1000, 2, 2,
		func(ctx context.Context, i int) (int, error) {
			switch {
			case i == 10:
				cancel()
			case i > 10:
				<-ctx.Done() // returns after the cancel
			}
			return i, nil
		},
		func(v int) error {
			if v >= 10 {
				consumed.Add(1)
			}
			return nil
		})
	if err != nil {
		t.Errorf("err = %v, want nil (the caller reads ctx.Err)", err)
	}
	if n := consumed.Load(); n > 0 {
		t.Errorf("%d results from at or after the cancel consumed", n)
	}
}
