package vlm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// step answers one request of the fake server.
type step func(w http.ResponseWriter, r *http.Request)

// recorded is one request the fake server received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeServer is an in-process HTTP server that answers each path with a
// script of steps, in order; the last step repeats.
type fakeServer struct {
	*httptest.Server
	mu    sync.Mutex
	steps map[string][]step
	next  map[string]int
	reqs  []recorded
	// discard drops request bodies instead of recording them (benchmarks).
	discard bool
}

func newFakeServer(t testing.TB, script map[string][]step) *fakeServer {
	t.Helper()
	fs := &fakeServer{steps: script, next: map[string]int{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fs.mu.Lock()
	if fs.discard {
		body = nil
	}
	fs.reqs = append(fs.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	steps := fs.steps[r.URL.Path]
	i := fs.next[r.URL.Path]
	if i < len(steps)-1 {
		fs.next[r.URL.Path]++
	}
	fs.mu.Unlock()
	if len(steps) == 0 {
		http.NotFound(w, r)
		return
	}
	steps[i](w, r)
}

func (fs *fakeServer) requests() []recorded {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]recorded(nil), fs.reqs...)
}

func (fs *fakeServer) count(path string) int {
	n := 0
	for _, r := range fs.requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// reply answers with status, content type and body, plus header pairs.
func reply(status int, contentType string, body []byte, header ...string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}
}

func replyJSON(status int, body []byte, header ...string) step {
	return reply(status, "application/json", body, header...)
}

// resetConn hijacks the connection and closes it with a TCP reset.
func resetConn(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// stall answers nothing until the client gives up.
func stall(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// fixture reads testdata/docs/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares the indented JSON body with testdata/golden/name,
// rewriting it with -update.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("request body differs from %s (run go test -update after checking):\ngot:\n%s\nwant:\n%s", path, buf.Bytes(), want)
	}
}

// recordSleeps returns a sleep function that records the waits and returns
// at once, and a function that reads them.
func recordSleeps() (func(ctx context.Context, d time.Duration) error, func() []time.Duration) {
	var mu sync.Mutex
	var waits []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return sleep, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), waits...)
	}
}
