package leak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/phantom-vlm/phantom/vlm"
)

// batchInput is one line of a batch input file, decoded.
type batchInput struct {
	CustomID string          `json:"custom_id"`
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     json.RawMessage `json:"body"`
}

// chatBody is the part of an OpenAI chat request body the tests look at.
type chatBody struct {
	Model       string  `json:"model"`
	Temperature float64 `json:"temperature"`
	Seed        int64   `json:"seed"`
	MaxTokens   int     `json:"max_tokens"`
	Messages    []struct {
		Role    string `json:"role"`
		Content []struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			ImageURL struct {
				URL string `json:"url"`
			} `json:"image_url"`
		} `json:"content"`
	} `json:"messages"`
}

func (c chatBody) prompt() (text, image string) {
	for _, p := range c.Messages[0].Content {
		switch p.Type {
		case "text":
			text = p.Text
		case "image_url":
			image = p.ImageURL.URL
		}
	}
	return text, image
}

func newOpenAIClient(t testing.TB, base, model string) *vlm.OpenAI {
	t.Helper()
	c, err := vlm.NewOpenAI(base, model)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// batchRunner is a runner over the fixture's original and blur variants
// for the given models, with an empty results file.
func batchRunner(t testing.TB, dir string, models ...Model) *Runner {
	t.Helper()
	variants, bad, err := ReadVariants(dir)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	res, err := OpenResults(filepath.Join(t.TempDir(), "results.jsonl"), WithSyncInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return newRunner(t, dir, variants, models, res, WithDecoding(vlm.Options{Seed: 7, MaxTokens: 64}))
}

// readExport reads every request of an export, checking the manifest
// against the files: keys in file order, sizes, checksums, one model per
// file, and the limits.
func readExport(t *testing.T, dir string, maxRequests int, maxBytes int64) (BatchManifest, []batchInput) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, BatchManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var man BatchManifest
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	var all []batchInput
	total := 0
	for _, f := range man.Files {
		raw, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(raw)) != f.Bytes {
			t.Errorf("%s: manifest says %d bytes sha256 %s; file has %d bytes sha256 %x", f.File, f.Bytes, f.SHA256, len(raw), sum)
		}
		if f.Requests > maxRequests || f.Bytes > maxBytes {
			t.Errorf("%s: %d requests, %d bytes: over the limits %d, %d", f.File, f.Requests, f.Bytes, maxRequests, maxBytes)
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<24)
		var keys []string
		for sc.Scan() {
			var in batchInput
			if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
				t.Fatalf("%s: %v", f.File, err)
			}
			var body chatBody
			if err := json.Unmarshal(in.Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Model != f.ModelID {
				t.Errorf("%s holds a request for %s, manifest says %s", f.File, body.Model, f.ModelID)
			}
			if in.Method != "POST" || in.URL != "/v1/chat/completions" {
				t.Errorf("line %+v: want POST /v1/chat/completions", in)
			}
			keys = append(keys, in.CustomID)
			all = append(all, in)
		}
		if !reflect.DeepEqual(keys, f.Keys) || len(keys) != f.Requests {
			t.Errorf("%s: manifest keys differ from the file's custom_ids", f.File)
		}
		total += f.Requests
	}
	if total != man.Requests {
		t.Errorf("manifest says %d requests, files hold %d", man.Requests, total)
	}
	return man, all
}

// TestExportBatchBodies checks every exported body against the request the
// OpenAI client sends live for the same question: the same JSON after
// decoding, and the custom_id is the key the live run records.
func TestExportBatchBodies(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original", "blur"}, nil)

	var mu sync.Mutex
	live := make(map[string]any) // prompt + image URL → decoded body
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body chatBody
		var decoded any
		if json.Unmarshal(raw, &body) != nil || json.Unmarshal(raw, &decoded) != nil {
			http.Error(w, "bad json", 400)
			return
		}
		text, img := body.prompt()
		mu.Lock()
		live[text+"\x00"+img] = decoded
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"A person."},"finish_reason":"stop"}]}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := newOpenAIClient(t, srv.URL, "llava-hf/llava-1.5-7b-hf")
	r := batchRunner(t, dir, Model{Name: "llava", Client: client})
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	liveRows, _, err := Latest(r.results.Path())
	if err != nil {
		t.Fatal(err)
	}

	// A fresh results file: export everything.
	r2 := batchRunner(t, dir, Model{Name: "llava", Client: client})
	out := filepath.Join(t.TempDir(), "batch")
	sum, err := r2.ExportBatch(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	_, lines := readExport(t, out, DefaultBatchRequests, DefaultBatchBytes)
	if len(lines) != len(liveRows) || sum.Models[0].Exported != len(lines) {
		t.Fatalf("exported %d (summary %+v), live run asked %d", len(lines), sum.Models, len(liveRows))
	}
	liveKeys := make(map[string]bool)
	for _, row := range liveRows {
		liveKeys[row.Key] = true
	}
	for _, in := range lines {
		var body chatBody
		var decoded any
		json.Unmarshal(in.Body, &body)
		json.Unmarshal(in.Body, &decoded)
		text, img := body.prompt()
		if !strings.HasPrefix(img, "data:image/png;base64,") {
			t.Fatalf("image %.40q is not a data URL", img)
		}
		want, ok := live[text+"\x00"+img]
		if !ok {
			t.Fatalf("exported request %q about %.40s… was never sent live", text, img)
		}
		if !reflect.DeepEqual(decoded, want) {
			t.Errorf("exported body %v\nlive body %v", decoded, want)
		}
		if !liveKeys[in.CustomID] {
			t.Errorf("custom_id %s is not a key of the live run", in.CustomID)
		}
	}
}

func TestExportBatchSplitsAndModels(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original", "blur"}, nil)
	a := newOpenAIClient(t, "http://127.0.0.1:1", "org/model-a")
	b := newOpenAIClient(t, "http://127.0.0.1:1", "org/model-b")
	r := batchRunner(t, dir, Model{Name: "a/b", Client: a}, Model{Name: "a_b", Client: b})

	out := filepath.Join(t.TempDir(), "batch")
	const maxReq, maxBytes = 7, 40_000
	sum, err := r.ExportBatch(context.Background(), out, WithImageRef(ImageFile), WithMaxRequests(maxReq), WithMaxBytes(maxBytes))
	if err != nil {
		t.Fatal(err)
	}
	man, lines := readExport(t, out, maxReq, maxBytes)
	perModel := r.Jobs()
	if len(lines) != 2*perModel || man.Requests != 2*perModel {
		t.Fatalf("%d requests, want %d", len(lines), 2*perModel)
	}
	if want := 2 * ((perModel + maxReq - 1) / maxReq); len(man.Files) != want {
		t.Errorf("%d files, want %d", len(man.Files), want)
	}
	names := make(map[string]bool)
	for _, f := range man.Files {
		names[strings.Split(f.File, ".")[0]] = true
	}
	if !names["a_b"] || !names["a_b-2"] || len(names) != 2 {
		t.Errorf("file name stems %v: want a_b and a_b-2 (the names collide once made safe)", names)
	}
	for _, s := range sum.Models {
		if s.Exported != perModel || s.Failed != 0 {
			t.Errorf("summary %+v", s)
		}
	}
	// file:// URLs name the variant files, absolutely.
	for _, in := range lines[:3] {
		var body chatBody
		json.Unmarshal(in.Body, &body)
		_, img := body.prompt()
		u, err := url.Parse(img)
		if err != nil || u.Scheme != "file" || !filepath.IsAbs(u.Path) {
			t.Fatalf("image %q is not an absolute file URL", img)
		}
		if _, err := os.Stat(u.Path); err != nil {
			t.Errorf("file URL %s: %v", img, err)
		}
	}

	// The byte limit alone splits too: each file stays under it.
	out2 := filepath.Join(t.TempDir(), "batch")
	if _, err := r.ExportBatch(context.Background(), out2, WithMaxBytes(3000)); err != nil {
		t.Fatal(err)
	}
	man2, _ := readExport(t, out2, DefaultBatchRequests, 3000)
	if len(man2.Files) < 4 {
		t.Errorf("%d files under a 3000-byte limit", len(man2.Files))
	}

	// An export folder is not reused.
	if _, err := r.ExportBatch(context.Background(), out); !errors.Is(err, ErrExportExists) {
		t.Errorf("second export into %s: %v, want ErrExportExists", out, err)
	}
}

func TestExportBatchRefusesOllama(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	c, err := vlm.NewOllama("http://127.0.0.1:1", "llava:7b")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := batchRunner(t, dir, Model{Client: c})
	if _, err := r.ExportBatch(context.Background(), t.TempDir()); !errors.Is(err, ErrNotBatchable) {
		t.Errorf("export for an Ollama model: %v, want ErrNotBatchable", err)
	}
	if _, err := r.ImportBatch(context.Background(), nil); !errors.Is(err, ErrNotBatchable) {
		t.Errorf("import for an Ollama model: %v, want ErrNotBatchable", err)
	}
}

func TestExportBatchBadOptions(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	r := batchRunner(t, dir, Model{Client: newOpenAIClient(t, "http://127.0.0.1:1", "m")})
	for _, tc := range []struct {
		name string
		opt  BatchOption
		want string
	}{
		{"negative requests", WithMaxRequests(-1), "WithMaxRequests(-1)"},
		{"negative bytes", WithMaxBytes(-5), "WithMaxBytes(-5)"},
		{"unknown image ref", WithImageRef("ftp"), `WithImageRef("ftp")`},
	} {
		out := filepath.Join(t.TempDir(), "batch")
		_, err := r.ExportBatch(context.Background(), out, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
		if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("%s: the folder was made (%v); a bad option must write nothing", tc.name, serr)
		}
	}
	if _, err := r.ExportBatch(context.Background(), ""); err == nil {
		t.Error("export into the empty folder name: no error")
	}
}

func TestExportBatchMissingImage(t *testing.T) {
	dir := t.TempDir()
	missing := Variant{FileName: "blur/gone.png", ID: "p-gone", Name: "Nobody Here", Condition: "blur"}
	writeVariants(t, dir, []string{"original"}, []Variant{missing})
	r := batchRunner(t, dir, Model{Client: newOpenAIClient(t, "http://127.0.0.1:1", "m")})
	for _, ref := range []ImageRef{ImageData, ImageFile} {
		sum, err := r.ExportBatch(context.Background(), t.TempDir(), WithImageRef(ref))
		if err != nil {
			t.Fatal(err)
		}
		m := sum.Models[0]
		if m.Failed != len(SelectProtocol.For("blur")) || m.Exported != m.Total-m.Failed || len(m.Errors) == 0 || !strings.Contains(m.Errors[0], "blur/gone.png") {
			t.Errorf("%s: summary %+v: want the missing file's questions failed, naming it", ref, m)
		}
	}
}

// outputLine writes one batch output line from the documented schema (as
// the OpenAI Batch API and vllm run-batch write them), not from phantom's
// own code.
func outputLine(id, customID string, status int, body string, errObj string) string {
	resp := "null"
	if status != 0 {
		resp = fmt.Sprintf(`{"status_code":%d,"request_id":"req-%s","body":%s}`, status, id, body)
	}
	if errObj == "" {
		errObj = "null"
	}
	return fmt.Sprintf(`{"id":%q,"custom_id":%q,"response":%s,"error":%s}`, id, customID, resp, errObj)
}

func completion(text string) string {
	b, _ := json.Marshal(text)
	return `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"llava","choices":[{"index":0,"message":{"role":"assistant","content":` + string(b) + `},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
}

func TestImportBatch(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original", "blur"}, nil)
	client := newOpenAIClient(t, "http://127.0.0.1:1", "llava")
	r := batchRunner(t, dir, Model{Name: "llava", Client: client})

	out := filepath.Join(t.TempDir(), "batch")
	if _, err := r.ExportBatch(context.Background(), out, WithImageRef(ImageFile)); err != nil {
		t.Fatal(err)
	}
	_, reqs := readExport(t, out, DefaultBatchRequests, DefaultBatchBytes)
	byKey := make(map[string]string) // key → prompt
	for _, in := range reqs {
		var body chatBody
		json.Unmarshal(in.Body, &body)
		byKey[in.CustomID], _ = body.prompt()
	}
	keys := make([]string, 0, len(reqs))
	for _, in := range reqs {
		keys = append(keys, in.CustomID)
	}
	// Answer the first half; of those, some fail in each documented way.
	half := keys[:len(keys)/2]
	type want struct {
		status, errPart string
	}
	wants := make(map[string]want)
	var lines []string
	for i, k := range half {
		id := fmt.Sprintf("batch_req_%03d", i)
		switch i % 6 {
		case 1:
			lines = append(lines, outputLine(id, k, 400, `{"error":{"message":"image too large","type":"invalid_request_error"}}`, ""))
			wants[k] = want{StatusFailed, "HTTP 400: image too large"}
		case 2:
			lines = append(lines, outputLine(id, k, 503, `{"object":"error","message":"engine overloaded","code":503}`, ""))
			wants[k] = want{StatusFailed, "HTTP 503: engine overloaded"}
		case 3:
			lines = append(lines, outputLine(id, k, 0, "", `{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}`))
			wants[k] = want{StatusFailed, "batch_expired: This request could not be executed"}
		default:
			lines = append(lines, outputLine(id, k, 200, completion("This is Lionel   MESSI, I think."), ""))
			wants[k] = want{StatusOK, ""}
		}
	}
	// Out of order, one duplicated, one unknown key, and a truncated last line.
	for i := range lines {
		j := (i * 7) % len(lines)
		lines[i], lines[j] = lines[j], lines[i]
	}
	lines = append(lines, lines[0])
	lines = append(lines, outputLine("batch_req_x", strings.Repeat("ab", 16), 200, completion("x"), ""))
	truncatedKey := keys[len(keys)-1]
	text := strings.Join(lines, "\n") + "\n" + outputLine("batch_req_t", truncatedKey, 200, completion("x"), "")[:40]
	outFile := filepath.Join(t.TempDir(), "output.jsonl")
	if err := os.WriteFile(outFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	sum, err := r.ImportBatch(context.Background(), []string{outFile})
	if err != nil {
		t.Fatal(err)
	}
	nFailed := 0
	for _, w := range wants {
		if w.status == StatusFailed {
			nFailed++
		}
	}
	if sum.OK != len(half)-nFailed || sum.Failed != nFailed || sum.Duplicate != 1 || sum.Unknown != 1 || sum.Bad != 1 {
		t.Fatalf("summary %+v: want %d ok, %d failed, 1 duplicate, 1 unknown, 1 bad", sum, len(half)-nFailed, nFailed)
	}
	joined := strings.Join(sum.Problems, "\n")
	for _, part := range []string{"truncated", "is no question of this study", outFile} {
		if !strings.Contains(joined, part) {
			t.Errorf("problems do not mention %q:\n%s", part, joined)
		}
	}

	rows, _, err := Latest(r.results.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(half) {
		t.Fatalf("%d rows, want %d", len(rows), len(half))
	}
	for _, row := range rows {
		w, ok := wants[row.Key]
		if !ok {
			t.Fatalf("row for key %s that was not answered", row.Key)
		}
		if row.Status != w.status || !strings.Contains(row.Error, w.errPart) || row.BatchID == "" {
			t.Errorf("row %s: status %s error %q batch_id %q; want %s with %q", row.Key, row.Status, row.Error, row.BatchID, w.status, w.errPart)
		}
		if row.Prompt != byKey[row.Key] || row.Model != "llava" || row.Backend != vlm.BackendOpenAI {
			t.Errorf("row %s is for prompt %q model %s/%s, the request was %q", row.Key, row.Prompt, row.Model, row.Backend, byKey[row.Key])
		}
		if row.OK() {
			// Scored exactly as a live answer is.
			s := Score(row.Answer, row.Name, row.Aliases...)
			if *row.Leak != s.Leak || *row.AliasLeak != s.AliasLeak || *row.SurnameLeak != s.SurnameLeak {
				t.Errorf("row %s scored %v/%v/%v, Score gives %+v", row.Key, *row.Leak, *row.AliasLeak, *row.SurnameLeak, s)
			}
			if (row.Name == "Lionel Messi") != *row.Leak {
				t.Errorf("%s: leak %v for answer %q", row.Name, *row.Leak, row.Answer)
			}
		} else if row.Leak != nil {
			t.Errorf("failed row %s is scored", row.Key)
		}
	}

	// Importing the same file again adds nothing.
	before := r.results.Rows()
	sum2, err := r.ImportBatch(context.Background(), []string{outFile})
	if err != nil {
		t.Fatal(err)
	}
	if r.results.Rows() != before || sum2.OK+sum2.Failed != 0 || sum2.Duplicate != len(half)+1 {
		t.Errorf("second import: %+v, rows %d → %d: want nothing added", sum2, before, r.results.Rows())
	}
	// Also after reopening the results file.
	path := r.results.Path()
	r.results.Close()
	res, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	r.results = res
	sum3, err := r.ImportBatch(context.Background(), []string{outFile})
	if err != nil || sum3.OK+sum3.Failed != 0 {
		t.Errorf("import after reopening: %+v, %v: want nothing added", sum3, err)
	}

	// Round trip: the next export holds exactly the unanswered half and
	// the failed ones.
	out2 := filepath.Join(t.TempDir(), "batch2")
	if _, err := r.ExportBatch(context.Background(), out2, WithImageRef(ImageFile)); err != nil {
		t.Fatal(err)
	}
	_, again := readExport(t, out2, DefaultBatchRequests, DefaultBatchBytes)
	var got, wantKeys []string
	for _, in := range again {
		got = append(got, in.CustomID)
	}
	wantKeys = append(wantKeys, keys[len(keys)/2:]...)
	for k, w := range wants {
		if w.status == StatusFailed {
			wantKeys = append(wantKeys, k)
		}
	}
	sort.Strings(got)
	sort.Strings(wantKeys)
	if !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("second export holds %d keys, want the %d unanswered and %d failed", len(got), len(keys)-len(half), nFailed)
	}
}

func TestParseImageRef(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ImageRef
		ok   bool
	}{{"", ImageData, true}, {"data", ImageData, true}, {"file", ImageFile, true}, {"url", "", false}} {
		got, err := ParseImageRef(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseImageRef(%q) = %q, %v", tt.in, got, err)
		}
	}
}

// A variant rewritten since its metadata row is not exported under the old
// file's key, in either image mode, as a live run does not ask it.
func TestExportBatchChangedVariant(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	r := batchRunner(t, dir, Model{Client: newOpenAIClient(t, "http://127.0.0.1:1", "m")})
	if err := os.WriteFile(filepath.Join(dir, "original", "p-messi.png"), tinyPNG(t, 99), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []ImageRef{ImageData, ImageFile} {
		sum, err := r.ExportBatch(context.Background(), t.TempDir(), WithImageRef(ref))
		if err != nil {
			t.Fatal(err)
		}
		if m := sum.Models[0]; m.Failed != 30 || len(m.Errors) == 0 || !strings.Contains(m.Errors[0], "changed since metadata.jsonl") {
			t.Errorf("%s: %+v: want the rewritten file's 30 questions failed", ref, m)
		}
	}
}

// Rows made by hand, without the sha256 column, are hashed from their
// files when the run starts.
func TestRunnerHashesHandMadeRows(t *testing.T) {
	dir := t.TempDir()
	writeVariants(t, dir, []string{"original"}, nil)
	variants, _, err := ReadVariants(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := variants[0].SHA256
	for i := range variants {
		variants[i].SHA256 = ""
	}
	res, err := OpenResults(filepath.Join(t.TempDir(), "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	r := newRunner(t, dir, variants, []Model{{Client: newOpenAIClient(t, "http://127.0.0.1:1", "m")}}, res)
	if _, err := r.ExportBatch(context.Background(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if r.variants[0].SHA256 != want || want == "" {
		t.Errorf("sha256 %q after the run, want %q", r.variants[0].SHA256, want)
	}
	if variants[0].SHA256 != "" {
		t.Errorf("the caller's row got sha256 %q: the runner must hash its own copy", variants[0].SHA256)
	}
}
