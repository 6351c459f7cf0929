package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type thing struct {
	id     int
	closed *atomic.Int32
}

func (t *thing) Close() error { t.closed.Add(1); return nil }

func TestPoolLendsEachObjectToOneGoroutine(t *testing.T) {
	var made, closed atomic.Int32
	p := New(3, func() (*thing, error) { return &thing{id: int(made.Add(1)), closed: &closed}, nil })
	var inUse sync.Map
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := p.Get(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			if _, dup := inUse.LoadOrStore(o.id, true); dup {
				t.Errorf("object %d lent twice at once", o.id)
			}
			time.Sleep(time.Millisecond)
			inUse.Delete(o.id)
			p.Put(o)
		}()
	}
	wg.Wait()
	if n := made.Load(); n < 1 || n > 3 {
		t.Errorf("made %d objects, want 1 to 3", n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if closed.Load() != made.Load() {
		t.Errorf("closed %d of %d objects", closed.Load(), made.Load())
	}
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
}

func TestPoolBlocksWhenAllAreLent(t *testing.T) {
	var closed atomic.Int32
	p := New(1, func() (*thing, error) { return &thing{closed: &closed}, nil })
	p.Add(&thing{id: 7, closed: &closed})
	o, err := p.Get(context.Background())
	if err != nil || o.id != 7 {
		t.Fatalf("Get = %+v, %v; want the added object", o, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get with every object lent: %v, want the context's error", err)
	}
	p.Close()
	p.Put(o) // returned after Close: closed, not kept
	if closed.Load() != 1 {
		t.Errorf("an object put back after Close was not closed")
	}
}

func TestPoolMakeError(t *testing.T) {
	boom := errors.New("boom")
	p := New(1, func() (*thing, error) { return nil, boom })
	for i := 0; i < 3; i++ { // a failed make gives its slot back
		if _, err := p.Get(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("Get = %v, want boom", err)
		}
	}
}
