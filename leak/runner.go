package leak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/phantom-vlm/phantom/internal/digest"
	"github.com/phantom-vlm/phantom/internal/progress"
	"github.com/phantom-vlm/phantom/shard"
	"github.com/phantom-vlm/phantom/vlm"
)

// Model is one model of a study, reached through a client.
type Model struct {
	// Name is the study's name for the model, used in results and
	// reports; it defaults to Client.Model().
	Name string
	// Client asks the model.
	Client vlm.Client
	// Concurrency is the number of requests in flight at once; 0 means 1.
	Concurrency int
	// Rate limits requests per second; 0 means no limit.
	Rate float64
}

func (m Model) name() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Client.Model()
}

// Runner asks every selected prompt about every variant on every model and
// appends the answers to a results file. Models run side by side, each with
// its own concurrency and rate limit. Questions whose key already has an ok
// row are skipped, so a re-run resumes a killed run and retries its failed
// requests. Make one with NewRunner.
type Runner struct {
	dir           string    // the variants folder; image paths are dir/Variant.FileName
	variants      []Variant // the runner's own copy: hashVariants fills in SHA256
	models        []Model
	results       *ResultsFile
	prompts       Selection
	conditions    []string
	options       vlm.Options
	shard         shard.Shard
	progress      io.Writer
	progressEvery time.Duration
	stopAfter     int
	reuseLegacy   bool
}

// RunnerOption configures a Runner made by NewRunner. (The results file's
// own settings are ResultsOption values, such as WithSyncInterval, given to
// OpenResults.)
type RunnerOption func(*Runner)

// WithPrompts selects the prompts asked per condition; the default is
// SelectProtocol.
func WithPrompts(s Selection) RunnerOption {
	return func(r *Runner) { r.prompts = s }
}

// WithConditions restricts the run to the variants of these conditions; the
// default is every condition.
func WithConditions(conditions ...string) RunnerOption {
	return func(r *Runner) { r.conditions = slices.Clone(conditions) }
}

// WithDecoding sets the decoding options sent with every request; they are
// part of every key, so answers under other options are not reused. The
// default is the zero vlm.Options (see vlm.Options.Resolved).
func WithDecoding(o vlm.Options) RunnerOption {
	return func(r *Runner) { r.options = o }
}

// WithShard restricts the run to the questions whose key is in s
// (shard.Shard.HasKey), so that the tasks of a job array, each with its own
// results file, together ask every question once. The default, the zero
// Shard, asks everything.
func WithShard(s shard.Shard) RunnerOption {
	return func(r *Runner) { r.shard = s }
}

// WithProgress writes progress to w: a bar per model when w is a terminal,
// else a plain line per model every interval (0 means 10s). The default is
// no progress.
func WithProgress(w io.Writer, interval time.Duration) RunnerOption {
	return func(r *Runner) { r.progress, r.progressEvery = w, interval }
}

// WithStopAfter stops asking a model after n consecutive failed requests,
// since its server is most likely down or broken; the questions left are
// not recorded, and a re-run resumes. A negative n never stops; the default
// (and 0) is DefaultStopAfter.
func WithStopAfter(n int) RunnerOption {
	return func(r *Runner) { r.stopAfter = n }
}

// WithReuseLegacy counts an ok row written before keys included the
// variant's content hash (a legacy row, see Result.VariantSHA256) as the
// answer to the question it has the legacy key of. Turn it on only when the
// variants folder holds the very files those answers were about: a legacy
// row cannot tell which build it was asked about. Without it, Run refuses a
// results file that holds legacy rows (ErrLegacyResults).
func WithReuseLegacy(on bool) RunnerOption {
	return func(r *Runner) { r.reuseLegacy = on }
}

// NewRunner returns a Runner that asks models about variants, the
// builder's metadata rows (see ReadVariants) of the files in the folder
// dir, and appends the answers to results, which the caller closes after
// the run. A row without SHA256 gets it from its file when the run starts;
// the Runner keeps its own copy of variants. It returns ErrNoModels when
// models is empty, and an error naming the argument when dir is not a
// folder, results is nil, a model has no client, or an option is out of
// range.
func NewRunner(dir string, variants []Variant, models []Model, results *ResultsFile, opts ...RunnerOption) (*Runner, error) {
	if len(models) == 0 {
		return nil, ErrNoModels
	}
	for i, m := range models {
		if m.Client == nil {
			return nil, fmt.Errorf("leak: model %d (%q) has no client", i, m.Name)
		}
	}
	if results == nil {
		return nil, errors.New("leak: no results file")
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("leak: variants folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("leak: variants folder %s is not a folder", dir)
	}
	r := &Runner{dir: dir, variants: slices.Clone(variants), models: slices.Clone(models), results: results}
	for _, o := range opts {
		o(r)
	}
	if _, err := ParseSelection(string(r.prompts)); err != nil {
		return nil, err
	}
	if r.shard != (shard.Shard{}) {
		if err := r.shard.Validate(); err != nil {
			return nil, fmt.Errorf("leak: %w", err)
		}
	}
	if r.progressEvery < 0 {
		return nil, fmt.Errorf("leak: progress interval %v is negative", r.progressEvery)
	}
	return r, nil
}

// ErrLegacyResults is returned by Run when the results file holds rows
// written before keys included the variant file's content hash and the
// Runner was made without WithReuseLegacy(true).
var ErrLegacyResults = errors.New("leak: the results file holds answers keyed without the variant's content hash")

// DefaultStopAfter is the number of consecutive failed requests after which
// a Runner stops asking a model, unless WithStopAfter says otherwise.
const DefaultStopAfter = 20

// ErrModelStopped is wrapped by ModelSummary.Stopped when a model was
// stopped after too many consecutive failures (see WithStopAfter).
var ErrModelStopped = errors.New("leak: model stopped")

// ModelSummary is what a run did for one model.
type ModelSummary struct {
	Model string
	// Total counts the model's questions, Skipped those already answered
	// ok before the run, OK and Failed those asked in this run.
	Total, Skipped, OK, Failed int
	// Leaks counts the ok answers that leaked the full name.
	Leaks int
	// Errors holds up to MaxSummaryErrors failure messages.
	Errors []string
	// Elapsed is the model's wall time.
	Elapsed time.Duration
	// Stopped is non-nil when the model was stopped early after too many
	// consecutive failures (it wraps ErrModelStopped and the last error).
	Stopped error
}

// MaxSummaryErrors bounds ModelSummary.Errors.
const MaxSummaryErrors = 5

// Summary is what a run did.
type Summary struct {
	Models []ModelSummary
}

// Failed returns the number of failed requests over all models.
func (s Summary) Failed() int {
	n := 0
	for _, m := range s.Models {
		n += m.Failed
	}
	return n
}

// ErrNoModels is returned by NewRunner and CheckHealth when they are given
// no models.
var ErrNoModels = errors.New("leak: no models")

// CheckHealth checks every model's server, one attempt each, and returns
// the failures joined, each naming its model. Call it before a run, so that
// a server that is down is found before any results file is opened.
func CheckHealth(ctx context.Context, models []Model) error {
	if len(models) == 0 {
		return ErrNoModels
	}
	errs := make([]error, len(models))
	var wg sync.WaitGroup
	for i, m := range models {
		wg.Go(func() {
			if err := m.Client.Health(ctx); err != nil {
				errs[i] = fmt.Errorf("model %s (%s %s): %w", m.name(), m.Client.Backend(), m.Client.Model(), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// job is one question for one model, kept small (a study has millions):
// the variant's index and the prompt's index in the suite.
type job struct {
	variant int32
	prompt  int8
}

// suite is the prompt suite indexed by job.prompt.
var suite = Prompts()

// Jobs returns the number of questions the run covers per model, before
// skipping done keys and before the shard's selection.
func (r *Runner) Jobs() int {
	n := 0
	sel := r.selection()
	for i := range r.variants {
		if r.wanted(r.variants[i].Condition) {
			n += len(sel.For(r.variants[i].Condition))
		}
	}
	return n
}

func (r *Runner) selection() Selection {
	if r.prompts == "" {
		return SelectProtocol
	}
	return r.prompts
}

func (r *Runner) wanted(condition string) bool {
	if len(r.conditions) == 0 {
		return true
	}
	for _, c := range r.conditions {
		if c == condition {
			return true
		}
	}
	return false
}

// plan lists m's questions in the shard that are not done yet,
// variant-major, with the number of questions in the shard and the number
// skipped as done.
func (r *Runner) plan(m Model) (todo []job, total, skipped int) {
	total, skipped = r.eachTodo(m, func(j job, _ string) bool {
		todo = append(todo, j)
		return true
	})
	return todo, total, skipped
}

// eachTodo calls fn with each of m's questions in the shard that is not
// done yet, variant-major, and its key, until fn returns false. It returns
// the number of questions in the shard it went through and the number of
// those skipped as done.
func (r *Runner) eachTodo(m Model, fn func(j job, key string) bool) (total, skipped int) {
	r.eachQuestion(m, func(j job, key string) bool {
		total++
		if r.results.Done(key) || (r.reuseLegacy && r.results.Done(r.legacyKey(m, j))) {
			skipped++
			return true
		}
		return fn(j, key)
	})
	return total, skipped
}

// eachQuestion calls fn with each of m's questions in the shard,
// variant-major, and its key, until fn returns false.
func (r *Runner) eachQuestion(m Model, fn func(j job, key string) bool) {
	name, backend := m.name(), m.Client.Backend()
	sel := r.selection()
	seen := make(map[[2]string]bool) // (image id, condition) of the variants planned
	for i := range r.variants {
		row := &r.variants[i]
		if !r.wanted(row.Condition) || seen[[2]string{row.ID, row.Condition}] {
			continue // not selected, or a duplicated metadata row
		}
		seen[[2]string{row.ID, row.Condition}] = true
		for _, p := range sel.For(row.Condition) {
			key := r.key(name, backend, row, p)
			if !r.shard.HasKey(key) {
				continue
			}
			if !fn(job{variant: int32(i), prompt: int8(p.Category*Phrasings + p.Phrasing)}, key) {
				return
			}
		}
	}
}

func (r *Runner) key(model, backend string, row *Variant, p Prompt) string {
	return VariantKey(model, backend, row, p, r.options)
}

// legacyKey is the version-1 key of m's question j: without the variant's
// hash.
func (r *Runner) legacyKey(m Model, j job) string {
	v := r.variants[j.variant]
	v.SHA256 = ""
	return r.key(m.name(), m.Client.Backend(), &v, suite[j.prompt])
}

// errNotMade is returned by a Runner's methods when it was not made by
// NewRunner (a zero Runner has no models and no results file).
var errNotMade = errors.New("leak: Runner not made by NewRunner")

func (r *Runner) check() error {
	if r.results == nil || len(r.models) == 0 {
		return errNotMade
	}
	return nil
}

// Run asks the questions not answered yet and appends a row for each
// answer or failure. A failed request is recorded and the run goes on; Run
// returns an error only when the context ends or a row cannot be written,
// in both cases after the requests in flight have returned. Requests cut
// short by the context are not recorded.
func (r *Runner) Run(ctx context.Context) (Summary, error) {
	if err := r.check(); err != nil {
		return Summary{}, err
	}
	if n := r.results.LegacyRows(); n > 0 && !r.reuseLegacy {
		return Summary{}, fmt.Errorf("%w: %s has %d rows written by a phantom older than the variant hash in the key; "+
			"they cannot tell which build they were asked about, so they are not reused. phantom report still reads them. "+
			"Start a new results file, or reuse them (--reuse-legacy) if %s holds the very files they were asked about",
			ErrLegacyResults, r.results.Path(), n, r.dir)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	r.hashVariants()
	sums := make([]ModelSummary, len(r.models))
	plans := make([][]job, len(r.models))
	for i, m := range r.models {
		todo, total, skipped := r.plan(m)
		plans[i] = todo
		sums[i] = ModelSummary{Model: m.name(), Total: total, Skipped: skipped}
	}
	prog := progress.New(r.progress, r.progressEvery)
	bars := make([]*progress.Bar, len(sums))
	for i, s := range sums {
		prog.Logf("%s: %d questions, %d already answered, %d to ask", s.Model, s.Total, s.Skipped, s.Total-s.Skipped)
		bars[i] = prog.NewBar(s.Model, "req", s.Total, s.Skipped)
	}
	prog.Start()

	var wg sync.WaitGroup
	for i, m := range r.models {
		wg.Go(func() {
			start := time.Now()
			r.runModel(ctx, cancel, m, plans[i], &sums[i], bars[i])
			sums[i].Elapsed = time.Since(start)
		})
	}
	wg.Wait()
	prog.Stop()
	if err := context.Cause(ctx); err != nil {
		return Summary{Models: sums}, err
	}
	return Summary{Models: sums}, nil
}

func (r *Runner) runModel(ctx context.Context, fail context.CancelCauseFunc, m Model, todo []job, sum *ModelSummary, bar *progress.Bar) {
	n := max(m.Concurrency, 1)
	lim := newLimiter(m.Rate)
	stopAfter := r.stopAfter
	if stopAfter == 0 {
		stopAfter = DefaultStopAfter
	}
	// mctx ends this model only: when its server keeps failing.
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	ctx = mctx
	jobs := make(chan job)
	var mu sync.Mutex // guards sum and streak
	streak := 0       // consecutive failed requests
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var cache imageCache
			for j := range jobs {
				if err := lim.wait(ctx); err != nil {
					return
				}
				res, ok := r.ask(ctx, m, j, &cache)
				if !ok {
					return // cut short by the context: not recorded
				}
				if err := r.results.Append(res); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				if res.OK() {
					sum.OK++
					if *res.Leak {
						sum.Leaks++
					}
					streak = 0
				} else {
					sum.Failed++
					if len(sum.Errors) < MaxSummaryErrors {
						sum.Errors = append(sum.Errors, fmt.Sprintf("%s %s %s: %s", res.FileName, res.Category, res.Prompt, res.Error))
					}
					if res.Attempts > 0 { // the server failed, not the image file
						streak++
						if stopAfter > 0 && streak >= stopAfter && sum.Stopped == nil {
							sum.Stopped = fmt.Errorf("%w after %d consecutive failed requests; last: %s", ErrModelStopped, streak, res.Error)
							stop()
						}
					}
				}
				mu.Unlock()
				bar.Add(res.OK())
			}
		})
	}
feed:
	for _, j := range todo {
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
}

// imageCache keeps a worker's last image: jobs come variant-major, so a
// worker usually asks several prompts about one image in a row.
type imageCache struct {
	name string
	data []byte
	mime string
	err  error // why the image could not be read (batch export only)
}

// newResult returns the row of m's question j, whose key is key, with
// every column but the answer's.
func (r *Runner) newResult(m Model, j job, key string) *Result {
	opts := r.options.Resolved()
	row, p := &r.variants[j.variant], suite[j.prompt]
	return &Result{
		Key: key, Model: m.name(), Backend: m.Client.Backend(), ModelID: m.Client.Model(),
		ImageID: row.ID, FileName: row.FileName, VariantSHA256: row.SHA256, Name: row.Name, Aliases: row.Aliases,
		Condition: row.Condition, Category: p.CategoryName(), Phrasing: p.Phrasing,
		Prompt: p.Text, Temperature: opts.Temperature, Seed: opts.Seed, MaxTokens: opts.MaxTokens,
	}
}

// setAnswer records text as res's answer and scores it, as every answer
// is scored, whether it came live or from a batch file. An empty answer
// says nothing about the person: it is a failure (ErrEmptyAnswer), never
// scored as "no leak", and asked again on a re-run.
func setAnswer(res *Result, text string) {
	if strings.TrimSpace(text) == "" {
		res.Status, res.Error, res.Answer = StatusFailed, ErrEmptyAnswer.Error(), text
		return
	}
	res.Status, res.Answer = StatusOK, text
	res.SetScores(NewTarget(res.Name, res.Aliases...).Score(text))
}

// loadVariant reads a variant's image and checks it against the hash its
// questions are keyed by: a file changed since its metadata row was
// written is an error, not a question asked under the old file's key.
func (r *Runner) loadVariant(row *Variant) ([]byte, string, error) {
	data, typ, err := loadImage(r.dir, row.FileName)
	if err != nil {
		return nil, "", err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != row.SHA256 {
		return nil, "", fmt.Errorf("%s changed since %s was written: its sha256 is %x, the metadata says %s",
			row.FileName, MetadataFile, sum, row.SHA256)
	}
	return data, typ, nil
}

// hashVariants fills in the SHA256 of the rows that have none (rows made
// by hand rather than read by ReadVariants) from their files. A file that
// cannot be read is left without, and its questions fail when asked.
func (r *Runner) hashVariants() {
	for i := range r.variants {
		if v := &r.variants[i]; v.SHA256 == "" {
			v.SHA256, _ = digest.File(filepath.Join(r.dir, filepath.FromSlash(v.FileName)))
		}
	}
}

// ask asks one question. ok is false when the context ended the request.
func (r *Runner) ask(ctx context.Context, m Model, j job, cache *imageCache) (res *Result, ok bool) {
	row, p := &r.variants[j.variant], suite[j.prompt]
	res = r.newResult(m, j, r.key(m.name(), m.Client.Backend(), row, p))
	if cache.name != row.FileName || cache.data == nil {
		data, typ, err := r.loadVariant(row)
		if err != nil {
			res.Status, res.Error, res.Time = StatusFailed, err.Error(), time.Now().UTC()
			return res, true
		}
		*cache = imageCache{name: row.FileName, data: data, mime: typ}
	}
	resp, err := m.Client.Ask(ctx, vlm.Request{Image: cache.data, MIME: cache.mime, Prompt: p.Text, Options: r.options})
	if err != nil && ctx.Err() != nil {
		return nil, false
	}
	res.Attempts, res.LatencyMS, res.Time = resp.Attempts, resp.Latency.Milliseconds(), time.Now().UTC()
	if err != nil {
		res.Status, res.Error = StatusFailed, err.Error()
		return res, true
	}
	setAnswer(res, resp.Text)
	return res, true
}

// limiter spaces requests at least 1/rate seconds apart.
type limiter struct {
	mu       sync.Mutex
	next     time.Time
	interval time.Duration
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
