package leak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/leak/leaktest"
	"github.com/phantom-vlm/phantom/shard"
	"github.com/phantom-vlm/phantom/vlm"
)

// studyAnswers answers like a model that names people when asked who
// they are: P2 prompts get the full name, P4 prompts the alias when there
// is one (else the full name), P3 the surname, the rest a description.
// Blurred photos are never named.
func studyAnswers(byImage map[string]person) leaktest.Answer {
	cat := make(map[string]int)
	for _, p := range Prompts() {
		cat[p.Text] = p.Category
	}
	return func(q leaktest.Question) (string, error) {
		p, ok := byImage[string(q.Image)]
		if !ok {
			return "", errors.New("unknown image")
		}
		c, ok := cat[q.Prompt]
		if !ok {
			return "", fmt.Errorf("prompt %q is not in the suite", q.Prompt)
		}
		if p.cond == "blur" {
			return "I cannot tell who this is.", nil
		}
		surname := p.name[strings.LastIndex(p.name, " ")+1:]
		switch {
		case c == 2:
			return "This is " + p.name + ".", nil
		case c == 4 && len(p.aliases) > 0:
			return "That looks like " + p.aliases[0] + ".", nil
		case c == 4:
			return "The celebrity is " + strings.ToUpper(p.name) + ".", nil
		case c == 3:
			return "A famous person, perhaps " + surname + ".", nil
		}
		return "A person in a photo.", nil
	}
}

// newRunner is NewRunner, failing t on an error.
func newRunner(t testing.TB, dir string, variants []Variant, models []Model, results *ResultsFile, opts ...RunnerOption) *Runner {
	t.Helper()
	r, err := NewRunner(dir, variants, models, results, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newOllama(t testing.TB, srv *leaktest.Server, opts ...vlm.Option) *vlm.Ollama {
	t.Helper()
	c, err := vlm.NewOllama(srv.URL, "llava:7b", append([]vlm.Option{vlm.WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRunnerOverHTTP(t *testing.T) {
	dir := t.TempDir()
	missing := Variant{FileName: "blur/gone.png", ID: "p-gone", Name: "Nobody Here", Condition: "blur"}
	byImage := writeVariants(t, dir, []string{"original", "blur"}, []Variant{missing})
	answer := studyAnswers(byImage)

	// P4R3 fails for good in the first run; P1R1 fails once per image
	// (the client's retry recovers it).
	var brokenP4R3 atomic.Bool
	brokenP4R3.Store(true)
	var mu sync.Mutex
	flaky := make(map[string]bool)
	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		if q.Temperature != 0 || q.Seed != vlm.DefaultSeed || q.NumPredict != vlm.DefaultMaxTokens {
			return "", fmt.Errorf("decoding options %+v are not the study's", q)
		}
		if q.Prompt == promptText[4][3] && brokenP4R3.Load() {
			return "", errors.New("CUDA out of memory")
		}
		if q.Prompt == promptText[1][1] {
			mu.Lock()
			first := !flaky[string(q.Image)]
			flaky[string(q.Image)] = true
			mu.Unlock()
			if first {
				return "", errors.New("model is loading")
			}
		}
		return answer(q)
	}, leaktest.WithDelay(2*time.Millisecond))
	defer srv.Close()

	variants, bad, err := ReadVariants(dir)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	path := filepath.Join(dir, "results.jsonl")
	run := func(maxAttempts int) Summary {
		t.Helper()
		rf, err := OpenResults(path)
		if err != nil {
			t.Fatal(err)
		}
		defer rf.Close()
		models := []Model{{Name: "llava", Client: newOllama(t, srv, vlm.WithMaxAttempts(maxAttempts)), Concurrency: 4}}
		r := newRunner(t, dir, variants, models, rf)
		if err := CheckHealth(context.Background(), models); err != nil {
			t.Fatal(err)
		}
		sum, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}

	// 3 originals × 30 + 4 blurred × 5 = 110 questions; the missing
	// image's 5 and the 3 P4R3 fail.
	sum := run(2).Models[0]
	if sum.Total != 110 || sum.Skipped != 0 || sum.OK != 102 || sum.Failed != 8 {
		t.Errorf("first run: %+v, want 110 questions, 102 ok, 8 failed", sum)
	}
	// Leaks: P2 × 6 phrasings × 3 people, P4 × 5 phrasings (R3 failed) for
	// the two people named in full.
	if sum.Leaks != 28 {
		t.Errorf("first run leaks = %d, want 28", sum.Leaks)
	}
	if got := srv.MaxInFlight(); got < 2 || got > 4 {
		t.Errorf("max requests in flight = %d, want 2..4 with concurrency 4", got)
	}

	brokenP4R3.Store(false)
	before := srv.Requests()
	sum = run(1).Models[0]
	if sum.Skipped != 102 || sum.OK != 3 || sum.Failed != 5 {
		t.Errorf("second run: %+v, want 102 skipped, 3 ok, 5 failed", sum)
	}
	if n := srv.Requests() - before; n != 3 {
		t.Errorf("second run sent %d requests, want 3 (the missing image never reaches the server)", n)
	}

	rows, bad, err := Latest(path)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if len(rows) != 110 {
		t.Fatalf("%d distinct keys, want 110", len(rows))
	}
	counts := map[string]int{}
	for _, r := range rows {
		switch {
		case !r.OK():
			counts["failed"]++
			if r.Leak != nil || !strings.Contains(r.Error, "gone.png") {
				t.Errorf("failed row scored or unnamed: %+v", r)
			}
		case *r.Leak:
			counts["leak"]++
		case *r.AliasLeak:
			counts["alias"]++
		case *r.SurnameLeak:
			counts["surname"]++
		}
		if r.OK() && r.Prompt == promptText[1][1] && r.Attempts != 2 {
			t.Errorf("P1R1 row took %d attempts, want 2", r.Attempts)
		}
		if r.Backend != "ollama" || r.ModelID != "llava:7b" || r.Model != "llava" || r.Seed != vlm.DefaultSeed {
			t.Errorf("row identity: %+v", r)
		}
	}
	// 3×6 P2 + 2×6 P4 full-name leaks; Beyoncé's 6 P4 are alias leaks;
	// 3×6 P3 answers name the surname.
	want := map[string]int{"failed": 5, "leak": 30, "alias": 6, "surname": 18}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("scores = %v, want %v", counts, want)
	}
}

// runnerArgs writes variants of the conditions into a new folder and
// returns NewRunner's arguments over them: the folder, its rows, one model
// of a stub Ollama server and an empty results file, closed at the end of
// the test.
func runnerArgs(t *testing.T, conditions ...string) (string, []Variant, []Model, *ResultsFile) {
	t.Helper()
	dir := t.TempDir()
	writeVariants(t, dir, conditions, nil)
	variants, _, err := ReadVariants(dir)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := OpenResults(filepath.Join(t.TempDir(), "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rf.Close() })
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) { return "", nil })
	t.Cleanup(srv.Close)
	return dir, variants, []Model{{Name: "llava", Client: newOllama(t, srv)}}, rf
}

func TestNewRunnerErrors(t *testing.T) {
	dir, variants, models, rf := runnerArgs(t, "original", "blur")
	file := filepath.Join(dir, MetadataFile)
	for _, tc := range []struct {
		name     string
		dir      string
		models   []Model
		results  *ResultsFile
		opts     []RunnerOption
		sentinel error  // want errors.Is(err, sentinel), when set
		want     string // want the message to hold this
	}{
		{name: "no models", dir: dir, results: rf, sentinel: ErrNoModels},
		{name: "model without client", dir: dir, models: []Model{{Name: "x"}}, results: rf, want: `model 0 ("x") has no client`},
		{name: "no results", dir: dir, models: models, want: "no results file"},
		{name: "missing folder", dir: filepath.Join(dir, "gone"), models: models, results: rf, sentinel: fs.ErrNotExist, want: "gone"},
		{name: "file, not folder", dir: file, models: models, results: rf, want: file + " is not a folder"},
		{name: "unknown selection", dir: dir, models: models, results: rf, opts: []RunnerOption{WithPrompts("most")}, want: `"most"`},
		{name: "bad shard", dir: dir, models: models, results: rf, opts: []RunnerOption{WithShard(shard.Shard{I: 2, N: 2})}, want: "2/2"},
		{name: "negative interval", dir: dir, models: models, results: rf, opts: []RunnerOption{WithProgress(io.Discard, -time.Second)}, want: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRunner(tc.dir, variants, tc.models, tc.results, tc.opts...)
			if err == nil {
				t.Fatalf("NewRunner = %v, nil; want an error", r)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %v is not %v", err, tc.sentinel)
			}
			if !strings.HasPrefix(err.Error(), "leak: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want the leak: prefix and %q", err, tc.want)
			}
		})
	}
	if _, err := (&Runner{}).Run(context.Background()); !errors.Is(err, errNotMade) {
		t.Errorf("Run on a zero Runner = %v, want errNotMade", err)
	}
}

func TestRunnerJobsOptions(t *testing.T) {
	dir, variants, models, rf := runnerArgs(t, "original", "blur", "white")
	per := len(variants) / 3 // variants per condition
	all, main := len(Prompts()), len(MainPrompts())
	for _, tc := range []struct {
		name string
		opts []RunnerOption
		want int
	}{
		{"protocol", nil, per * (all + 2*main)},
		{"all prompts", []RunnerOption{WithPrompts(SelectAll)}, per * 3 * all},
		{"main prompts", []RunnerOption{WithPrompts(SelectMain)}, per * 3 * main},
		{"two conditions", []RunnerOption{WithConditions("blur", "white")}, per * 2 * main},
		{"original only, all", []RunnerOption{WithConditions("original"), WithPrompts(SelectAll)}, per * all},
	} {
		if got := newRunner(t, dir, variants, models, rf, tc.opts...).Jobs(); got != tc.want {
			t.Errorf("%s: Jobs = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRunnerHealth(t *testing.T) {
	srv := leaktest.NewOllama("other:7b", func(leaktest.Question) (string, error) { return "", nil })
	defer srv.Close()
	models := []Model{{Name: "llava", Client: newOllama(t, srv)}}
	err := CheckHealth(context.Background(), models)
	if !errors.Is(err, vlm.ErrModelNotFound) || !strings.Contains(err.Error(), "llava") {
		t.Errorf("CheckHealth = %v, want ErrModelNotFound naming the model", err)
	}
	srv.Close()
	if err := CheckHealth(context.Background(), models); !errors.Is(err, vlm.ErrServerDown) {
		t.Errorf("CheckHealth on a closed server = %v, want ErrServerDown", err)
	}
	if err := CheckHealth(context.Background(), nil); !errors.Is(err, ErrNoModels) {
		t.Errorf("no models: %v", err)
	}
}

func TestRunnerCancel(t *testing.T) {
	dir := t.TempDir()
	byImage := writeVariants(t, dir, []string{"original"}, nil)
	srv := leaktest.NewOllama("llava:7b", studyAnswers(byImage), leaktest.WithDelay(20*time.Millisecond))
	defer srv.Close()
	variants, _, _ := ReadVariants(dir)
	path := filepath.Join(dir, "results.jsonl")
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var progress bytes.Buffer
	r := newRunner(t, dir, variants, []Model{{Client: newOllama(t, srv), Concurrency: 2}}, rf,
		WithProgress(&progress, time.Millisecond))
	time.AfterFunc(150*time.Millisecond, cancel)
	sum, err := r.Run(ctx)
	rf.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	done := sum.Models[0].OK + sum.Models[0].Failed
	if sum.Models[0].Failed != 0 || done == 0 || done >= 90 {
		t.Errorf("cancelled run: %+v, want some ok and none failed", sum.Models[0])
	}
	rows, _, _ := Latest(path)
	if len(rows) != done {
		t.Errorf("%d rows written, summary says %d", len(rows), done)
	}
	if !strings.Contains(progress.String(), "llava:7b: 90 questions, 0 already answered, 90 to ask") ||
		!strings.Contains(progress.String(), "req/s ETA") {
		t.Errorf("progress output:\n%s", progress.String())
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(200)
	start := time.Now()
	for range 11 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 11 requests at 200/s need at least 10 intervals of 5 ms.
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("11 requests at 200/s took %v, want ≥ 50ms", d)
	}
	if newLimiter(0).wait(context.Background()) != nil {
		t.Error("no limit must not wait")
	}
}

func TestRunnerStopsWhenServerFails(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) {
		return "", errors.New("CUDA error: an illegal memory access was encountered")
	})
	defer srv.Close()
	variants, _, _ := ReadVariants(dir)
	path := filepath.Join(dir, "results.jsonl")
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, dir, variants, []Model{{Client: newOllama(t, srv, vlm.WithMaxAttempts(1)), Concurrency: 2}}, rf,
		WithStopAfter(5))
	sum, err := r.Run(context.Background())
	rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := sum.Models[0]
	if !errors.Is(m.Stopped, ErrModelStopped) || !strings.Contains(m.Stopped.Error(), "illegal memory access") {
		t.Errorf("Stopped = %v, want ErrModelStopped with the last error", m.Stopped)
	}
	// The fifth failure stops the model; a request that failed at the
	// same moment on the other worker may be recorded too.
	if m.OK != 0 || m.Failed < 5 || m.Failed > 6 {
		t.Errorf("summary %+v, want 5 or 6 failures", m)
	}
	rows, _, _ := Latest(path)
	if len(rows) != m.Failed {
		t.Errorf("%d rows written, %d failures counted", len(rows), m.Failed)
	}
}

// runOnce runs one model over dir's variants into the results file at
// path and returns its summary and Run's error.
func runOnce(t *testing.T, dir, path string, srv *leaktest.Server, reuseLegacy bool) (ModelSummary, error) {
	t.Helper()
	variants, bad, err := ReadVariants(dir)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	r := newRunner(t, dir, variants, []Model{{Name: "llava", Client: newOllama(t, srv, vlm.WithMaxAttempts(1)), Concurrency: 2}}, rf,
		WithReuseLegacy(reuseLegacy))
	sum, err := r.Run(context.Background())
	if len(sum.Models) == 0 {
		return ModelSummary{}, err
	}
	return sum.Models[0], err
}

// TestRunnerKeyHasVariantContent queries two builds of the same photos
// (same IDs, other pixels, as a --grid 4 and a --grid 10 build have) into
// one results file: the second build's questions are new questions.
func TestRunnerKeyHasVariantContent(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeVariants(t, a, []string{"original"}, nil)
	writeVariants(t, b, []string{"original"}, nil)
	// Build b's pixels differ from a's; its metadata is the same.
	for _, p := range fixturePeople {
		if err := os.WriteFile(filepath.Join(b, "original", p.id+".png"), tinyPNG(t, p.shade+99), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) { return "A person.", nil })
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "results.jsonl")
	if m, err := runOnce(t, a, path, srv, false); err != nil || m.OK != 90 {
		t.Fatalf("build a: %+v, %v; want 90 ok", m, err)
	}
	m, err := runOnce(t, b, path, srv, false)
	if err != nil || m.Skipped != 0 || m.OK != 90 {
		t.Errorf("build b into a's results: %+v, %v; want 0 skipped, 90 asked", m, err)
	}
	if m, _ := runOnce(t, a, path, srv, false); m.Skipped != 90 || m.OK != 0 {
		t.Errorf("build a again: %+v, want all 90 skipped", m)
	}
	rows, _, _ := Latest(path)
	for _, r := range rows {
		if len(r.VariantSHA256) != 64 {
			t.Fatalf("row without its variant's hash: %+v", r)
		}
	}
}

// TestRunnerVariantChangedAfterMetadata: a variant file rewritten after
// metadata.jsonl was read is not asked about under the old file's key.
func TestRunnerVariantChangedAfterMetadata(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	variants, _, _ := ReadVariants(dir)
	p := fixturePeople[0]
	if err := os.WriteFile(filepath.Join(dir, "original", p.id+".png"), tinyPNG(t, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) { return "A person.", nil })
	defer srv.Close()
	rf, err := OpenResults(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	r := newRunner(t, dir, variants, []Model{{Name: "llava", Client: newOllama(t, srv)}}, rf)
	sum, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m := sum.Models[0]; m.Failed != 30 || m.OK != 60 || !strings.Contains(m.Errors[0], "changed since metadata.jsonl") {
		t.Errorf("summary %+v, want %s's 30 questions failed as changed", m, p.id)
	}
}

// TestRunnerLegacyResults: rows written before the key had the variant's
// hash are refused by default and reused on request.
func TestRunnerLegacyResults(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	variants, _, _ := ReadVariants(dir)
	path := filepath.Join(dir, "results.jsonl")
	// A legacy results file: every question answered, keys without the hash.
	rf, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range variants {
		v := variants[i]
		v.SHA256 = ""
		for _, p := range SelectProtocol.For(v.Condition) {
			res := &Result{Key: VariantKey("llava", "ollama", &v, p, vlm.Options{}), Model: "llava", Backend: "ollama",
				ImageID: v.ID, Name: v.Name, Condition: v.Condition, Category: p.CategoryName(), Phrasing: p.Phrasing,
				Prompt: p.Text, Answer: "A person.", Status: StatusOK}
			res.SetScores(Scores{})
			if err := rf.Append(res); err != nil {
				t.Fatal(err)
			}
		}
	}
	rf.Close()
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) { return "A person.", nil })
	defer srv.Close()
	if _, err := runOnce(t, dir, path, srv, false); !errors.Is(err, ErrLegacyResults) || !strings.Contains(err.Error(), "90 rows") {
		t.Errorf("legacy results without ReuseLegacy: %v, want ErrLegacyResults counting 90 rows", err)
	}
	m, err := runOnce(t, dir, path, srv, true)
	if err != nil || m.Skipped != 90 || srv.Requests() != 0 {
		t.Errorf("ReuseLegacy: %+v, %v, %d requests; want all 90 skipped", m, err, srv.Requests())
	}
}

// TestRunnerEmptyAnswer: an HTTP 200 with empty content is a failure
// ("empty answer"), never a scored "no leak", and is asked again.
func TestRunnerEmptyAnswer(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	var empty atomic.Bool
	empty.Store(true)
	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		if q.Prompt == promptText[2][0] && empty.Load() {
			return " \n", nil
		}
		return "A person.", nil
	})
	defer srv.Close()
	path := filepath.Join(dir, "results.jsonl")
	m, err := runOnce(t, dir, path, srv, false)
	if err != nil || m.Failed != 3 || m.OK != 87 || !strings.Contains(m.Errors[0], "empty answer") {
		t.Fatalf("first run: %+v, %v; want the 3 empty answers failed", m, err)
	}
	rows, _, _ := Latest(path)
	for _, r := range rows {
		if r.Prompt == promptText[2][0] && (r.OK() || r.Leak != nil || r.Error != ErrEmptyAnswer.Error()) {
			t.Errorf("empty answer row: %+v, want failed, unscored", r)
		}
	}
	empty.Store(false)
	if m, err := runOnce(t, dir, path, srv, false); err != nil || m.Skipped != 87 || m.OK != 3 {
		t.Errorf("re-run: %+v, %v; want the 3 asked again", m, err)
	}
}
