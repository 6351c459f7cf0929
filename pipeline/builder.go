package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/progress"
	"github.com/phantom-vlm/phantom/internal/workers"
	"github.com/phantom-vlm/phantom/scene"
)

// ErrNoBackgrounds is returned by New when a landscape condition is asked
// for and no background set was given.
var ErrNoBackgrounds = errors.New("pipeline: the landscape conditions need backgrounds and none were found")

// ErrSettingsChanged is returned by Run when OUT was started with other
// Settings (conditions, format, seed, grid, detectors and their files, OCR,
// backgrounds) than this run's: resuming would mix two datasets.
var ErrSettingsChanged = errors.New("pipeline: OUT was built with other settings")

// Analyzer detects faces, people and masks in a photo (scene.Analyzer);
// *detect.Analyzer is one. The builder runs only the stages its conditions
// need (Stages) on an Analyzer that can leave stages out
// (scene.StageLimiter, as *detect.Analyzer is); give it one made with
// detect.WithStages(Stages(conds)) so that the others are not even loaded.
type Analyzer = scene.Analyzer

// Filter decides whether a photo is kept (the OCR filter of PROTOCOL.md §1).
// For a dropped photo, evidence is written to filtered.jsonl as JSON.
// A Filter is called from several workers at once and must be safe for
// concurrent use.
type Filter interface {
	Keep(ctx context.Context, img *image.RGBA, rec Record) (keep bool, evidence any, err error)
}

// FilterFunc adapts a function to Filter.
type FilterFunc func(ctx context.Context, img *image.RGBA, rec Record) (bool, any, error)

// Keep calls f.
func (f FilterFunc) Keep(ctx context.Context, img *image.RGBA, rec Record) (bool, any, error) {
	return f(ctx, img, rec)
}

// Option configures a Builder.
type Option func(*Builder)

// WithConditions sets the conditions to render (default: all six).
func WithConditions(cs ...Condition) Option {
	return func(b *Builder) { b.conds = append([]Condition(nil), cs...) }
}

// WithAnalyzer sets the analyzer, shared by every worker; it must be safe for
// concurrent use (*detect.Analyzer is, over phantom's detectors). The
// builder does not close it. Required.
func WithAnalyzer(a Analyzer) Option {
	return func(b *Builder) { b.analyzer = a }
}

// WithFilter sets the OCR filter; without one every photo is kept. A
// filter with a Settings() string method (OCRFilter's) is recorded by it
// in build.json and in every metadata row's ocr column; another as
// "custom".
func WithFilter(f Filter) Option { return func(b *Builder) { b.filter = f } }

// WithDetectorSettings records, in build.json, the detector of each stage
// (as Scene.Detectors names them) and the hex SHA-256 of each file they
// read, by file name, so that a resume with other detectors or other
// model files is refused. The builder does not check them against the
// analyzer; the CLI takes both from the analyzer it opened.
func WithDetectorSettings(detectors, files map[string]string) Option {
	return func(b *Builder) { b.detectors, b.modelFiles = detectors, files }
}

// WithBackgrounds sets the landscape set; each photo's landscape is
// set.Pick(seed, id).
func WithBackgrounds(set *background.Set) Option { return func(b *Builder) { b.bgs = set } }

// WithSeed sets the seed of the landscape choice (default 0).
func WithSeed(seed int64) Option { return func(b *Builder) { b.seed = seed } }

// WithWorkers sets how many photos are built at once (default: the number
// of CPUs).
func WithWorkers(n int) Option { return func(b *Builder) { b.workers = n } }

// WithFormat sets the variants' file format: "jpg" (default, quality 95) or
// "png".
func WithFormat(ext string) Option { return func(b *Builder) { b.format = ext } }

// WithGrid sets the pixelation grid (default anonymize.DefaultGrid: 10×10
// cells per face).
func WithGrid(n int) Option { return func(b *Builder) { b.grid = n } }

// WithShard builds only the photos of one shard.
func WithShard(s Shard) Option { return func(b *Builder) { b.shard = s } }

// WithProgress writes progress to w: a bar redrawn in place when w is a
// terminal, plain log lines otherwise. Failures are printed there too.
func WithProgress(w io.Writer) Option { return func(b *Builder) { b.progressW = w } }

// WithContactSheet sets how many photos the contact sheet shows (default 6;
// 0 writes none).
func WithContactSheet(photos int) Option { return func(b *Builder) { b.sheetPhotos = photos } }

// Builder builds the condition variants of a photo collection into one
// output folder. Make one with New and call Run.
type Builder struct {
	out         string
	conds       []Condition
	analyzer    Analyzer
	filter      Filter
	bgs         *background.Set
	seed        int64
	workers     int
	format      string
	grid        int
	shard       Shard
	progressW   io.Writer
	sheetPhotos int
	fits        *fitCache
	detectors   map[string]string
	modelFiles  map[string]string
	ocr         string // Settings.OCR, in every row
	// writeFile writes one output file atomically (imageio.WriteFileAtomic;
	// tests inject a full disk).
	writeFile func(path string, data []byte) error
}

// New returns a Builder that writes to the folder out.
func New(out string, opts ...Option) (*Builder, error) {
	b := &Builder{out: out, conds: slices.Clone(AllConditions), workers: runtime.NumCPU(), format: "jpg", grid: anonymize.DefaultGrid, shard: Shard{I: 0, N: 1}, sheetPhotos: 6, fits: newFitCache(), writeFile: imageio.WriteFileAtomic}
	for _, o := range opts {
		o(b)
	}
	switch b.format = strings.TrimPrefix(strings.ToLower(b.format), "."); b.format {
	case "jpeg":
		b.format = "jpg"
	case "jpg", "png":
	default:
		return nil, fmt.Errorf("pipeline: unknown format %q (use jpg or png)", b.format)
	}
	if len(b.conds) == 0 {
		return nil, errors.New("pipeline: no conditions")
	}
	for i, c := range b.conds {
		canon, err := ParseCondition(string(c))
		if err != nil {
			return nil, err
		}
		b.conds[i] = canon
	}
	b.conds = orderConditions(b.conds)
	for _, c := range b.conds {
		if c.NeedsBackgrounds() && b.bgs == nil {
			return nil, ErrNoBackgrounds
		}
		if b.grid != anonymize.DefaultGrid && c.Anonymized() && !c.Paper() {
			return nil, fmt.Errorf("pipeline: grid %d applies to the paper's blur conditions; with %s, give each pixelation its own grid (pixelate:grid=N) and leave the grid at %d", b.grid, c, anonymize.DefaultGrid)
		}
	}
	if b.workers < 1 {
		b.workers = 1
	}
	if b.grid < 1 {
		return nil, fmt.Errorf("pipeline: grid %d must be at least 1", b.grid)
	}
	if err := b.shard.Validate(); err != nil {
		return nil, err
	}
	if b.analyzer == nil {
		return nil, errors.New("pipeline: no analyzer (use WithAnalyzer)")
	}
	return b, nil
}

// settings is what this run records in build.json.
func (b *Builder) settings() Settings {
	s := Settings{Conditions: b.conds, Format: b.format, Seed: b.seed, Grid: b.grid, Codec: imageio.JPEGCodec(),
		Detectors: b.detectors, ModelFiles: b.modelFiles, OCR: describeFilter(b.filter)}
	if b.bgs != nil && slices.ContainsFunc(b.conds, Condition.NeedsBackgrounds) {
		s.Backgrounds = b.bgs.Fingerprint()
	}
	return s
}

// prepare creates OUT's folders, checks or writes build.json and removes
// what a killed run left behind: temporary files, and variant and scene
// files of photos that are not in the journal.
func prepare(out string, s Settings, j *journal) error {
	for _, c := range s.Conditions {
		if err := os.MkdirAll(filepath.Join(out, c.Dir()), 0o755); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(out, "scenes"), 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return cleanOrphans(out, s.Conditions, j)
}

// cleanOrphans removes temporary files anywhere in OUT's own folders (the
// six conditions' and those of conds) and the variant and scene files of
// photos without a done journal entry.
func cleanOrphans(out string, conds []Condition, j *journal) error {
	dirs := []string{out, filepath.Join(out, "scenes")}
	for _, c := range orderConditions(append(slices.Clone(AllConditions), conds...)) {
		dirs = append(dirs, filepath.Join(out, c.Dir()))
	}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			remove := imageio.IsTemp(name)
			if !remove && d != out && !e.IsDir() {
				id := strings.TrimSuffix(name, filepath.Ext(name))
				if isID(id) {
					ent, ok := j.entries[id]
					remove = !ok || ent.Status != statusDone
				}
			}
			if remove {
				if err := os.Remove(filepath.Join(d, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("pipeline: removing leftover: %w", err)
				}
			}
		}
	}
	return nil
}

// task is one photo to build.
type task struct {
	rec    Record
	id     string
	pixels int // width × height from the file's header; 0 when unreadable
}

// Run builds every record into OUT and writes metadata.jsonl,
// filtered.jsonl, failed.jsonl, summary.json and contact-sheet.png. Photos
// already complete in OUT's journal are skipped; photos of other shards are
// skipped. A bad input is recorded in failed.jsonl and never stops the run.
// When ctx is cancelled, Run stops taking photos, lets none be half-recorded,
// writes the outputs for what is complete and returns ctx's error with the
// summary.
func (b *Builder) Run(ctx context.Context, recs []Record) (*Summary, error) {
	start := time.Now()
	cpu0 := cpuTime()
	if err := os.MkdirAll(b.out, 0o755); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	unlock, err := lockOut(b.out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	set := b.settings()
	b.ocr = set.OCR
	if err := writeSettings(b.out, set); err != nil {
		return nil, err
	}
	j, err := openJournal(filepath.Join(b.out, "journal.jsonl"))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if err := prepare(b.out, set, j); err != nil {
		return nil, err
	}

	prog := progress.New(b.progressW, 5*time.Second)
	run := &RunStats{Workers: b.workers, Photos: len(recs)}
	prog.Logf("reading %d photos to find their IDs", len(recs))

	tasks, failures := b.plan(ctx, recs, j, run, prog)
	var runErr error
	if ctx.Err() == nil {
		prog.Logf("%d photos to build", len(tasks))
		bar := prog.NewBar("", "photos", len(tasks), 0)
		prog.Start()
		runErr = b.work(ctx, tasks, j, prog, bar, run)
		prog.Stop()
	}
	run.WallSeconds = time.Since(start).Seconds()
	run.CPUSeconds = cpuTime() - cpu0
	if run.WallSeconds > 0 {
		run.PhotosPerSecond = float64(run.Processed) / run.WallSeconds
		run.CPUUtilisation = run.CPUSeconds / (run.WallSeconds * float64(runtime.GOMAXPROCS(0)))
	}
	sum, err := finalize(b.out, set, j, failures, run, b.sheetPhotos)
	if runErr != nil {
		// The first fault of OUT is the cause; finalizing on the same
		// full disk most likely failed too.
		if err != nil {
			runErr = fmt.Errorf("%w\n(and then: %v)", runErr, err)
		}
		return sum, runErr
	}
	if err != nil {
		return sum, err
	}
	return sum, ctx.Err()
}

// plan hashes every photo and returns the ones this run builds, largest
// first, and the failures it reports (label conflicts; source failures on
// shard 0), counting the others in run: other shards, duplicates, photos
// the journal already has.
func (b *Builder) plan(ctx context.Context, recs []Record, j *journal, run *RunStats, prog *progress.Display) ([]task, []*FailedRow) {
	// Hash every photo first: the ID decides the shard and whether the
	// journal already has it, and the totals make an honest progress bar.
	ids, pixels, srcFails := b.hashAll(ctx, recs)
	conflicts := labelConflicts(recs, ids, srcFails)
	var tasks []task
	var failures []*FailedRow
	seen := map[string]bool{}
	for i, r := range recs {
		if srcFails[i] != nil {
			if b.shard.I == 0 {
				run.Failed++
			}
			continue
		}
		id := ids[i]
		switch {
		case !b.shard.HasID(id):
			run.OtherShard++
		case conflicts[id] != nil:
			// One photo, two names: neither label can be trusted.
			if !seen[id] {
				run.Failed++
				failures = append(failures, conflicts[id])
				prog.Logf("failed: %s: %s", r.Source, conflicts[id].Error)
			}
		case seen[id]:
			run.Duplicates++
		case j.has(id):
			run.Resumed++
		default:
			tasks = append(tasks, task{rec: r, id: id, pixels: pixels[i]})
		}
		seen[id] = true
	}
	// Largest photos first: detection time grows with the photo, and a
	// large photo handed out last keeps one worker busy while the others
	// idle (the sample photos' crowd took 10 of a 13.6 s build alone).
	slices.SortStableFunc(tasks, func(a, b task) int { return cmp.Compare(b.pixels, a.pixels) })
	// Source failures have no ID, so no shard: shard 0 reports them.
	if b.shard.I == 0 {
		for _, f := range srcFails {
			if f != nil {
				failures = append(failures, f)
				prog.Logf("failed: %s: %s", f.Source, f.Error)
			}
		}
	}

	return tasks, failures
}

// labelConflicts returns, by photo ID, the failure of each photo that the
// records give two or more different names (a manifest listing one path
// twice): both names are in the error, and the photo is not built.
func labelConflicts(recs []Record, ids []string, srcFails []*FailedRow) map[string]*FailedRow {
	names := map[string][]string{}
	first := map[string]int{}
	for i, r := range recs {
		if srcFails[i] != nil {
			continue
		}
		id := ids[i]
		if _, ok := first[id]; !ok {
			first[id] = i
		}
		if !slices.Contains(names[id], r.Name) {
			names[id] = append(names[id], r.Name)
		}
	}
	out := map[string]*FailedRow{}
	for id, ns := range names {
		if len(ns) < 2 {
			continue
		}
		r := recs[first[id]]
		quoted := make([]string, len(ns))
		for i, n := range ns {
			quoted[i] = strconv.Quote(n)
		}
		out[id] = &FailedRow{ID: id, Source: r.Source, Path: r.Path, Name: r.Name, Stage: "source",
			Error: fmt.Sprintf("conflicting labels: %s is labelled %s; give it one name", r.Source, strings.Join(quoted, " and "))}
	}
	return out
}

// hashAll reads every photo once to compute its ID and, from its header,
// its size in pixels, on b.workers goroutines. A record that cannot be read
// gets a FailedRow instead; a header that cannot be decoded gives size 0
// (the decode stage then records the failure).
func (b *Builder) hashAll(ctx context.Context, recs []Record) ([]string, []int, []*FailedRow) {
	ids := make([]string, len(recs))
	pixels := make([]int, len(recs))
	fails := make([]*FailedRow, len(recs))
	workers.Each(ctx, len(recs), b.workers, func(i int) {
		r := recs[i]
		if r.Err != nil {
			fails[i] = &FailedRow{Source: r.Source, Path: r.Path, Name: r.Name, Stage: "source", Error: r.Err.Error()}
			return
		}
		data, err := os.ReadFile(r.Path)
		if err != nil {
			fails[i] = &FailedRow{Source: r.Source, Path: r.Path, Name: r.Name, Stage: "read", Error: err.Error()}
			return
		}
		ids[i] = PhotoID(data, r.Source)
		if cfg, _, err := imageio.Config(data); err == nil {
			pixels[i] = cfg.Width * cfg.Height
		}
	})
	return ids, pixels, fails
}

// outFile is one file of a photo's output, written by the commit stage.
type outFile struct {
	path string
	data []byte
}

// built is a photo made by a worker and not yet committed: its journal
// entry and the files the entry vouches for.
type built struct {
	e     *entry
	files []outFile
}

// work builds the tasks on b.workers goroutines, largest first (the order
// of tasks), on the shared pool (workers.Pipeline). A worker hands each
// photo it made to the commit stage (2 × workers goroutines), which writes
// its files, each synced, and then its journal entry, while the worker goes
// on to the next photo: the waits for the disk overlap the work instead of
// stalling it, and a photo is still complete only once its entry is in the
// journal after its files are on disk. A fault of OUT (a full disk) ends
// the run at once and is returned: the photos in flight are cancelled and
// the hand-out stops, instead of waiting for workers that will take no
// more; the rerun builds them.
func (b *Builder) work(ctx context.Context, tasks []task, j *journal, prog *progress.Display, bar *progress.Bar, run *RunStats) error {
	a := limitStages(b.analyzer, b.conds)
	var mu sync.Mutex
	build := func(ctx context.Context, i int) (built, error) {
		e, files, err := b.buildOne(ctx, a, tasks[i])
		return built{e, files}, err
	}
	commit := func(d built) error {
		if err := b.commit(j, d); err != nil {
			return err
		}
		e := d.e
		mu.Lock()
		run.count(e.Status)
		mu.Unlock()
		if e.Failed != nil {
			prog.Logf("failed: %s (%s): %s", e.Failed.Source, e.Failed.Stage, e.Failed.Error)
		}
		bar.Add(e.Status != statusFailed)
		return nil
	}
	return workers.Pipeline(ctx, len(tasks), b.workers, 2*b.workers, build, commit)
}

// count adds a photo of the given journal status to the run's counts.
func (run *RunStats) count(status string) {
	run.Processed++
	switch status {
	case statusDone:
		run.Built++
	case statusFiltered:
		run.Filtered++
	case statusFailed:
		run.Failed++
	}
}

// commit writes a photo's files, each atomically and synced, and then its
// journal entry, timing the writes as its "write" stage.
func (b *Builder) commit(j *journal, d built) error {
	t0 := time.Now()
	for _, f := range d.files {
		if err := b.writeFile(f.path, f.data); err != nil {
			return err
		}
	}
	if len(d.files) > 0 {
		d.e.StageMS["write"] += float64(time.Since(t0).Microseconds()) / 1000
	}
	return j.add(d.e)
}

// buildOne builds one photo and returns its journal entry and the files to
// write before the entry (see commit). A bad input gives an entry with
// status failed, no files and a nil error; the error is for faults that
// stop the run.
func (b *Builder) buildOne(ctx context.Context, a Analyzer, t task) (*entry, []outFile, error) {
	r := t.rec
	e := &entry{ID: t.id, Source: r.Source, StageMS: map[string]float64{}}
	fail := func(stage string, err error) (*entry, []outFile, error) {
		e.Status = statusFailed
		e.Failed = &FailedRow{ID: t.id, Source: r.Source, Path: r.Path, Name: r.Name, Stage: stage, Error: err.Error()}
		return e, nil, nil
	}
	clock := time.Now()
	lap := func(stage string) {
		now := time.Now()
		e.StageMS[stage] += float64(now.Sub(clock).Microseconds()) / 1000
		clock = now
	}

	img, stage, err := decodePhoto(r, t.id)
	if err != nil {
		return fail(stage, err)
	}
	lap("decode")

	if b.filter != nil {
		keep, ev, err := b.filter.Keep(ctx, img, r)
		if err != nil {
			return fail("ocr", fmt.Errorf("%s: %w", r.Path, err))
		}
		lap("ocr")
		if !keep {
			raw, err := json.Marshal(ev)
			if err != nil {
				raw = nil
			}
			e.Status = statusFiltered
			e.Filtered = &FilteredRow{ID: t.id, Source: r.Source, Name: r.Name, Evidence: raw}
			return e, nil, nil
		}
	}

	sc, err := a.Analyze(scene.WithSeed(ctx, photoSeed(b.seed, t.id)), img)
	if err != nil {
		return fail("detect", fmt.Errorf("%s: %w", r.Path, err))
	}
	lap("detect")
	sceneJSON, err := json.Marshal(sc)
	if err != nil {
		return fail("detect", fmt.Errorf("%s: scene: %w", r.Path, err))
	}
	files := []outFile{{filepath.Join(b.out, "scenes", t.id+".json"), sceneJSON}}

	rows, variants, err := b.variants(ctx, t, img, sc, lap)
	if err != nil {
		return fail("render", err)
	}
	e.Rows, files = rows, append(files, variants...)
	e.Status = statusDone
	return e, files, nil
}

// decodePhoto reads and decodes r's photo, checking that it is still the
// one whose ID is id. On error it names the stage that failed ("read" or
// "decode").
func decodePhoto(r Record, id string) (*image.RGBA, string, error) {
	data, err := os.ReadFile(r.Path)
	if err != nil {
		return nil, "read", err
	}
	if PhotoID(data, r.Source) != id {
		return nil, "read", fmt.Errorf("%s changed while the build was running", r.Path)
	}
	img, _, err := imageio.Decode(data)
	if err != nil {
		return nil, "decode", &imageio.Error{Op: "decode", Path: r.Path, Err: err}
	}
	return img, "", nil
}

// variants renders and encodes the photo's conditions from its scene: their
// metadata rows, in the order of the build's conditions, and their files.
// lap times the render and encode stages.
func (b *Builder) variants(ctx context.Context, t task, img *image.RGBA, sc *scene.Scene, lap func(stage string)) ([]Row, []outFile, error) {
	r := t.rec
	var bg background.Background
	if b.bgs != nil {
		bg = b.fits.fitted(b.bgs.Pick(b.seed, t.id), img)
	}
	format := imageio.JPEG
	if b.format == "png" {
		format = imageio.PNG
	}
	base := Row{
		ID: t.id, Name: r.Name, Aliases: r.Aliases, Source: r.Source,
		Faces: len(sc.Faces), People: len(sc.People),
		FaceDetector: ranOrNot(sc.Detectors.Face), PersonDetector: ranOrNot(sc.Detectors.Person), Segmenter: ranOrNot(sc.Detectors.Segmenter),
		Seed: b.seed, OCR: b.ocr,
	}
	if base.Aliases == nil {
		base.Aliases = []string{}
	}
	var rows []Row
	var files []outFile
	err := Render(img, sc, b.conds, RenderOptions{Grid: b.grid, Landscape: bg, InPlace: true}, func(v Variant) error {
		lap("render")
		if err := ctx.Err(); err != nil {
			return err
		}
		enc, err := imageio.Encode(v.Image, format)
		if err != nil {
			return fmt.Errorf("%s: encoding %s: %w", r.Path, v.Condition, err)
		}
		lap("encode")
		rel := v.Condition.Dir() + "/" + t.id + "." + b.format
		files = append(files, outFile{filepath.Join(b.out, filepath.FromSlash(rel)), enc})
		row := base
		row.FileName, row.Condition, row.Background = rel, string(v.Condition), v.Background
		row.setAnonymization(v.Condition, b.grid)
		row.Width, row.Height = v.Image.Rect.Dx(), v.Image.Rect.Dy()
		sum := sha256.Sum256(enc)
		row.SHA256 = hex.EncodeToString(sum[:])
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		return conditionIndex(b.conds, Condition(rows[i].Condition)) < conditionIndex(b.conds, Condition(rows[j].Condition))
	})
	return rows, files, nil
}

// ranOrNot returns the name of a scene's detector, or NotRun for "".
func ranOrNot(name string) string {
	if name != "" {
		return name
	}
	return NotRun
}

// limitStages returns a restricted to the stages the conditions need, when
// it can leave stages out, and a itself otherwise.
func limitStages(a Analyzer, conds []Condition) Analyzer {
	if l, ok := a.(scene.StageLimiter); ok {
		return l.Limit(Stages(conds))
	}
	return a
}

// photoSeed is the seed of a photo's randomised detectors (GrabCut), from
// the run's seed and the photo's ID only: a photo gets the same masks
// whatever worker, shard or order builds it.
func photoSeed(seed int64, id string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write([]byte("phantom-detect-seed/1"))
	h.Write(b[:])
	h.Write([]byte(id))
	return binary.LittleEndian.Uint64(h.Sum(nil))
}
