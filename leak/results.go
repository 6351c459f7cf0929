package leak

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/phantom-vlm/phantom/internal/lockfile"
)

// Result statuses.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
)

// Result is one line of results.jsonl: one answer (or one failure) of one
// model to one prompt about one variant.
type Result struct {
	// Key identifies the question; see [Key].
	Key string `json:"key"`
	// Model is the study's name for the model; Backend is "ollama" or
	// "openai"; ModelID is the server's model id.
	Model   string `json:"model"`
	Backend string `json:"backend"`
	ModelID string `json:"model_id,omitempty"`
	// ImageID is the photo's ID; FileName is the variant's path relative
	// to the variants folder.
	ImageID  string `json:"image_id"`
	FileName string `json:"file_name,omitempty"`
	// VariantSHA256 is the hex SHA-256 of the variant file asked about,
	// part of Key. Rows written before it existed (legacy rows) lack it:
	// their key is KeyInput's without the hash. Reports read them as
	// before; a Runner reuses them only with WithReuseLegacy.
	VariantSHA256 string `json:"variant_sha256,omitempty"`
	// Name is the person's name and Aliases the other names scored.
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	// Condition is the variant's condition ("original", "blur", …).
	Condition string `json:"condition"`
	// Category is "P0"–"P4" and Phrasing 0–5 (R0–R5).
	Category string `json:"category"`
	Phrasing int    `json:"phrasing"`
	// Prompt is the question asked and Answer the model's answer.
	Prompt string `json:"prompt"`
	Answer string `json:"answer"`
	// Status is StatusOK or StatusFailed; Error says why it failed.
	Status string `json:"status"`
	Error  string `json:"error"`
	// Leak, AliasLeak and SurnameLeak are the scores (see [Scores]); they
	// are null for failed requests, which are never scored.
	Leak        *bool `json:"leak"`
	AliasLeak   *bool `json:"alias_leak"`
	SurnameLeak *bool `json:"surname_leak"`
	// Attempts counts HTTP attempts, retries included; LatencyMS is the
	// whole request's wall time in milliseconds.
	Attempts  int   `json:"attempts"`
	LatencyMS int64 `json:"latency_ms"`
	// Temperature, Seed and MaxTokens are the decoding options sent.
	Temperature float64 `json:"temperature"`
	Seed        int64   `json:"seed"`
	MaxTokens   int     `json:"max_tokens"`
	// Time is when the answer arrived, UTC.
	Time time.Time `json:"time"`
	// BatchID is the id of the batch output line the answer was imported
	// from ("batch_req_…" from OpenAI, "vllm-…" from vllm run-batch);
	// empty for answers asked live.
	BatchID string `json:"batch_id,omitempty"`
}

// ErrEmptyAnswer is the error of a row whose server answered with no text:
// it is a failure, never scored, and asked again on a re-run.
var ErrEmptyAnswer = errors.New("leak: empty answer")

// OK reports whether r is a scored answer. An ok row with an empty answer
// (written before empty answers were failures) is not.
func (r *Result) OK() bool { return r.Status == StatusOK && strings.TrimSpace(r.Answer) != "" }

// SetScores stores s in r's score columns.
func (r *Result) SetScores(s Scores) {
	r.Leak, r.AliasLeak, r.SurnameLeak = &s.Leak, &s.AliasLeak, &s.SurnameLeak
}

// LineError is a results or metadata line that could not be read.
type LineError struct {
	Path string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrBusy is returned by OpenResults when another process (or another
// open ResultsFile) is appending to the file.
var ErrBusy = errors.New("leak: another run is appending to this results file")

// ErrClosed is returned by Append on a closed ResultsFile.
var ErrClosed = errors.New("leak: results file closed")

// DefaultSyncInterval is how often a ResultsFile fsyncs by default.
const DefaultSyncInterval = time.Second

// ResultsFile is an append-only results.jsonl opened for a run.
//
// Crash safety: every row is written with one write(2) of one complete
// line to a file opened with O_APPEND, so a process that is killed (even
// with SIGKILL) never leaves half a row unless the write itself was torn,
// and a row is never written twice because a key is appended only after
// its question was answered. The file is fsynced at most every sync
// interval (DefaultSyncInterval) and on Close: a process kill loses
// nothing the kernel accepted, a power loss may lose the rows of the last
// interval, which a re-run asks again. A torn final line (no trailing
// newline) is cut off when the file is opened.
//
// A ResultsFile is safe for concurrent use. Two processes never append to
// one file at once: OpenResults takes an exclusive lock on path+".lock"
// (left in place, empty, after Close), and a second open fails with
// ErrBusy naming the process that holds it.
type ResultsFile struct {
	path string
	lock *lockfile.Lock

	mu  sync.Mutex
	f   *os.File
	buf []byte
	ok  map[[16]byte]struct{}
	// batchFailed holds the (key, batch id) of failed rows imported from
	// batch files, so that importing a file again adds no row.
	batchFailed map[batchLine]struct{}
	rows        int
	legacy      int
	syncEach    time.Duration
	lastSync    time.Time
	dirty       bool
	badLines    []error
}

// ResultsOption configures OpenResults.
type ResultsOption func(*ResultsFile)

// WithSyncInterval sets how often appended rows are fsynced: 0 fsyncs after
// every row, a negative interval only on Close.
func WithSyncInterval(d time.Duration) ResultsOption {
	return func(r *ResultsFile) { r.syncEach = d }
}

// OpenResults opens (creating it and its folder if needed) the results file at path for
// appending. It reads the rows already there to learn which keys are done,
// and truncates a torn final line. Lines that cannot be parsed are skipped
// and reported by BadLines.
func OpenResults(path string, opts ...ResultsOption) (*ResultsFile, error) {
	r := &ResultsFile{path: path, ok: make(map[[16]byte]struct{}), batchFailed: make(map[batchLine]struct{}), syncEach: DefaultSyncInterval}
	for _, o := range opts {
		o(r)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("leak: open results: %w", err)
		}
	}
	lock, err := lockfile.Acquire(path + ".lock")
	var he *lockfile.HeldError
	if errors.As(err, &he) {
		holder := ""
		if he.Holder != "" {
			holder = " (held by " + he.Holder + ")"
		}
		return nil, fmt.Errorf("%w: %s%s", ErrBusy, path, holder)
	}
	if err != nil {
		return nil, fmt.Errorf("leak: open results: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("leak: open results: %w", err)
	}
	good, err := r.load(f)
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && st.Size() != good {
			// A torn final line: cut it so the next row starts a line.
			if err = f.Truncate(good); err == nil {
				err = f.Sync()
			}
		}
	}
	if err != nil {
		f.Close()
		lock.Close()
		return nil, fmt.Errorf("leak: open results %s: %w", path, err)
	}
	r.f, r.lock = f, lock
	r.lastSync = time.Now()
	return r, nil
}

// parseRow parses one results line the one way every reader reads it
// (ReadResults and Latest for reports, OpenResults to resume, MergeResults):
// JSON of a Result with a 32-hex-digit key, status ok or failed, and ok rows
// scored. A line one reader would skip is skipped by all, so that a run
// never counts as answered a row its report cannot read.
func parseRow(body []byte) (*Result, [16]byte, error) {
	var r Result
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, [16]byte{}, err
	}
	k, err := parseKey(r.Key)
	if err != nil {
		return nil, k, err
	}
	switch {
	case r.Status != StatusOK && r.Status != StatusFailed:
		return nil, k, fmt.Errorf("bad status %q", r.Status)
	case r.Status == StatusOK && r.Leak == nil:
		return nil, k, errors.New("ok row without a leak score")
	}
	return &r, k, nil
}

// batchLine names one line of a batch output file: its key and its id.
type batchLine struct {
	key [16]byte
	id  string
}

// load reads the existing rows and returns the length of the file's prefix
// of complete lines.
func (r *ResultsFile) load(f *os.File) (int64, error) {
	var good int64
	err := forEachLine(f, func(line []byte, n int) {
		good += int64(len(line))
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			return
		}
		row, k, err := parseRow(body)
		if err != nil {
			r.badLines = append(r.badLines, &LineError{r.path, n, err})
			return
		}
		r.rows++
		ok := row.OK()
		if ok && row.VariantSHA256 == "" {
			r.legacy++
		}
		r.note(k, ok, row.BatchID)
	})
	return good, err
}

// forEachLine calls fn with every complete line of rd (newline included)
// and its 1-based number. A final line without a newline is not passed.
func forEachLine(rd io.Reader, fn func(line []byte, n int)) error {
	return forEachLineErr(rd, func(line []byte, n int) error {
		fn(line, n)
		return nil
	})
}

// forEachLineErr is forEachLine that stops at, and returns, fn's first
// error.
func forEachLineErr(rd io.Reader, fn func(line []byte, n int) error) error {
	br := bufio.NewReaderSize(rd, 1<<16)
	var long []byte
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, chunk...)
			continue
		}
		if err == io.EOF {
			return nil // a torn line, or none
		}
		if err != nil {
			return err
		}
		n++
		if long != nil {
			long = append(long, chunk...)
			chunk, long = long, nil
		}
		if err := fn(chunk, n); err != nil {
			return err
		}
	}
}

func parseKey(s string) ([16]byte, error) {
	var k [16]byte
	if len(s) != 32 {
		return k, fmt.Errorf("bad key %q: want 32 hex digits", s)
	}
	_, err := hex.Decode(k[:], []byte(s))
	if err != nil {
		return k, fmt.Errorf("bad key %q: %w", s, err)
	}
	return k, nil
}

// Path returns the file's path.
func (r *ResultsFile) Path() string { return r.path }

// Rows returns how many valid rows the file held when it was opened.
func (r *ResultsFile) Rows() int { return r.rows }

// LegacyRows returns how many of the ok rows read when the file was opened
// were written before keys included the variant's content hash (failed
// rows are never reused, so they do not count).
func (r *ResultsFile) LegacyRows() int { return r.legacy }

// BadLines returns the lines that could not be read when the file was
// opened, as *LineError values.
func (r *ResultsFile) BadLines() []error { return r.badLines }

// Done reports whether key already has an ok row.
func (r *ResultsFile) Done(key string) bool {
	k, err := parseKey(key)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ok[k]
	return ok
}

// note records a row's key as done (ok) or, for a failed row imported from
// a batch file, its batch line as seen.
func (r *ResultsFile) note(k [16]byte, ok bool, batchID string) {
	switch {
	case ok:
		r.ok[k] = struct{}{}
	case batchID != "":
		r.batchFailed[batchLine{k, batchID}] = struct{}{}
	}
}

// seenBatchFailure reports whether a failed row was already imported from
// the batch output line with this key and id.
func (r *ResultsFile) seenBatchFailure(key, id string) bool {
	k, err := parseKey(key)
	if err != nil || id == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.batchFailed[batchLine{k, id}]
	return ok
}

// Append writes res as one line with a single write.
func (r *ResultsFile) Append(res *Result) error {
	k, err := parseKey(res.Key)
	if err != nil {
		return fmt.Errorf("leak: append: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return ErrClosed
	}
	r.buf = r.buf[:0]
	w := bytes.NewBuffer(r.buf)
	enc := json.NewEncoder(w) // Encode ends the line with '\n'
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("leak: append: %w", err)
	}
	r.buf = w.Bytes()
	if _, err := r.f.Write(r.buf); err != nil {
		return fmt.Errorf("leak: append to %s: %w", r.path, err)
	}
	r.rows++
	r.note(k, res.OK(), res.BatchID)
	r.dirty = true
	if r.syncEach == 0 || (r.syncEach > 0 && time.Since(r.lastSync) >= r.syncEach) {
		return r.syncLocked()
	}
	return nil
}

func (r *ResultsFile) syncLocked() error {
	r.lastSync = time.Now()
	if !r.dirty {
		return nil
	}
	r.dirty = false
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("leak: sync %s: %w", r.path, err)
	}
	return nil
}

// Sync flushes the appended rows to stable storage.
func (r *ResultsFile) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return ErrClosed
	}
	return r.syncLocked()
}

// Close syncs and closes the file. Closing twice is harmless.
func (r *ResultsFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.syncLocked()
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("leak: close %s: %w", r.path, cerr)
	}
	r.lock.Close()
	r.f = nil
	return err
}

// ReadResults reads a results file for analysis, calling fn with each row in
// file order. Superseding is the caller's business (see Latest). A final
// line without a newline (a run killed mid-write) is ignored; lines that
// cannot be parsed are returned as *LineError values in bad and do not stop
// the read.
func ReadResults(path string, fn func(*Result)) (bad []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("leak: read results: %w", err)
	}
	defer f.Close()
	err = forEachLine(f, func(line []byte, n int) {
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			return
		}
		r, _, err := parseRow(body)
		if err != nil {
			bad = append(bad, &LineError{path, n, err})
			return
		}
		fn(r)
	})
	if err != nil {
		return bad, fmt.Errorf("leak: read results %s: %w", path, err)
	}
	return bad, nil
}

// Latest reads a results file and returns one row per key: the last ok row
// when there is one, else the last failed row, in the order keys first
// appear. It holds every row in memory; for very large files stream with
// ReadResults.
func Latest(path string) (rows []Result, bad []error, err error) {
	index := make(map[string]int)
	bad, err = ReadResults(path, func(r *Result) {
		i, seen := index[r.Key]
		if !seen {
			index[r.Key] = len(rows)
			rows = append(rows, *r)
			return
		}
		if r.OK() || !rows[i].OK() {
			rows[i] = *r
		}
	})
	return rows, bad, err
}
