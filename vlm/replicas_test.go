package vlm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/vlm"
)

// replicaServer is an Ollama stand-in whose chat answers with status (200:
// an answer naming the server), after delay, and counts the requests and
// the most in flight at once.
type replicaServer struct {
	*httptest.Server
	name           string
	status         atomic.Int32
	delay          time.Duration
	chats          atomic.Int32
	mu             sync.Mutex
	inFlight, most int
}

func newReplicaServer(t *testing.T, name string, delay time.Duration) *replicaServer {
	s := &replicaServer{name: name, delay: delay}
	s.status.Store(200)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := int(s.status.Load())
		if r.URL.Path == "/api/tags" {
			if st != 200 {
				w.WriteHeader(st)
				return
			}
			fmt.Fprint(w, `{"models":[{"name":"llava:7b","model":"llava:7b"}]}`)
			return
		}
		s.chats.Add(1)
		s.mu.Lock()
		s.inFlight++
		s.most = max(s.most, s.inFlight)
		s.mu.Unlock()
		time.Sleep(s.delay)
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
		if st != 200 {
			w.WriteHeader(st)
			fmt.Fprintf(w, `{"error":"status %d"}`, st)
			return
		}
		fmt.Fprintf(w, `{"model":"llava:7b","message":{"role":"assistant","content":%q},"done":true}`, s.name)
	}))
	t.Cleanup(s.Close)
	return s
}

func newReplicas(t *testing.T, srvs []*replicaServer, opts ...vlm.ReplicasOption) *vlm.Replicas {
	var cs []vlm.Client
	for _, s := range srvs {
		c, err := vlm.NewOllama(s.URL, "llava:7b", vlm.WithMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	r, err := vlm.NewReplicas(cs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestReplicasFewestInFlight(t *testing.T) {
	a, b := newReplicaServer(t, "a", 30*time.Millisecond), newReplicaServer(t, "b", 30*time.Millisecond)
	r := newReplicas(t, []*replicaServer{a, b})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := r.Ask(context.Background(), vlm.Request{Prompt: "hi"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if a.chats.Load() != 4 || b.chats.Load() != 4 || a.most != 4 || b.most != 4 {
		t.Errorf("requests a %d (most %d in flight), b %d (most %d): want 4 and 4 at once each",
			a.chats.Load(), a.most, b.chats.Load(), b.most)
	}
}

func TestReplicasFailover(t *testing.T) {
	tests := []struct {
		name      string
		status    int // replica a's answers
		wantFrom  string
		wantErr   error
		wantADown bool
	}{
		{"a 503 goes to b", http.StatusServiceUnavailable, "b", nil, true},
		{"a 429 goes to b", http.StatusTooManyRequests, "b", nil, true},
		{"a 400 is the request's fault", http.StatusBadRequest, "", vlm.ErrPermanent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newReplicaServer(t, "a", 0), newReplicaServer(t, "b", 0)
			a.status.Store(int32(tt.status))
			var events []vlm.ReplicaEvent
			r := newReplicas(t, []*replicaServer{a, b}, vlm.WithReplicaEvents(func(ev vlm.ReplicaEvent) { events = append(events, ev) }))
			resp, err := r.Ask(context.Background(), vlm.Request{Prompt: "hi"}) // a is first on a tie
			if !errors.Is(err, tt.wantErr) || resp.Text != tt.wantFrom {
				t.Fatalf("Ask: %q, %v; want %q, %v", resp.Text, err, tt.wantFrom, tt.wantErr)
			}
			if tt.wantErr == nil && resp.Attempts != 2 {
				t.Errorf("attempts %d, want 2 (a, then b)", resp.Attempts)
			}
			if got := len(r.Down()) == 1; got != tt.wantADown || (got && len(events) != 1) {
				t.Errorf("down %v, events %v", r.Down(), events)
			}
			if tt.wantErr != nil && b.chats.Load() != 0 {
				t.Errorf("a refused request was sent to b too")
			}
		})
	}
}

// TestReplicasComeBack takes a replica out, lets it recover, and checks
// that after the cooldown a health check brings it back; with every
// replica out, Ask fails with ErrNoReplicas after its attempts.
func TestReplicasComeBack(t *testing.T) {
	a, b := newReplicaServer(t, "a", 0), newReplicaServer(t, "b", 0)
	a.status.Store(500)
	var mu sync.Mutex
	var events []string
	r := newReplicas(t, []*replicaServer{a, b}, vlm.WithReplicaCooldown(20*time.Millisecond, 40*time.Millisecond),
		vlm.WithReplicaAttempts(3), vlm.WithReplicaEvents(func(ev vlm.ReplicaEvent) {
			mu.Lock()
			events = append(events, fmt.Sprintf("%s out=%v", ev.Replica[len(ev.Replica)-5:], ev.Err != nil))
			mu.Unlock()
		}))
	if err := r.Health(context.Background()); err != nil {
		t.Fatalf("Health with b up: %v", err)
	}
	if len(r.Down()) != 1 {
		t.Fatalf("down after Health: %v", r.Down())
	}
	for range 3 {
		if resp, err := r.Ask(context.Background(), vlm.Request{Prompt: "hi"}); err != nil || resp.Text != "b" {
			t.Fatalf("Ask with a out: %q %v", resp.Text, err)
		}
	}
	if a.chats.Load() != 0 {
		t.Errorf("a got %d requests while out", a.chats.Load())
	}
	a.status.Store(200)
	time.Sleep(30 * time.Millisecond)
	if resp, err := r.Ask(context.Background(), vlm.Request{Prompt: "hi"}); err != nil || resp.Text != "a" {
		t.Errorf("after the cooldown: %q %v, want a (health-checked and back)", resp.Text, err)
	}
	if len(r.Down()) != 0 {
		t.Errorf("down %v after a came back", r.Down())
	}

	a.status.Store(500)
	b.status.Store(502)
	_, err := r.Ask(context.Background(), vlm.Request{Prompt: "hi"})
	if !errors.Is(err, vlm.ErrNoReplicas) || vlm.Attempts(err) != 3 {
		t.Errorf("all down: %v (attempts %d), want ErrNoReplicas after 3", err, vlm.Attempts(err))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) < 3 || events[1] != events[0][:len(events[0])-4]+"false" {
		t.Errorf("events %v: want a out, a back, then out again", events)
	}
}

func TestReplicasChatRequest(t *testing.T) {
	a, err := vlm.NewOpenAI("http://127.0.0.1:1", "m")
	if err != nil {
		t.Fatal(err)
	}
	b, err := vlm.NewOpenAI("http://127.0.0.1:2", "m")
	if err != nil {
		t.Fatal(err)
	}
	r, err := vlm.NewReplicas([]vlm.Client{a, b})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	req := vlm.Request{Prompt: "Who is this?", ImageURL: "file:///x.jpg"}
	got, err := r.ChatRequest(req)
	want, err2 := b.ChatRequest(req)
	if err != nil || err2 != nil || string(got) != string(want) {
		t.Errorf("replicas' body %s (%v), a replica's %s (%v)", got, err, want, err2)
	}
	o, err := vlm.NewOllama("http://127.0.0.1:1", "m")
	if err != nil {
		t.Fatal(err)
	}
	ro, err := vlm.NewReplicas([]vlm.Client{o})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.ChatRequest(req); !errors.Is(err, vlm.ErrInvalid) {
		t.Errorf("Ollama replicas: %v, want ErrInvalid", err)
	}
}
