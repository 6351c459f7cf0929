package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/leak"
	"github.com/phantom-vlm/phantom/leak/leaktest"
)

// TestQueryHelperProcess is not a test: it runs phantom's main with the
// arguments after "--" when the parent test sets PHANTOM_QUERY_HELPER, so
// that tests can run (and kill) phantom in a subprocess.
func TestQueryHelperProcess(t *testing.T) {
	if os.Getenv("PHANTOM_QUERY_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Args = append([]string{"phantom"}, args...)
	main()
	os.Exit(0)
}

// phantomCmd returns a command running phantom with args in a subprocess,
// for the tests of what only a process shows: exit on a signal, a kill,
// the results file's lock held by another process, the ONNX Runtime
// library a process loads. The others run phantom in-process (phantomRun).
func phantomCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestQueryHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "PHANTOM_QUERY_HELPER=1")
	return cmd
}

// killFixture writes a variants folder of n people in two conditions and
// returns it with a map from image bytes to name.
func killFixture(t *testing.T, n int) (string, map[string]string) {
	dir := t.TempDir()
	names := make(map[string]string)
	var meta bytes.Buffer
	enc := json.NewEncoder(&meta)
	for _, cond := range []string{"original", "blur"} {
		os.MkdirAll(filepath.Join(dir, cond), 0o755)
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 4, 4))
			img.Pix[0], img.Pix[1] = byte(i), byte(len(cond))
			var b bytes.Buffer
			png.Encode(&b, img)
			name := fmt.Sprintf("Person%d Family%d", i, i)
			names[b.String()] = name
			file := fmt.Sprintf("%s/%03d.png", cond, i)
			if err := os.WriteFile(filepath.Join(dir, file), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			enc.Encode(leak.Variant{FileName: file, ID: fmt.Sprint("id", i), Name: name, Condition: cond})
		}
	}
	if err := os.WriteFile(filepath.Join(dir, leak.MetadataFile), meta.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, names
}

// signalAfter starts cmd, waits until path has n lines, and sends it sig;
// the caller waits for it. It returns the command and its stderr.
func signalAfter(t *testing.T, cmd *exec.Cmd, path string, n int, sig os.Signal) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for countLines(t, path) < n {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s: fewer than %d lines after 30 s; stderr:\n%s", path, n, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

func countLines(t *testing.T, path string) int {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("\n"))
}

// keyCounts returns how often each key occurs in a results file, and the
// answer of each.
func keyCounts(t *testing.T, path string) (map[string]int, map[string]string) {
	counts, answers := make(map[string]int), make(map[string]string)
	if _, err := leak.ReadResults(path, func(r *leak.Result) {
		counts[r.Key]++
		answers[r.Key] = r.Status + ": " + r.Answer
	}); err != nil {
		t.Fatal(err)
	}
	return counts, answers
}

// TestQueryKillResume kills phantom query with SIGKILL mid-run, resumes it,
// and compares the results with a clean run: every question answered once,
// none missing, none duplicated.
func TestQueryKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, names := killFixture(t, 6) // 6 × 30 + 6 × 5 = 210 questions
	const total = 210
	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		if strings.HasPrefix(q.Prompt, "Who") {
			return "This is " + names[string(q.Image)] + ".", nil
		}
		return "A grey square.", nil
	}, leaktest.WithDelay(15*time.Millisecond))
	defer srv.Close()
	args := func(results string) []string {
		return []string{"query", "--variants", dir, "--url", srv.URL, "--model", "llava:7b", "--name", "llava",
			"--concurrency", "4", "--results", results}
	}

	killed := filepath.Join(t.TempDir(), "killed.jsonl")
	cmd, _ := signalAfter(t, phantomCmd(args(killed)...), killed, 40, syscall.SIGKILL)
	cmd.Wait()
	before := countLines(t, killed)
	if before >= total {
		t.Fatalf("the run finished (%d rows) before it was killed", before)
	}
	// A write torn by the kill (or a power loss) leaves half a line.
	f, _ := os.OpenFile(killed, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"key":"0123456789abcdef0123456789abcdef","status":"ok","answer":"half`)
	f.Close()

	out, status := phantomCombined(t, args(killed)...)
	if status != 0 {
		t.Fatalf("resume: status %d\n%s", status, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d questions, %d answered before", total, before)) {
		t.Errorf("resume output does not report %d answered before:\n%s", before, out)
	}
	clean := filepath.Join(t.TempDir(), "clean.jsonl")
	if out, status := phantomCombined(t, args(clean)...); status != 0 {
		t.Fatalf("clean run: status %d\n%s", status, out)
	}

	gotCounts, gotAnswers := keyCounts(t, killed)
	wantCounts, wantAnswers := keyCounts(t, clean)
	if len(wantCounts) != total || countLines(t, clean) != total {
		t.Fatalf("clean run: %d keys in %d lines, want %d", len(wantCounts), countLines(t, clean), total)
	}
	if n := countLines(t, killed); n != total {
		t.Errorf("killed and resumed run has %d lines, want %d", n, total)
	}
	for k, n := range gotCounts {
		if n != 1 {
			t.Errorf("key %s written %d times", k, n)
		}
		if _, ok := wantCounts[k]; !ok {
			t.Errorf("key %s not in the clean run", k)
		}
	}
	for k, a := range wantAnswers {
		if gotAnswers[k] != a {
			t.Errorf("key %s: resumed %q, clean %q", k, gotAnswers[k], a)
		}
	}

	// The report reads the resumed file alone.
	rep := t.TempDir()
	if out, status := phantomCombined(t, "report", "--results", killed, "--out", rep); status != 0 {
		t.Fatalf("report: status %d\n%s", status, out)
	}
	tableB, err := os.ReadFile(filepath.Join(rep, "table_b_blur.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Both "Who" prompts (P2R0, P4R0) name all 6 people.
	for _, line := range []string{"llava,P2,6,6,100.0000,", "llava,P4,6,6,100.0000,", "llava,P0,0,6,0.0000,"} {
		if !strings.Contains(string(tableB), line) {
			t.Errorf("table_b_blur.csv lacks %q:\n%s", line, tableB)
		}
	}
}

// TestQueryInterrupt stops phantom query with SIGINT while questions are in
// flight: it says how to resume and exits with 130, as a shell expects of an
// interrupted command, and the answers it had are kept.
func TestQueryInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, _ := killFixture(t, 2) // 70 questions
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) { return "A grey square.", nil },
		leaktest.WithDelay(20*time.Millisecond))
	defer srv.Close()
	results := filepath.Join(t.TempDir(), "r.jsonl")
	cmd, stderr := signalAfter(t, phantomCmd("query", "--variants", dir, "--url", srv.URL, "--model", "llava:7b",
		"--concurrency", "1", "--results", results), results, 3, os.Interrupt)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("exit: %v, want status 130\n%s", err, stderr.String())
	}
	for _, want := range []string{"run the same command again to resume", "phantom: stopped (interrupt)"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("stderr shows the internal cancellation:\n%s", stderr.String())
	}
	if n := countLines(t, results); n < 3 || n >= 70 {
		t.Errorf("%d answers kept, want between 3 and 69", n)
	}
}

func TestQueryHealthMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, _ := killFixture(t, 1)
	srv := leaktest.NewOllama("moondream:latest", func(leaktest.Question) (string, error) { return "", nil })
	defer srv.Close()
	results := filepath.Join(t.TempDir(), "r.jsonl")
	out, status := phantomCombined(t, "query", "--variants", dir, "--url", srv.URL, "--model", "llava:7b", "--results", results)
	if status == 0 {
		t.Fatalf("query with a missing model succeeded:\n%s", out)
	}
	for _, want := range []string{"health check failed", "llava:7b", "not loaded", "moondream:latest", "ollama pull llava:7b"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if srv.Requests() != 0 {
		t.Errorf("%d questions asked despite the failed health check", srv.Requests())
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("results file created despite the failed health check")
	}
}

// TestQueryProgressLines checks the plain progress lines written when
// stderr is not a terminal.
func TestQueryProgressLines(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, _ := killFixture(t, 1)
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) { return "A square.", nil })
	defer srv.Close()
	_, stderr, status := phantomRun(t, "query", "--variants", dir, "--url", srv.URL, "--model", "llava:7b", "--prompts", "main",
		"--results", filepath.Join(t.TempDir(), "r.jsonl"))
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stderr))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 || lines[0] != "llava:7b: 10 questions, 0 already answered, 10 to ask" ||
		!strings.HasPrefix(lines[len(lines)-1], "llava:7b 10/10 100%") || strings.Contains(stderr, "\x1b[") {
		t.Errorf("progress lines:\n%s", strings.Join(lines, "\n"))
	}
}

// TestQueryStudyFile runs a two-model study file against two servers and
// checks that each model's rows carry its name, backend and options.
func TestQueryStudyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, names := killFixture(t, 2)
	answer := func(q leaktest.Question) (string, error) {
		if q.Seed != 7 || q.NumPredict != 64 {
			return "", fmt.Errorf("options seed %d, num_predict %d; want the study's 7, 64", q.Seed, q.NumPredict)
		}
		return "Maybe " + names[string(q.Image)], nil
	}
	a := leaktest.NewOllama("llava:7b", answer)
	defer a.Close()
	b := leaktest.NewOllama("bakllava:latest", answer)
	defer b.Close()
	study := filepath.Join(t.TempDir(), "study.yaml")
	os.WriteFile(study, []byte(fmt.Sprintf(`prompts: main
conditions: [blur]
seed: 7
max_tokens: 64
models:
  - {name: llava, backend: ollama, url: %s, model: "llava:7b", concurrency: 2}
  - {backend: ollama, url: %s, model: bakllava, rate: 1000}
`, a.URL, b.URL)), 0o644)
	results := filepath.Join(t.TempDir(), "r.jsonl")
	out, status := phantomCombined(t, "query", "--variants", dir, "--study", study, "--results", results)
	if status != 0 {
		t.Fatalf("status %d\n%s", status, out)
	}
	perModel := make(map[string]int)
	leak.ReadResults(results, func(r *leak.Result) {
		if r.Condition != "blur" || r.Seed != 7 || r.MaxTokens != 64 || !r.OK() || !*r.Leak {
			t.Errorf("row %+v", r)
		}
		perModel[r.Model+" "+r.ModelID]++
	})
	// 2 blurred variants × 5 main prompts per model.
	if fmt.Sprint(perModel) != "map[bakllava bakllava:10 llava llava:7b:10]" {
		t.Errorf("rows per model: %v\n%s", perModel, out)
	}
}

func TestCheckConditions(t *testing.T) {
	vs := []leak.Variant{{Condition: "original"}, {Condition: "blur"}, {Condition: "original"}}
	if err := checkConditions([]string{"blur", "original"}, vs); err != nil {
		t.Errorf("known conditions: %v", err)
	}
	err := checkConditions([]string{"blur", "landscape_blur"}, vs)
	if err == nil || err.Error() != "no variants of condition landscape_blur (the variants have original, blur)" {
		t.Errorf("typo: %v", err)
	}
}

func TestCanonicalConditions(t *testing.T) {
	// A study's list, and --conditions split at every comma by the flag
	// parser: parameters join their condition again, and every condition
	// is spelled as phantom build writes it.
	got := canonicalConditions([]string{"original", "pixelate", "pixelate:scale=1.3", "grid=4", "White+Pixelate:grid=4", "my_own", "blur"})
	want := []string{"original", "blur", "pixelate:grid=4,scale=1.3", "white+pixelate:grid=4", "my_own"}
	if !slices.Equal(got, want) {
		t.Errorf("canonicalConditions = %q, want %q", got, want)
	}
}

// TestQueryTwoRunsOneResultsFile starts a second phantom query on a results
// file that a first one is appending to: the second is refused, names the
// first, and the first finishes with every key once.
func TestQueryTwoRunsOneResultsFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	dir, _ := killFixture(t, 2) // 70 questions
	// The first answer comes at once, the others once the second run has
	// been refused: the first run is surely still going.
	release := make(chan struct{})
	var asked atomic.Int32
	srv := leaktest.NewOllama("llava:7b", func(leaktest.Question) (string, error) {
		if asked.Add(1) > 1 {
			<-release
		}
		return "A grey square.", nil
	})
	defer srv.Close()
	results := filepath.Join(t.TempDir(), "r.jsonl")
	args := []string{"query", "--variants", dir, "--url", srv.URL, "--model", "llava:7b", "--concurrency", "1", "--results", results}
	first := phantomCmd(args...)
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); countLines(t, results) < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("no answer recorded after 30 s:\n%s", firstErr.String())
		}
	}
	second := phantomCmd(args...)
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("second run: %v, want exit status 1\n%s", err, out)
	}
	if want := fmt.Sprintf("held by pid %d", first.Process.Pid); !strings.Contains(string(out), want) || !strings.Contains(string(out), "another run is appending") {
		t.Errorf("second run says:\n%s\nwant it to name the first (%s)", out, want)
	}
	close(release)
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s", err, firstErr.String())
	}
	counts, _ := keyCounts(t, results)
	for k, n := range counts {
		if n != 1 {
			t.Errorf("key %s written %d times", k, n)
		}
	}
	if len(counts) != 70 {
		t.Errorf("%d keys, want 70", len(counts))
	}
}
