package workers

import (
	"context"
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
