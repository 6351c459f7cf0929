package vlm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Defaults of the replica options.
const (
	// DefaultReplicaCooldown is how long a failed replica is first left
	// out before it is health-checked again; each further failure doubles
	// it, up to DefaultReplicaCooldownMax.
	DefaultReplicaCooldown = 2 * time.Second
	// DefaultReplicaCooldownMax caps a replica's cooldown.
	DefaultReplicaCooldownMax = time.Minute
)

// ErrNoReplicas is returned by NewReplicas without clients, and wrapped by
// Ask's error when every replica failed.
var ErrNoReplicas = errors.New("no replica available")

// ReplicaEvent is a change of a replica's state, for logs: Err is nil when
// the replica came back, else why it was taken out for Cooldown.
type ReplicaEvent struct {
	// Replica is the replica's URL (or its index when the client has no
	// URL method).
	Replica  string
	Err      error
	Cooldown time.Duration
}

// ReplicasOption configures NewReplicas.
type ReplicasOption func(*Replicas)

// WithReplicaCooldown sets how long a failed replica is first left out
// (doubled at each further failure, up to max) before a health check may
// bring it back.
func WithReplicaCooldown(first, most time.Duration) ReplicasOption {
	return func(r *Replicas) { r.cooldown, r.cooldownMax = first, max(first, most) }
}

// WithReplicaAttempts sets how many attempts Ask makes in all, over every
// replica, health checks of returning replicas included (default
// DefaultMaxAttempts).
func WithReplicaAttempts(n int) ReplicasOption {
	return func(r *Replicas) { r.attempts = max(n, 1) }
}

// WithReplicaEvents calls f, outside any lock, whenever a replica is taken
// out or comes back.
func WithReplicaEvents(f func(ReplicaEvent)) ReplicasOption {
	return func(r *Replicas) { r.events = f }
}

// Replicas is a Client over several servers that serve one model (one vLLM
// or Ollama per GPU). Each request goes to the replica with the fewest
// requests in flight, the first listed on a tie. A replica whose request
// fails for a reason of its own (server down, a broken connection, a
// timeout, a 5xx or 429, a malformed answer, the model missing) is taken
// out for a cooldown and the request is sent at once to another replica;
// after the cooldown, the next request that would go to it first checks
// its health (one attempt) and brings it back when that passes. A request
// that fails for a reason of its own (a 4xx other than 408 and 429, a bad
// image) is not sent again. When every replica is out, Ask waits for the
// first cooldown to end.
//
// The replicas' clients should make one attempt each (WithMaxAttempts(1)):
// Replicas does the retrying, across replicas, up to WithReplicaAttempts.
// Concurrency and rate limits are the caller's: Replicas spreads whatever
// requests it is given. Replicas is safe for concurrent use; Close closes
// the clients.
type Replicas struct {
	reps                  []*replica
	cooldown, cooldownMax time.Duration
	attempts              int
	events                func(ReplicaEvent)
	sleep                 func(ctx context.Context, d time.Duration) error

	mu sync.Mutex
}

var _ Client = (*Replicas)(nil)

// replica is one server and its state, guarded by Replicas.mu.
type replica struct {
	name     string
	c        Client
	inFlight int
	// out is set while the replica is taken out; until is when it may be
	// health-checked, probing while one caller does so; fails counts the
	// failures since it last answered, for the cooldown's doubling.
	out, probing bool
	until        time.Time
	fails        int
}

// NewReplicas returns a client over clients, which must all speak the same
// backend and ask the same model.
func NewReplicas(clients []Client, opts ...ReplicasOption) (*Replicas, error) {
	if len(clients) == 0 {
		return nil, fmt.Errorf("vlm: %w: no clients", ErrNoReplicas)
	}
	r := &Replicas{cooldown: DefaultReplicaCooldown, cooldownMax: DefaultReplicaCooldownMax,
		attempts: DefaultMaxAttempts, sleep: sleepCtx}
	for _, o := range opts {
		o(r)
	}
	for i, c := range clients {
		if c.Backend() != clients[0].Backend() || c.Model() != clients[0].Model() {
			return nil, fmt.Errorf("vlm: %w: replica %d is %s %s, replica 0 %s %s", ErrInvalid,
				i, c.Backend(), c.Model(), clients[0].Backend(), clients[0].Model())
		}
		name := strconv.Itoa(i)
		if u, ok := c.(interface{ URL() string }); ok {
			name = u.URL()
		}
		r.reps = append(r.reps, &replica{name: name, c: c})
	}
	return r, nil
}

// Backend is the replicas' backend.
func (r *Replicas) Backend() string { return r.reps[0].c.Backend() }

// Model is the replicas' model id.
func (r *Replicas) Model() string { return r.reps[0].c.Model() }

// Len returns the number of replicas.
func (r *Replicas) Len() int { return len(r.reps) }

// Health checks every replica (one attempt each, at once). The replicas
// that fail are taken out; Health returns nil when at least one passed,
// else every failure joined, each naming its replica.
func (r *Replicas) Health(ctx context.Context) error {
	errs := make([]error, len(r.reps))
	var wg sync.WaitGroup
	for i, rep := range r.reps {
		wg.Go(func() {
			if err := rep.c.Health(ctx); err != nil {
				errs[i] = fmt.Errorf("replica %s: %w", rep.name, err)
			}
		})
	}
	wg.Wait()
	up := 0
	for i, rep := range r.reps {
		if errs[i] != nil {
			r.fail(rep, errs[i], false)
		} else {
			r.back(rep, false, true)
			up++
		}
	}
	if up > 0 {
		return nil
	}
	return errors.Join(errs...)
}

// Down returns the replicas taken out now, by name.
func (r *Replicas) Down() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rep := range r.reps {
		if rep.out {
			out = append(out, rep.name)
		}
	}
	return out
}

// Close closes the replicas' clients.
func (r *Replicas) Close() error {
	var errs []error
	for _, rep := range r.reps {
		errs = append(errs, rep.c.Close())
	}
	return errors.Join(errs...)
}

// pick chooses the replica for the next attempt and counts it in flight:
// a replica out of service whose cooldown is over, to be probed (probe is
// true), so that a replica that recovers comes back soon; else the one in
// service with the fewest requests in flight. With none, it returns how
// long to wait before asking again.
func (r *Replicas) pick() (rep *replica, probe bool, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	wait = r.cooldownMax
	for _, c := range r.reps {
		switch {
		case !c.out:
			if rep == nil || c.inFlight < rep.inFlight {
				rep = c
			}
		case c.probing:
			wait = min(wait, 10*time.Millisecond)
		case !now.Before(c.until):
			c.probing = true
			c.inFlight++
			return c, true, 0
		default:
			wait = min(wait, c.until.Sub(now))
		}
	}
	if rep == nil {
		return nil, false, wait
	}
	rep.inFlight++
	return rep, false, 0
}

// fail takes rep out for a cooldown that doubles with each failure.
func (r *Replicas) fail(rep *replica, err error, done bool) {
	r.mu.Lock()
	if done {
		rep.inFlight--
	}
	rep.probing = false
	cool := r.cooldown
	for i := 0; i < rep.fails && cool < r.cooldownMax; i++ {
		cool *= 2
	}
	cool = min(cool, r.cooldownMax)
	if he, ok := errors.AsType[*HTTPError](err); ok && he.RetryAfter > cool {
		cool = he.RetryAfter
	}
	rep.fails++
	wasOut := rep.out
	rep.out, rep.until = true, time.Now().Add(cool)
	r.mu.Unlock()
	if r.events != nil && !wasOut {
		r.events(ReplicaEvent{Replica: rep.name, Err: err, Cooldown: cool})
	}
}

// back records that rep answered: it returns to service after a health
// check (Health, or a probe), and its failures are forgotten, but an answer
// to a request sent before it was taken out leaves it out.
func (r *Replicas) back(rep *replica, done, checked bool) {
	r.mu.Lock()
	if done {
		rep.inFlight--
	}
	wasOut := rep.out
	if rep.out && !checked {
		r.mu.Unlock()
		return
	}
	rep.out, rep.probing, rep.fails = false, false, 0
	r.mu.Unlock()
	if r.events != nil && wasOut {
		r.events(ReplicaEvent{Replica: rep.name})
	}
}

// release ends an attempt that says nothing of rep's health.
func (r *Replicas) release(rep *replica) {
	r.mu.Lock()
	rep.inFlight--
	rep.probing = false
	r.mu.Unlock()
}

// replicaFault reports whether err is the replica's failure rather than
// the request's: anything but a permanent refusal or a bad image, and a
// missing model counts as the replica's.
func replicaFault(err error) bool {
	if errors.Is(err, ErrModelNotFound) {
		return true
	}
	return !errors.Is(err, ErrPermanent) && !errors.Is(err, ErrImage) && !errors.Is(err, ErrInvalid)
}

// Ask sends req to the replica with the fewest requests in flight, and on
// a replica's failure to the next, as described on Replicas. The
// Response's Attempts counts the attempts over all replicas.
func (r *Replicas) Ask(ctx context.Context, req Request) (Response, error) {
	start := time.Now()
	n := 0
	var last error
	for n < r.attempts {
		rep, probe, wait := r.pick()
		if rep == nil {
			if err := r.sleep(ctx, wait); err != nil {
				return r.failed(start, n, fmt.Errorf("waiting for a replica: %w", err))
			}
			continue
		}
		n++
		if probe {
			if err := rep.c.Health(ctx); err != nil {
				if ctx.Err() != nil {
					r.release(rep)
					return r.failed(start, n, context.Cause(ctx))
				}
				last = fmt.Errorf("replica %s: %w", rep.name, err)
				r.fail(rep, last, true)
				continue
			}
		}
		resp, err := rep.c.Ask(ctx, req)
		if err == nil {
			r.back(rep, true, probe)
			resp.Attempts = n
			resp.Latency = time.Since(start)
			return resp, nil
		}
		if ctx.Err() != nil {
			r.release(rep)
			return r.failed(start, n, err)
		}
		last = fmt.Errorf("replica %s: %w", rep.name, err)
		if !replicaFault(err) {
			r.back(rep, true, probe) // it answered: the request is at fault
			return r.failed(start, n, last)
		}
		r.fail(rep, last, true)
	}
	return r.failed(start, n, fmt.Errorf("%w: %w", ErrNoReplicas, last))
}

func (r *Replicas) failed(start time.Time, n int, err error) (Response, error) {
	return Response{Model: r.Model(), Attempts: n, Latency: time.Since(start)},
		&AskError{Backend: r.Backend(), Model: r.Model(), Attempts: n, Err: err}
}

// ChatRequest returns the body that the replicas' OpenAI clients post for
// req, the same for each replica (see OpenAI.ChatRequest), so that a model
// served by replicas can be exported as a batch file. It fails for Ollama
// replicas.
func (r *Replicas) ChatRequest(req Request) ([]byte, error) {
	if c, ok := r.reps[0].c.(interface{ ChatRequest(Request) ([]byte, error) }); ok {
		return c.ChatRequest(req)
	}
	return nil, fmt.Errorf("vlm: %w: %s replicas write no OpenAI chat requests", ErrInvalid, r.Backend())
}
