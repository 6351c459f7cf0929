package ocrfilter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"strconv"

	"github.com/phantom-vlm/phantom/internal/pool"
	"github.com/phantom-vlm/phantom/internal/tess"
	"github.com/phantom-vlm/phantom/internal/textregion"
)

// ErrClosed is returned by a Reader or Filter used after Close.
var ErrClosed = errors.New("ocrfilter: closed")

// PageSegMode is a Tesseract page segmentation mode (tesseract --help-psm).
type PageSegMode int

// The page segmentation modes worth trying on photos.
const (
	// PSMAuto is Tesseract's default: full page layout analysis.
	PSMAuto PageSegMode = 3
	// PSMSingleBlock assumes one uniform block of text.
	PSMSingleBlock PageSegMode = 6
	// PSMSingleLine reads the image as one line of text.
	PSMSingleLine PageSegMode = 7
	// PSMSparseText finds as much text as possible in no particular order;
	// it suits scene text and is the default (see BENCHMARKS.md).
	PSMSparseText PageSegMode = 11
)

// Word is one word read from an image.
type Word struct {
	// Text is the word as Tesseract read it.
	Text string
	// Box is the word's box in the pixel coordinates of the image given to
	// Read or Decide (for a rotated pass, the box that holds the rotated
	// word box; for the regions pass, the box of the whole line of text the
	// word was read in).
	Box image.Rectangle
	// Confidence is Tesseract's word confidence, from 0 to 100.
	Confidence float64
	// Pass names the OCR pass that read the word: "original", "x2" for an
	// upscaled copy, "grid3+rot15" for tiles of a rotated copy, "regions"
	// for proposed lines of text (see Pass).
	Pass string
	// Line counts the text lines of the pass in reading order, from 1.
	Line int
}

type wordJSON struct {
	Text       string  `json:"text"`
	Box        [4]int  `json:"box"`
	Confidence float64 `json:"conf"`
	Pass       string  `json:"pass"`
	Line       int     `json:"line"`
}

// MarshalJSON writes the word as {"text","box":[x1,y1,x2,y2],"conf","pass","line"}.
func (w Word) MarshalJSON() ([]byte, error) {
	return json.Marshal(wordJSON{
		Text: w.Text, Box: [4]int{w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y},
		Confidence: math.Round(w.Confidence*10) / 10, Pass: w.Pass, Line: w.Line,
	})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (w *Word) UnmarshalJSON(b []byte) error {
	var j wordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*w = Word{Text: j.Text, Box: image.Rect(j.Box[0], j.Box[1], j.Box[2], j.Box[3]),
		Confidence: j.Confidence, Pass: j.Pass, Line: j.Line}
	return nil
}

// Option configures a Reader, a Matcher built by a Filter, or a Filter.
type Option func(*config)

type config struct {
	lang        string
	psm         PageSegMode
	dpi         int
	pool        int
	passes      []Pass
	minRun      int
	minConf     float64
	minConfSet  bool
	tessdataDir string
}

// Defaults chosen by measurement on the generated test set (see BENCHMARKS.md).
const (
	// DefaultMinRun is the shortest run of name characters that counts as a
	// hit, the study's rule.
	DefaultMinRun = 5
	// DefaultMinConfidence is the lowest word confidence (0–100) a word needs
	// to take part in matching: 1 leaves out only the words Tesseract gives
	// no confidence at all, which on real photos are scraps of texture (one
	// made "Se rennet" on a landscape, a run of "Serena"); on the generated
	// set it costs no name, where higher settings cost names under 20 px.
	DefaultMinConfidence = 1
	// DefaultDPI is the resolution Tesseract is told the image has.
	DefaultDPI = 0
)

func defaults() config {
	return config{
		lang:    "eng",
		psm:     PSMSparseText,
		dpi:     DefaultDPI,
		pool:    runtime.GOMAXPROCS(0),
		passes:  DefaultPasses(),
		minRun:  DefaultMinRun,
		minConf: DefaultMinConfidence,
	}
}

// WithLanguage sets Tesseract's language string, e.g. "eng" (the default) or
// "eng+fra"; the trained data must be installed.
func WithLanguage(lang string) Option { return func(c *config) { c.lang = lang } }

// WithTessdata sets the directory that holds Tesseract's trained data;
// by default Tesseract's own default is used (TESSDATA_PREFIX or the
// compiled-in path).
func WithTessdata(dir string) Option { return func(c *config) { c.tessdataDir = dir } }

// WithPageSegMode sets the page segmentation mode (default PSMSparseText).
func WithPageSegMode(m PageSegMode) Option { return func(c *config) { c.psm = m } }

// WithDPI tells Tesseract the image's resolution (0, the default, lets
// Tesseract assume 70 dpi for images that carry none).
func WithDPI(dpi int) Option { return func(c *config) { c.dpi = dpi } }

// WithPoolSize sets how many Tesseract engines may run at once (default
// GOMAXPROCS). Each engine holds about 20 MB for "eng".
func WithPoolSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.pool = n
		}
	}
}

// WithPasses sets the OCR passes the Reader runs on each image, in order
// (default DefaultPasses()). Passes that do not apply to an image (an upscale
// of a large image) are skipped.
func WithPasses(ps ...Pass) Option {
	return func(c *config) { c.passes = append([]Pass(nil), ps...) }
}

// WithExtraPasses adds passes after the current ones, for example
// WithExtraPasses(ocrfilter.Pass{Grid: 3, PSM: ocrfilter.PSMSingleBlock}).
func WithExtraPasses(ps ...Pass) Option {
	return func(c *config) { c.passes = append(append([]Pass(nil), c.passes...), ps...) }
}

// WithMinRun sets the shortest run of name characters that counts (default 5).
func WithMinRun(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.minRun = n
		}
	}
}

// WithMinConfidence sets the lowest word confidence, 0 to 100, for a word to
// take part in matching (default DefaultMinConfidence).
func WithMinConfidence(conf float64) Option {
	return func(c *config) { c.minConf, c.minConfSet = conf, true }
}

// Reader reads words from images with Tesseract. It is safe for concurrent
// use: it keeps up to the pool size of Tesseract engines and hands one to each
// call. Close it when done.
type Reader struct {
	cfg     config
	engines *pool.Pool[*tess.Client]
}

// NewReader starts a Reader and all its Tesseract engines, so that a
// missing language fails here. Engines start here and not on first use
// because Tesseract's start-up (through gosseract) points the process's
// standard error at /dev/null for its duration, which would swallow what
// other goroutines print meanwhile.
func NewReader(opts ...Option) (*Reader, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	r := &Reader{cfg: cfg}
	r.engines = pool.New(cfg.pool, r.newClient)
	for range cfg.pool {
		cl, err := r.newClient()
		if err != nil {
			r.Close()
			return nil, err
		}
		r.engines.Add(cl)
	}
	return r, nil
}

func (r *Reader) newClient() (*tess.Client, error) {
	cl, err := tess.New(tess.Config{Lang: r.cfg.lang, PSM: int(r.cfg.psm), DPI: r.cfg.dpi, DataPath: r.cfg.tessdataDir,
		Vars: binarizationVars})
	if err != nil {
		return nil, fmt.Errorf("ocrfilter: %w", err)
	}
	return cl, nil
}

func (r *Reader) acquire(ctx context.Context) (*tess.Client, error) {
	cl, err := r.engines.Get(ctx)
	if errors.Is(err, pool.ErrClosed) {
		return nil, ErrClosed
	}
	return cl, err
}

func (r *Reader) release(cl *tess.Client) { r.engines.Put(cl) }

// Close frees the Reader's idle engines; engines in use are freed when their
// call returns. Calls after Close fail with ErrClosed.
func (r *Reader) Close() error { return r.engines.Close() }

// Passes returns the names of the OCR passes the Reader runs on an image of
// the given size, in order.
func (r *Reader) Passes(size image.Point) []string {
	var names []string
	for _, p := range r.cfg.passes {
		if p.applies(size) {
			names = append(names, p.String())
		}
	}
	return names
}

// Read returns the words read from img by every pass, pass after pass, each
// pass in its reading order. The context is checked before each pass.
func (r *Reader) Read(ctx context.Context, img image.Image) ([]Word, error) {
	if img == nil {
		return nil, errors.New("ocrfilter: nil image")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(cl)

	src := prepared{img: img}
	var words []Word
	for _, p := range r.cfg.passes {
		if !p.applies(img.Bounds().Size()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		words, err = p.read(cl, &src, words, r.cfg.psm)
		if err != nil {
			return nil, fmt.Errorf("ocrfilter: pass %s: %w", p, err)
		}
	}
	return words, nil
}

// read runs the pass with cl and appends the words it reads to words.
func (p Pass) read(cl *tess.Client, src *prepared, words []Word, defaultPSM PageSegMode) ([]Word, error) {
	if p.Regions {
		return p.readRegions(cl, src, words)
	}
	g, back := p.prepare(src)
	if err := cl.SetVariable("thresholding_method", strconv.Itoa(int(p.Binarize))); err != nil {
		return words, err
	}
	psm := p.PSM
	if psm == 0 {
		psm = defaultPSM
	}
	if err := cl.SetPageSegMode(int(psm)); err != nil {
		return words, err
	}
	if p.Grid < 2 {
		tw, err := cl.Read(g)
		if err != nil {
			return words, err
		}
		words, _ = appendWords(words, tw, p.String(), back, 0)
		return words, nil
	}
	lines := 0
	for _, r := range gridTiles(g.Rect, p.Grid) {
		tw, err := cl.Read(g.SubImage(r).(*image.Gray))
		if err != nil {
			return words, err
		}
		// Tile words come in the tile's coordinates on the pass's image.
		words, lines = appendWords(words, tw, p.String(), back, lines)
	}
	return words, nil
}

// readRegions reads the text lines textregion proposes, one by one.
func (p Pass) readRegions(cl *tess.Client, src *prepared, words []Word) ([]Word, error) {
	g, back := Pass{Scale: p.Scale, MaxSide: p.MaxSide}.prepare(src)
	c, _ := Pass{Scale: p.Scale, MaxSide: p.MaxSide, Chroma: true}.prepare(src)
	if err := cl.SetVariable("thresholding_method", "0"); err != nil {
		return words, err
	}
	psm := p.PSM
	if psm == 0 {
		psm = PSMSingleLine
	}
	if err := cl.SetPageSegMode(int(psm)); err != nil {
		return words, err
	}
	line := 0
	for _, r := range textregion.Find([]*image.Gray{g, c}, textregion.Options{}) {
		tw, err := cl.Read(r.Image)
		if err != nil {
			return words, err
		}
		// The words' boxes are on the levelled, scaled rendering of the
		// line: give each the box of the whole line.
		box := back(r.Box)
		for i := range tw {
			tw[i].Box = image.Rectangle{}
		}
		words, line = appendWords(words, tw, p.String(), func(image.Rectangle) image.Rectangle { return box }, line)
	}
	return words, nil
}

// gridTiles cuts r into n×n tiles, each half as wide and high as r when n is
// 3 (2/(n+1) of r in general), overlapping their neighbours by half.
func gridTiles(r image.Rectangle, n int) []image.Rectangle {
	w, h := r.Dx(), r.Dy()
	tw, th := 2*w/(n+1), 2*h/(n+1)
	var out []image.Rectangle
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			x, y := r.Min.X+i*w/(n+1), r.Min.Y+j*h/(n+1)
			out = append(out, image.Rect(x, y, x+tw, y+th).Intersect(r))
		}
	}
	return out
}

// appendWords converts a pass's words, numbering its lines in reading order
// after the first lines ones, and mapping boxes back to the input image. It
// returns the words and the number of the last line.
func appendWords(dst []Word, tw []tess.Word, pass string, back func(image.Rectangle) image.Rectangle, lines int) ([]Word, int) {
	line := lines
	var last [3]int
	for i, w := range tw {
		key := [3]int{w.Block, w.Par, w.Line}
		if i == 0 || key != last {
			line++
			last = key
		}
		dst = append(dst, Word{Text: w.Text, Box: back(w.Box), Confidence: w.Conf, Pass: pass, Line: line})
	}
	return dst, line
}

// binarizationVars size the windows of Tesseract's local binarisations: 2
// inches (about 140 pixels at the 70 dpi Tesseract assumes for photos)
// measured better than the defaults (0.33 inch) on photos with captions.
var binarizationVars = map[string]string{
	"thresholding_tile_size":   "2.0",
	"thresholding_window_size": "2.0",
}
