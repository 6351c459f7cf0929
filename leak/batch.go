package leak

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/phantom-vlm/phantom/internal/atomicfile"
	"github.com/phantom-vlm/phantom/vlm"
)

// ImageRef says how a batch request gives its image.
type ImageRef string

// The ways a batch request gives its image.
const (
	// ImageData inlines the image as a data: URL, as Ask does. Hosted
	// batch APIs need it. It is the default.
	ImageData ImageRef = "data"
	// ImageFile gives the variant file's absolute file:// URL, which
	// `vllm run-batch` reads when started with --allowed-local-media-path
	// set to the variants folder. A request is then a few hundred bytes
	// instead of the image's size.
	ImageFile ImageRef = "file"
)

// ParseImageRef parses "data" (or "") and "file".
func ParseImageRef(s string) (ImageRef, error) {
	switch ImageRef(s) {
	case "", ImageData:
		return ImageData, nil
	case ImageFile:
		return ImageFile, nil
	}
	return "", fmt.Errorf("leak: image ref %q: want data or file", s)
}

// Batch file limits: OpenAI's Batch API takes at most 50,000 requests and
// 100 MB per input file.
const (
	DefaultBatchRequests       = 50_000
	DefaultBatchBytes    int64 = 100_000_000
)

// BatchManifestFile is the name of an export's manifest in its folder.
const BatchManifestFile = "manifest.json"

// ErrNotBatchable is wrapped by ExportBatch and ImportBatch when a model's
// client cannot write OpenAI chat requests (an Ollama model): batch files
// speak the OpenAI-compatible API only.
var ErrNotBatchable = errors.New("leak: model cannot be batched")

// ErrExportExists is wrapped by ExportBatch when the folder already holds an
// export.
var ErrExportExists = errors.New("leak: folder already holds a batch export")

// chatRequester writes the body of an OpenAI chat completion request, as
// *vlm.OpenAI does.
type chatRequester interface {
	ChatRequest(vlm.Request) ([]byte, error)
}

// BatchOption configures one Runner.ExportBatch call.
type BatchOption func(*batchConfig)

// batchConfig is what the BatchOption values of one export set.
type batchConfig struct {
	imageRef    ImageRef
	maxRequests int
	maxBytes    int64
}

// WithImageRef sets how each request gives its image: ImageData (the
// default) inlines it as a data URL, ImageFile gives a file:// URL.
// ExportBatch returns an error for any other value.
func WithImageRef(ref ImageRef) BatchOption {
	return func(c *batchConfig) { c.imageRef = ref }
}

// WithMaxRequests closes a request file and starts the next before it would
// hold more than n requests; the default (and 0) is DefaultBatchRequests.
// ExportBatch returns an error for a negative n.
func WithMaxRequests(n int) BatchOption {
	return func(c *batchConfig) { c.maxRequests = n }
}

// WithMaxBytes closes a request file and starts the next before it would
// hold more than n bytes; the default (and 0) is DefaultBatchBytes.
// ExportBatch returns an error for a negative n.
func WithMaxBytes(n int64) BatchOption {
	return func(c *batchConfig) { c.maxBytes = n }
}

// newBatchConfig applies opts over the defaults and checks the values.
func newBatchConfig(opts []BatchOption) (batchConfig, error) {
	var c batchConfig
	for _, o := range opts {
		o(&c)
	}
	ref, err := ParseImageRef(string(c.imageRef))
	if err != nil {
		return c, fmt.Errorf("leak: WithImageRef(%q): want data or file", c.imageRef)
	}
	c.imageRef = ref
	if c.maxRequests < 0 {
		return c, fmt.Errorf("leak: WithMaxRequests(%d) is negative", c.maxRequests)
	}
	if c.maxBytes < 0 {
		return c, fmt.Errorf("leak: WithMaxBytes(%d) is negative", c.maxBytes)
	}
	if c.maxRequests == 0 {
		c.maxRequests = DefaultBatchRequests
	}
	if c.maxBytes == 0 {
		c.maxBytes = DefaultBatchBytes
	}
	return c, nil
}

// BatchManifest is an export's manifest.json: which keys are in which file.
type BatchManifest struct {
	// Version is the manifest format's version, 1.
	Version int `json:"version"`
	// Created is when the export was written, UTC.
	Created time.Time `json:"created"`
	// ImageRef is how the requests give their images.
	ImageRef ImageRef `json:"image_ref"`
	// Requests counts the requests in all files.
	Requests int `json:"requests"`
	// Files are the request files, in the order they were written.
	Files []BatchFile `json:"files"`
}

// BatchFile is one request file of an export. Each file holds the
// requests of one model, as the batch APIs want.
type BatchFile struct {
	// File is the file's name in the export folder.
	File string `json:"file"`
	// Model is the study's name for the model; ModelID is the "model" of
	// every request body.
	Model   string `json:"model"`
	ModelID string `json:"model_id"`
	// Requests and Bytes are the file's size; SHA256 its checksum.
	Requests int    `json:"requests"`
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
	// Keys are the custom_id of each request, in file order.
	Keys []string `json:"keys"`
}

// BatchExportSummary is what an export did for each model.
type BatchExportSummary struct {
	Models []BatchModelSummary
	// Files are the files written (without their keys).
	Files []BatchFile
}

// BatchModelSummary is what an export did for one model.
type BatchModelSummary struct {
	Model string
	// Total counts the model's questions, Skipped those already answered
	// ok in the results file, Exported those written, Failed those whose
	// image could not be read (each in Errors, up to MaxSummaryErrors).
	Total, Skipped, Exported, Failed int
	Errors                           []string
}

// Failed returns the number of questions that could not be exported.
func (s BatchExportSummary) Failed() int {
	n := 0
	for _, m := range s.Models {
		n += m.Failed
	}
	return n
}

// ExportBatch writes the questions not yet answered ok in r.results as
// OpenAI batch input files (JSONL, one request a line:
// {"custom_id": key, "method": "POST", "url": "/v1/chat/completions",
// "body": …}), one model's requests per file, split at WithMaxRequests or
// WithMaxBytes, and a manifest, into the folder dir, which is created if
// needed and must not hold an export already (ErrExportExists). Each body is the request the model's
// OpenAI client would send live (see vlm.OpenAI.ChatRequest), and each
// custom_id is the key a live run records, so batch and live answers
// resume each other. Every file is written atomically; a question whose
// image cannot be read is counted as failed and the export goes on.
// An option out of range is an error naming the option.
func (r *Runner) ExportBatch(ctx context.Context, dir string, opts ...BatchOption) (BatchExportSummary, error) {
	var sum BatchExportSummary
	if err := r.check(); err != nil {
		return sum, err
	}
	cfg, err := newBatchConfig(opts)
	if err != nil {
		return sum, err
	}
	ref := cfg.imageRef
	r.hashVariants()
	reqs := r.batchClients()
	for i, m := range r.models {
		if reqs[i] == nil {
			return sum, notBatchable(m)
		}
	}
	if dir == "" {
		return sum, errors.New("leak: export batch: the folder is empty")
	}
	if _, err := os.Stat(filepath.Join(dir, BatchManifestFile)); err == nil {
		return sum, fmt.Errorf("%w: %s: export into a new folder", ErrExportExists, filepath.Join(dir, BatchManifestFile))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, fmt.Errorf("leak: export batch: %w", err)
	}
	absDir, err := filepath.Abs(r.dir)
	if err != nil {
		return sum, fmt.Errorf("leak: export batch: %w", err)
	}
	w := &batchWriter{dir: dir, maxRequests: cfg.maxRequests, maxBytes: cfg.maxBytes}
	defer w.abort()
	man := BatchManifest{Version: 1, Created: time.Now().UTC(), ImageRef: ref}
	slugs := make(map[string]bool)
	dec := r.options
	// With file refs each variant file is checked once, whatever the
	// number of models; with data refs the last image read is kept, since
	// questions come variant-major.
	type fileRef struct {
		url string
		err error // why the variant cannot be asked about
	}
	checked := make(map[int32]fileRef)
	var line []byte
	for i, m := range r.models {
		ms := BatchModelSummary{Model: m.name()}
		w.start(uniqueSlug(m.name(), slugs), m.name(), m.Client.Model())
		var cache imageCache
		var stop error
		n := 0
		ms.Total, ms.Skipped = r.eachTodo(m, func(j job, key string) bool {
			if n++; n%1024 == 0 {
				if stop = ctx.Err(); stop != nil {
					return false
				}
			}
			row, p := &r.variants[j.variant], suite[j.prompt]
			req := vlm.Request{Prompt: p.Text, Options: dec}
			var ierr error
			if ref == ImageFile {
				c, ok := checked[j.variant]
				if !ok {
					_, _, err := r.loadVariant(row)
					c = fileRef{url: (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(absDir, filepath.FromSlash(row.FileName)))}).String(), err: err}
					checked[j.variant] = c
				}
				req.ImageURL, ierr = c.url, c.err
			} else {
				if cache.name != row.FileName {
					data, typ, err := r.loadVariant(row)
					cache = imageCache{name: row.FileName, data: data, mime: typ, err: err}
				}
				req.Image, req.MIME, ierr = cache.data, cache.mime, cache.err
			}
			var body []byte
			if ierr == nil {
				body, ierr = reqs[i].ChatRequest(req)
			}
			if ierr != nil {
				ms.Failed++
				if len(ms.Errors) < MaxSummaryErrors {
					ms.Errors = append(ms.Errors, fmt.Sprintf("%s %s %s: %v", row.FileName, p.CategoryName(), p.Text, ierr))
				}
				return true
			}
			line = appendBatchLine(line[:0], key, body)
			if stop = w.add(key, line); stop != nil {
				return false
			}
			ms.Exported++
			return true
		})
		if stop != nil {
			return sum, stop
		}
		if err := w.finish(); err != nil {
			return sum, err
		}
		sum.Models = append(sum.Models, ms)
	}
	man.Files = w.files
	for _, f := range w.files {
		man.Requests += f.Requests
		f.Keys = nil
		sum.Files = append(sum.Files, f)
	}
	data, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return sum, fmt.Errorf("leak: export batch: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, BatchManifestFile), append(data, '\n')); err != nil {
		return sum, fmt.Errorf("leak: export batch: %w", err)
	}
	return sum, nil
}

// batchClients returns each model's chat request writer, or nil for a model
// whose client writes none.
func (r *Runner) batchClients() []chatRequester {
	out := make([]chatRequester, len(r.models))
	for i, m := range r.models {
		if c, ok := m.Client.(chatRequester); ok && m.Client.Backend() == vlm.BackendOpenAI {
			out[i] = c
		}
	}
	return out
}

// notBatchable is the error for a model whose client writes no OpenAI chat
// requests.
func notBatchable(m Model) error {
	return fmt.Errorf("%w: model %s (backend %s): batch files are OpenAI chat requests; give the model backend openai", ErrNotBatchable, m.name(), m.Client.Backend())
}

// appendBatchLine appends one batch input line to dst. key is hex and body
// is JSON, so neither needs escaping.
func appendBatchLine(dst []byte, key string, body []byte) []byte {
	dst = append(dst, `{"custom_id":"`...)
	dst = append(dst, key...)
	dst = append(dst, `","method":"POST","url":"`+vlm.ChatPath+`","body":`...)
	dst = append(dst, body...)
	return append(dst, "}\n"...)
}

// uniqueSlug returns a file-name-safe form of a model name, made unique
// among the slugs already taken.
func uniqueSlug(name string, taken map[string]bool) string {
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	slug := strings.Trim(b.String(), ".")
	if slug == "" {
		slug = "model"
	}
	s := slug
	for n := 2; taken[s]; n++ {
		s = slug + "-" + strconv.Itoa(n)
	}
	taken[s] = true
	return s
}

// batchWriter writes one model's requests into numbered files.
type batchWriter struct {
	dir                string
	maxRequests        int
	maxBytes           int64
	slug, model, modID string

	f     *atomicfile.File
	sum   hash.Hash
	cur   BatchFile
	files []BatchFile
}

func (w *batchWriter) start(slug, model, modelID string) {
	w.slug, w.model, w.modID = slug, model, modelID
}

// add writes one line, first closing the current file when the line would
// take it past a limit.
func (w *batchWriter) add(key string, line []byte) error {
	if w.f != nil && (w.cur.Requests >= w.maxRequests || w.f.Size()+int64(len(line)) > w.maxBytes) {
		if err := w.finish(); err != nil {
			return err
		}
	}
	if w.f == nil {
		n := 1
		for _, f := range w.files {
			if f.Model == w.model {
				n++
			}
		}
		name := fmt.Sprintf("%s.%05d.jsonl", w.slug, n)
		f, err := atomicfile.Create(filepath.Join(w.dir, name))
		if err != nil {
			return fmt.Errorf("leak: export batch: %w", err)
		}
		w.f, w.sum = f, sha256.New()
		w.cur = BatchFile{File: name, Model: w.model, ModelID: w.modID}
	}
	if _, err := io.MultiWriter(w.f, w.sum).Write(line); err != nil {
		return fmt.Errorf("leak: export batch: %w", err)
	}
	w.cur.Requests++
	w.cur.Keys = append(w.cur.Keys, key)
	return nil
}

// finish commits the current file, if any.
func (w *batchWriter) finish() error {
	if w.f == nil {
		return nil
	}
	w.cur.Bytes = w.f.Size()
	w.cur.SHA256 = hex.EncodeToString(w.sum.Sum(nil))
	err := w.f.Commit()
	w.f = nil
	if err != nil {
		return fmt.Errorf("leak: export batch: %w", err)
	}
	w.files = append(w.files, w.cur)
	w.cur = BatchFile{}
	return nil
}

// abort drops a file left open by an error.
func (w *batchWriter) abort() {
	if w.f != nil {
		w.f.Abort()
		w.f = nil
	}
}

// BatchImportSummary is what ImportBatch did.
type BatchImportSummary struct {
	// Lines counts the output lines read; OK and Failed the rows
	// appended; Duplicate the lines whose key was already answered ok (or
	// whose failure was already imported), Unknown those whose custom_id
	// is no question of this study, Bad those that could not be read (a
	// truncated last line among them).
	Lines, OK, Failed, Duplicate, Unknown, Bad int
	// Leaks counts the ok answers that leaked the full name.
	Leaks int
	// Problems describes the unknown and bad lines, each naming its file
	// and line, up to MaxImportProblems.
	Problems []string
	// Errors describes the first failed rows, up to MaxSummaryErrors.
	Errors []string
}

// MaxImportProblems bounds BatchImportSummary.Problems.
const MaxImportProblems = 20

// batchOutput is one line of a batch output file, as both the OpenAI Batch
// API and `vllm run-batch` write it.
type batchOutput struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error json.RawMessage `json:"error"`
}

// question is one of the study's questions: a model and a job.
type question struct {
	model int
	job   job
}

// ImportBatch reads batch output files and appends a row to r.results for
// each answer, scored exactly as a live answer is. Lines are matched to
// questions by custom_id only, in any order. A line with an error, or with
// a status other than 200, or whose body is no chat completion, becomes a
// failed row (never a "no leak"), which a later export asks again. A line
// whose question is already answered ok, or whose failure was already
// imported, adds nothing, so importing a file twice is harmless. Unknown
// custom_ids and lines that cannot be read (a truncated last line from a
// killed batch run) are reported in the summary and skipped.
func (r *Runner) ImportBatch(ctx context.Context, files []string) (BatchImportSummary, error) {
	var sum BatchImportSummary
	if err := r.check(); err != nil {
		return sum, err
	}
	for i, c := range r.batchClients() {
		if c == nil {
			return sum, notBatchable(r.models[i])
		}
	}
	r.hashVariants()
	index := make(map[[16]byte]question)
	for i, m := range r.models {
		r.eachQuestion(m, func(j job, key string) bool {
			k, _ := parseKey(key)
			index[k] = question{model: i, job: j}
			return true
		})
	}
	problem := func(format string, a ...any) {
		if len(sum.Problems) < MaxImportProblems {
			sum.Problems = append(sum.Problems, fmt.Sprintf(format, a...))
		}
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		f, err := os.Open(path)
		if err != nil {
			return sum, fmt.Errorf("leak: import batch: %w", err)
		}
		var werr error
		good, err := forEachLineEnd(f, func(line []byte, n int) bool {
			body := bytes.TrimSpace(line)
			if len(body) == 0 {
				return true
			}
			sum.Lines++
			var out batchOutput
			if err := json.Unmarshal(body, &out); err != nil {
				sum.Bad++
				problem("%s:%d: not a batch output line: %v", path, n, err)
				return true
			}
			k, err := parseKey(out.CustomID)
			q, known := index[k]
			if err != nil || !known {
				sum.Unknown++
				problem("%s:%d: custom_id %q is no question of this study (another study, models or options?)", path, n, out.CustomID)
				return true
			}
			if r.results.Done(out.CustomID) || r.results.seenBatchFailure(out.CustomID, out.ID) {
				sum.Duplicate++
				return true
			}
			m := r.models[q.model]
			res := r.newResult(m, q.job, out.CustomID)
			res.BatchID, res.Attempts, res.Time = out.ID, 1, time.Now().UTC()
			if msg := batchLineError(&out); msg != "" {
				res.Status, res.Error = StatusFailed, msg
			} else if resp, err := vlm.ParseChatCompletion(out.Response.Body); err != nil {
				res.Status, res.Error = StatusFailed, "batch: "+err.Error()
			} else {
				setAnswer(res, resp.Text)
			}
			if err := r.results.Append(res); err != nil {
				werr = err
				return false
			}
			if res.OK() {
				sum.OK++
				if *res.Leak {
					sum.Leaks++
				}
			} else {
				sum.Failed++
				if len(sum.Errors) < MaxSummaryErrors {
					sum.Errors = append(sum.Errors, fmt.Sprintf("%s:%d: %s %s %s: %s", path, n, m.name(), res.FileName, res.Category, res.Error))
				}
			}
			return true
		})
		st, serr := f.Stat()
		f.Close()
		if werr != nil {
			return sum, werr
		}
		if err != nil {
			return sum, fmt.Errorf("leak: import batch %s: %w", path, err)
		}
		if serr == nil && st.Size() > good {
			sum.Bad++
			problem("%s: the last line is truncated (%d bytes without a newline; a killed batch run?): skipped", path, st.Size()-good)
		}
	}
	return sum, nil
}

// batchLineError returns why a batch output line holds no answer, or "".
func batchLineError(out *batchOutput) string {
	if e := bytes.TrimSpace(out.Error); len(e) > 0 && string(e) != "null" {
		return "batch: " + errorMessage(e)
	}
	if out.Response == nil {
		return "batch: line has neither a response nor an error"
	}
	if c := out.Response.StatusCode; c != 200 {
		// vLLM's error body repeats the status as its code: say it once.
		msg := strings.TrimPrefix(errorMessage(out.Response.Body), strconv.Itoa(c)+": ")
		return fmt.Sprintf("batch: HTTP %d: %s", c, msg)
	}
	return ""
}

// errorMessage reads the message of an error object ({"message": …} or
// {"error": {"message": …}}), or returns the JSON as it is.
func errorMessage(raw json.RawMessage) string {
	var e struct {
		Message string `json:"message"`
		Code    any    `json:"code"`
		Error   *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil {
		switch {
		case e.Error != nil && e.Error.Message != "":
			return e.Error.Message
		case e.Message != "" && e.Code != nil:
			return fmt.Sprintf("%v: %s", e.Code, e.Message)
		case e.Message != "":
			return e.Message
		}
	}
	s := string(bytes.TrimSpace(raw))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// forEachLineEnd is forEachLine that stops when fn returns false, and
// returns the length of the prefix of complete lines read.
func forEachLineEnd(rd io.Reader, fn func(line []byte, n int) bool) (int64, error) {
	var good int64
	stop := errors.New("stop")
	err := forEachLineErr(rd, func(line []byte, n int) error {
		good += int64(len(line))
		if !fn(line, n) {
			return stop
		}
		return nil
	})
	if errors.Is(err, stop) {
		err = nil
	}
	return good, err
}
