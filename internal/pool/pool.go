// Package pool lends objects that must not be used by two goroutines at once
// (OpenCV classifiers, Tesseract engines) to one goroutine at a time.
package pool

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// ErrClosed is returned by Get after Close.
var ErrClosed = errors.New("pool: closed")

// Pool holds at most size objects. Get hands out an idle one, makes a new one
// while fewer than size exist, and otherwise blocks until one is put back or
// ctx is done. A Pool is safe for concurrent use.
type Pool[T interface{ Close() error }] struct {
	sem    chan struct{} // one token per object lent out
	newFn  func() (T, error)
	mu     sync.Mutex
	idle   []T
	closed bool
}

// New returns a Pool of at most size objects (GOMAXPROCS when size ≤ 0),
// made by newFn when needed.
func New[T interface{ Close() error }](size int, newFn func() (T, error)) *Pool[T] {
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	return &Pool[T]{sem: make(chan struct{}, size), newFn: newFn}
}

// Add puts an object made ahead of time into the pool as idle, for callers
// that start their objects eagerly (so that a bad configuration fails at
// construction). The caller must not add more than the pool's size.
func (p *Pool[T]) Add(t T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, t)
}

// Get lends an object; give it back with Put.
func (p *Pool[T]) Get(ctx context.Context) (T, error) {
	var zero T
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return zero, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		t := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return t, nil
	}
	p.mu.Unlock()
	t, err := p.newFn()
	if err != nil {
		<-p.sem
		return zero, err
	}
	return t, nil
}

// Put gives back an object lent by Get. After Close it closes it instead.
func (p *Pool[T]) Put(t T) {
	p.mu.Lock()
	if p.closed {
		t.Close()
	} else {
		p.idle = append(p.idle, t)
	}
	p.mu.Unlock()
	<-p.sem
}

// Close closes the idle objects and returns the first error; objects lent
// out are closed when they are put back. Closing twice is safe.
func (p *Pool[T]) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var first error
	for _, t := range p.idle {
		if err := t.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.idle = nil
	return first
}
