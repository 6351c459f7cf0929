package leak

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/leak/leaktest"
	"github.com/phantom-vlm/phantom/vlm"
)

// TestRunnerReplicaDies runs a study whose model lists three replica URLs
// (a study file's "urls") and kills one replica mid-run, with requests in
// flight: every question is still answered exactly once, with the answers
// of a run on one healthy server, and the requests are spread over the
// replicas.
func TestRunnerReplicaDies(t *testing.T) {
	dir := t.TempDir()
	byImage := writeVariants(t, dir, []string{"original", "blur"}, nil)
	variants, _, err := ReadVariants(dir)
	if err != nil {
		t.Fatal(err)
	}
	answer := studyAnswers(byImage)
	var srvs []*leaktest.Server
	var once sync.Once
	for i := range 3 {
		var s *leaktest.Server
		s = leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
			if i == 1 && s.Requests() >= 12 {
				// The replica dies: its listener and every open
				// connection close, the requests in flight with them.
				once.Do(func() { go func() { s.Listener.Close(); s.CloseClientConnections() }() })
			}
			return answer(q)
		}, leaktest.WithDelay(3*time.Millisecond))
		defer s.Close()
		srvs = append(srvs, s)
	}
	st, err := ParseStudy(strings.NewReader(fmt.Sprintf(`models:
  - {name: llava, backend: ollama, model: "llava:7b", concurrency: 6, urls: [%s, %s, %s]}
`, srvs[0].URL, srvs[1].URL, srvs[2].URL)))
	if err != nil {
		t.Fatal(err)
	}
	var evMu sync.Mutex
	var events []string
	st.ReplicaEvents = func(model string, ev vlm.ReplicaEvent) {
		evMu.Lock()
		events = append(events, fmt.Sprintf("%s %s %v", model, ev.Replica, ev.Err != nil))
		evMu.Unlock()
	}
	models, closer, err := st.Clients(vlm.WithBackoff(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	rep, ok := models[0].Client.(*vlm.Replicas)
	if !ok || rep.Len() != 3 {
		t.Fatalf("client %T, want vlm.Replicas over 3 servers", models[0].Client)
	}

	run := func(path string, m Model) Summary {
		t.Helper()
		rf, err := OpenResults(path)
		if err != nil {
			t.Fatal(err)
		}
		defer rf.Close()
		r := newRunner(t, dir, variants, []Model{m}, rf)
		if err := CheckHealth(context.Background(), []Model{m}); err != nil {
			t.Fatal(err)
		}
		sum, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	got := filepath.Join(dir, "replicas.jsonl")
	sum := run(got, models[0]).Models[0]
	// 3 originals × 30 + 3 blurred × 5.
	if sum.Total != 105 || sum.OK != 105 || sum.Failed != 0 {
		t.Errorf("run over the replicas: %+v, want 105 ok", sum)
	}
	for i, s := range srvs {
		if s.Requests() < 10 {
			t.Errorf("replica %d got %d requests: not spread", i, s.Requests())
		}
	}
	if down := rep.Down(); len(down) != 1 || down[0] != srvs[1].URL {
		t.Errorf("replicas down: %v, want the killed %s", down, srvs[1].URL)
	}
	evMu.Lock()
	if len(events) != 1 || events[0] != "llava "+srvs[1].URL+" true" {
		t.Errorf("replica events %v, want the killed replica taken out once", events)
	}
	evMu.Unlock()

	clean := leaktest.NewOllama("llava:7b", answer)
	defer clean.Close()
	want := filepath.Join(dir, "clean.jsonl")
	run(want, Model{Name: "llava", Client: newOllama(t, clean), Concurrency: 2})
	rows := func(path string) map[string]string {
		m := make(map[string]string)
		if _, err := ReadResults(path, func(r *Result) {
			if _, dup := m[r.Key]; dup {
				t.Errorf("%s: key %s written twice", path, r.Key)
			}
			m[r.Key] = r.Status + " " + r.Answer
		}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	g, w := rows(got), rows(want)
	if len(g) != len(w) || len(w) != 105 {
		t.Errorf("%d keys over the replicas, %d on one server, want 105", len(g), len(w))
	}
	for k, a := range w {
		if g[k] != a {
			t.Errorf("key %s: %q over the replicas, %q on one server", k, g[k], a)
		}
	}
}

func TestStudyURLs(t *testing.T) {
	tests := []struct{ model, err string }{
		{`{backend: ollama, model: m, urls: ["http://a:1", "http://b:1"]}`, ""},
		{`{backend: ollama, model: m, url: "http://a:1", urls: ["http://b:1"]}`, "both url and urls"},
		{`{backend: ollama, model: m}`, "no url (or urls)"},
		{`{backend: ollama, model: m, urls: ["http://a:1", ""]}`, "urls[1] is empty"},
	}
	for _, tt := range tests {
		_, err := ParseStudy(strings.NewReader("models:\n  - " + tt.model + "\n"))
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: %v, want %q", tt.model, err, tt.err)
		}
	}
}
