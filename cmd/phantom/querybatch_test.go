package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/leak"
)

// TestQueryBatchRoundTrip runs the batch flow as a user does: export, an
// engine's output file (written here from the documented schema), import,
// a second export holding only what is left, and a report; the export's
// custom_ids are the keys a live OpenAI-backend run records.
func TestQueryBatchRoundTrip(t *testing.T) {
	dir, names := killFixture(t, 3)
	work := t.TempDir()
	results := filepath.Join(work, "results.jsonl")
	out := filepath.Join(work, "batch")
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		stdout, stderr, status := phantomRun(t, args...)
		if (status == 0) != wantOK {
			t.Fatalf("phantom %s: status %d\n%s%s", strings.Join(args, " "), status, stdout, stderr)
		}
		return stdout
	}
	base := []string{"query", "--variants", dir, "--model", "llava-hf/llava-1.5-7b-hf", "--name", "llava", "--results", results}
	run(true, append(base, "--export-batch", out, "--image-ref", "file")...)

	var man leak.BatchManifest
	data, err := os.ReadFile(filepath.Join(out, leak.BatchManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	if man.Requests != 3*(30+5) || len(man.Files) != 1 {
		t.Fatalf("manifest: %d requests in %d files, want 105 in 1", man.Requests, len(man.Files))
	}

	// The engine answers every other request, naming the person; the
	// rest of the file is lost. The requests name their images by file URL.
	reqs, err := os.ReadFile(filepath.Join(out, man.Files[0].File))
	if err != nil {
		t.Fatal(err)
	}
	var outLines []string
	var answered []string
	for i, line := range strings.Split(strings.TrimSpace(string(reqs)), "\n") {
		var in struct {
			CustomID string `json:"custom_id"`
			Body     struct {
				Messages []struct {
					Content []struct {
						Type     string `json:"type"`
						ImageURL struct {
							URL string `json:"url"`
						} `json:"image_url"`
					} `json:"content"`
				} `json:"messages"`
			} `json:"body"`
		}
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			continue
		}
		img, err := os.ReadFile(strings.TrimPrefix(in.Body.Messages[0].Content[1].ImageURL.URL, "file://"))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := json.Marshal("It is " + names[string(img)] + ".")
		outLines = append(outLines, fmt.Sprintf(`{"id":"vllm-%d","custom_id":%q,"response":{"status_code":200,"request_id":"vllm-batch-%d","body":{"id":"c","object":"chat.completion","model":"llava-hf/llava-1.5-7b-hf","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}]}},"error":null}`, i, in.CustomID, i, answer))
		answered = append(answered, in.CustomID)
	}
	outFile := filepath.Join(work, "output.jsonl")
	if err := os.WriteFile(outFile, []byte(strings.Join(outLines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout := run(true, append(base, "--import-batch", outFile)...)
	if !strings.Contains(stdout, fmt.Sprintf("%d ok (%d name the person)", len(answered), len(answered))) {
		t.Errorf("import summary:\n%s", stdout)
	}
	// Again: nothing is added.
	stdout = run(true, append(base, "--import-batch", filepath.Join(work, "out*.jsonl"))...)
	if !strings.Contains(stdout, "0 ok") || countLines(t, results) != len(answered) {
		t.Errorf("second import added rows:\n%s", stdout)
	}
	// The next export holds exactly the unanswered requests.
	out2 := filepath.Join(work, "batch2")
	run(true, append(base, "--export-batch", out2, "--image-ref", "file")...)
	data, _ = os.ReadFile(filepath.Join(out2, leak.BatchManifestFile))
	var man2 leak.BatchManifest
	json.Unmarshal(data, &man2)
	if man2.Requests != man.Requests-len(answered) {
		t.Errorf("second export: %d requests, want %d", man2.Requests, man.Requests-len(answered))
	}
	run(true, "report", "--results", results, "--out", filepath.Join(work, "report"))

	// A live run with the OpenAI backend records the same keys.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"object":"list","data":[{"id":"llava-hf/llava-1.5-7b-hf"}]}`)
			return
		}
		fmt.Fprint(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"A person."},"finish_reason":"stop"}]}`)
	}))
	defer srv.Close()
	live := filepath.Join(work, "live.jsonl")
	run(true, "query", "--variants", dir, "--backend", "openai", "--url", srv.URL, "--model", "llava-hf/llava-1.5-7b-hf", "--name", "llava", "--results", live)
	liveKeys, _ := keyCounts(t, live)
	var got, want []string
	for k := range liveKeys {
		got = append(got, k)
	}
	want = append(want, man.Files[0].Keys...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("live keys differ from the exported custom_ids")
	}

	// Bad use is refused with a reason.
	run(false, append(base, "--export-batch", out)...) // the folder holds an export
	for _, flag := range []string{"--batch-max-requests", "--batch-max-bytes"} {
		neg, negResults := filepath.Join(work, "negative"), filepath.Join(work, "negative.jsonl")
		_, stderr, status := phantomRun(t, append(base, "--export-batch", neg, flag, "-1", "--results", negResults)...)
		if status == 0 || !strings.Contains(stderr, flag) {
			t.Errorf("%s -1: status %d, stderr %q: want a failure naming the flag", flag, status, stderr)
		}
		if _, err := os.Stat(negResults); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s -1: the results file was opened before the flag was refused (stat: %v)", flag, err)
		}
	}
	run(false, append(base, "stray-argument")...)
	run(false, append(base, "--import-batch", filepath.Join(work, "nothing-*.jsonl"))...)
}
