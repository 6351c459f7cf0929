package detect

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/internal/cv"
	"github.com/phantom-vlm/phantom/internal/pool"
	"github.com/phantom-vlm/phantom/scene"
)

// This file holds the classical OpenCV detectors that run when no model
// files are given: Haar cascade faces, HOG people and GrabCut masks. They
// need nothing but OpenCV and its data files (Debian: libopencv-dev and
// opencv-data), and are far weaker than the ONNX Runtime models; the study
// protocol's numbers come from the models.

// The names these detectors report for metadata.
const (
	HaarName    = scene.HaarName
	HOGName     = "opencv-hog"
	GrabCutName = "opencv-grabcut"
)

// HaarCascadeEnv names the environment variable that points at the frontal
// face cascade XML file when no WithCascade option is given.
const HaarCascadeEnv = "PHANTOM_HAAR_CASCADE"

// haarCascadeFile is the cascade used by default. Measured on the 112
// congress portraits, the photos and the 12 named photos of the test data
// (BENCHMARKS.md, "detect: OpenCV default"), "alt2" with more than 6 raw
// hits gave exactly one face on 110 of 112 portraits (every portrait's face
// found), one on eileen-collins.png and none on gorilla.png; "default" needed
// more than 10 hits to come near (108 of 112) and then missed a portrait's
// face altogether. The profile cascade found no extra true face on the
// photos where the frontal ones fail, so it is not combined.
const haarCascadeFile = "haarcascade_frontalface_alt2.xml"

// haarCascadeDirs are where OpenCV's data files are installed by the usual
// packages: Debian/Ubuntu opencv-data, source builds, Homebrew, Fedora, conda.
var haarCascadeDirs = []string{
	"/usr/share/opencv4/haarcascades",
	"/usr/local/share/opencv4/haarcascades",
	"/usr/share/opencv/haarcascades",
	"/usr/local/share/opencv/haarcascades",
	"/opt/homebrew/share/opencv4/haarcascades",
	"/usr/share/OpenCV/haarcascades",
	"/opt/conda/share/opencv4/haarcascades",
}

// FindHaarCascade returns the path of the frontal face cascade: path when it
// is not empty, else $PHANTOM_HAAR_CASCADE when set, else the first install
// directory that holds haarcascade_frontalface_alt2.xml. When nothing is
// found the error wraps ErrNoModel and lists every path tried.
func FindHaarCascade(path string) (string, error) {
	var tried []string
	try := func(p string) bool {
		tried = append(tried, p)
		st, err := os.Stat(p)
		return err == nil && st.Mode().IsRegular()
	}
	switch {
	case path != "":
		if try(path) {
			return path, nil
		}
	case os.Getenv(HaarCascadeEnv) != "":
		if p := os.Getenv(HaarCascadeEnv); try(p) {
			return p, nil
		}
	default:
		for _, d := range haarCascadeDirs {
			if p := filepath.Join(d, haarCascadeFile); try(p) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%w: haar face cascade (tried %s; install opencv-data or set %s)",
		ErrNoModel, strings.Join(tried, ", "), HaarCascadeEnv)
}

// score turns a grouped detection's raw hit count into a confidence in
// (0, 1): n/(n+m) with m the minimum-neighbours setting, so a detection
// just over the threshold scores a little above 0.5 and a strongly supported
// one approaches 1. It ranks detections of one detector; it is not a
// calibrated probability.
func score(n, minNeighbors int) float64 {
	return float64(n) / float64(n+max(1, minNeighbors))
}

// downscale returns the factor (≤ 1) that brings the longer side of b to at
// most maxSide pixels (maxSide ≤ 0: 1).
func downscale(b image.Rectangle, maxSide int) float64 {
	side := max(b.Dx(), b.Dy())
	if maxSide <= 0 || side <= maxSide {
		return 1
	}
	return float64(maxSide) / float64(side)
}

type haarConfig struct {
	cascade      string
	scaleFactor  float64
	minNeighbors int
	minSize      int
	maxSide      int
	pool         int
}

// WithCascade loads the cascade from path instead of searching for it.
func WithCascade(path string) Option { return func(o *options) { o.haar.cascade = path } }

// WithHaarScaleFactor sets the step between pyramid levels (default 1.1).
func WithHaarScaleFactor(f float64) Option { return func(o *options) { o.haar.scaleFactor = f } }

// WithHaarMinNeighbors sets how many raw hits beyond the first a face needs
// (default 6).
func WithHaarMinNeighbors(n int) Option { return func(o *options) { o.haar.minNeighbors = n } }

// WithHaarMinSize sets the smallest face side in photo pixels, before any
// downscaling (default 24).
func WithHaarMinSize(px int) Option { return func(o *options) { o.haar.minSize = px } }

// WithHaarMaxSide shrinks photos whose longer side exceeds px before
// detection, for speed (default 1600; 0 or less: never).
func WithHaarMaxSide(px int) Option { return func(o *options) { o.haar.maxSide = px } }

// WithHaarPool sets how many classifiers may run at once (default
// GOMAXPROCS).
func WithHaarPool(n int) Option { return func(o *options) { o.haar.pool = n } }

// HaarFaceDetector finds frontal faces with OpenCV's Viola–Jones Haar
// cascade (opencv-data's haarcascade_frontalface_alt2.xml).
//
// Defaults, tuned on the test data (see BENCHMARKS.md): scale factor 1.1,
// a face needs more than 6 raw hits (fewer gives a second, false face on
// several portraits: 98 of 112 congress portraits have exactly one face at
// 2, 110 of 112 at 6), minimum face 24 px, photos shrunk to 1600 px on the
// longer side first. Raw hits are grouped by OpenCV's rule, done in Go so
// that the hit count is known, and Score is n/(n+6) for n hits.
//
// A HaarFaceDetector is safe for concurrent use: OpenCV's classifier is
// not, so it keeps a small pool of them (WithHaarPool), each used by one
// goroutine at a time. Close it when done.
type HaarFaceDetector struct {
	cfg  haarConfig
	path string
	pool *pool.Pool[*cv.Cascade]
}

// NewHaarFaceDetector loads the frontal face cascade (see FindHaarCascade)
// and returns a detector. It fails with an error wrapping ErrNoModel when
// the cascade file cannot be found.
func NewHaarFaceDetector(opts ...Option) (*HaarFaceDetector, error) {
	cfg := newOptions(opts).haar
	if cfg.scaleFactor <= 1 {
		return nil, fmt.Errorf("detect: haar scale factor must be > 1, got %g", cfg.scaleFactor)
	}
	path, err := FindHaarCascade(cfg.cascade)
	if err != nil {
		return nil, err
	}
	first, err := cv.LoadCascade(path)
	if err != nil {
		return nil, fmt.Errorf("detect: haar cascade %s: %w", path, err)
	}
	d := &HaarFaceDetector{cfg: cfg, path: path}
	d.pool = pool.New(cfg.pool, func() (*cv.Cascade, error) { return cv.LoadCascade(path) })
	d.pool.Add(first)
	return d, nil
}

// Name returns "opencv-haar".
func (d *HaarFaceDetector) Name() string { return HaarName }

// CascadePath returns the cascade file in use.
func (d *HaarFaceDetector) CascadePath() string { return d.path }

// DetectFaces returns the faces in img, most supported first. Haar gives no
// landmarks. The call cannot be interrupted inside OpenCV; ctx is checked
// before it starts.
func (d *HaarFaceDetector) DetectFaces(ctx context.Context, img image.Image) ([]Face, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := d.pool.Get(ctx)
	if err != nil {
		return nil, err
	}
	defer d.pool.Put(c)
	ms := image.Pt(d.cfg.minSize, d.cfg.minSize)
	ds, err := c.Detect(img, cv.CascadeParams{
		ScaleFactor:  d.cfg.scaleFactor,
		MinNeighbors: d.cfg.minNeighbors,
		MinSize:      ms,
		Scale:        downscale(img.Bounds(), d.cfg.maxSide),
	})
	if err != nil {
		return nil, fmt.Errorf("detect: haar: %w", err)
	}
	faces := make([]Face, 0, len(ds))
	for _, dt := range ds {
		r := dt.Rect
		faces = append(faces, Face{Box: Box{
			X1: float64(r.Min.X), Y1: float64(r.Min.Y), X2: float64(r.Max.X), Y2: float64(r.Max.Y),
			Score: score(dt.Neighbors, d.cfg.minNeighbors),
		}})
	}
	return faces, nil
}

// Close frees the classifiers.
func (d *HaarFaceDetector) Close() error { return d.pool.Close() }

type hogConfig struct {
	maxSide      int
	minNeighbors int
	hitThreshold float64
	scaleFactor  float64
	pool         int
}

// WithHOGMaxSide shrinks photos whose longer side exceeds px before
// detection (default 640; 0 or less: never). HOG's window is 64×128, so
// this also sets how large a person can be relative to the photo.
func WithHOGMaxSide(px int) Option { return func(o *options) { o.hog.maxSide = px } }

// WithHOGMinNeighbors sets how many raw window hits beyond the first a
// person needs (default 2, OpenCV's own).
func WithHOGMinNeighbors(n int) Option { return func(o *options) { o.hog.minNeighbors = n } }

// WithHOGHitThreshold sets the SVM margin a window needs (default 0).
func WithHOGHitThreshold(t float64) Option { return func(o *options) { o.hog.hitThreshold = t } }

// WithHOGPool sets how many descriptors may run at once (default
// GOMAXPROCS).
func WithHOGPool(n int) Option { return func(o *options) { o.hog.pool = n } }

// HOGPersonDetector finds standing people with OpenCV's HOG descriptor and
// its default (Dalal–Triggs) people detector. The photo is shrunk so that
// its longer side is at most 640 px (WithHOGMaxSide), the pyramid steps by
// 1.05 with an 8 px stride, and boxes are mapped back to the photo. The
// detector's 64×128 window holds a margin around the person; the box
// returned is the window less 1/8 of its width on each side and 1/16 of its
// height at top and bottom, which is closer to the person. Score is n/(n+2)
// for n grouped window hits.
//
// It is trained on whole upright bodies: close-ups and seated people are
// missed. With Analyzer.PeopleFromFaces (as NewAnalyzer sets it for this default) every face outside the
// HOG boxes also gives a person: the box reaches 1.6 face widths either side
// of the face's centre, 0.6 face heights above it and 6 below (clipped to
// the photo), with half the face's score. A HOGPersonDetector is safe for concurrent use (a pool of
// descriptors, WithHOGPool). Close it when done.
type HOGPersonDetector struct {
	cfg  hogConfig
	pool *pool.Pool[*cv.HOG]
}

// NewHOGPersonDetector returns a HOG people detector.
func NewHOGPersonDetector(opts ...Option) (*HOGPersonDetector, error) {
	cfg := newOptions(opts).hog
	d := &HOGPersonDetector{cfg: cfg}
	d.pool = pool.New(cfg.pool, func() (*cv.HOG, error) { return cv.NewPeopleHOG() })
	return d, nil
}

// Name returns "opencv-hog".
func (d *HOGPersonDetector) Name() string { return HOGName }

// DetectPeople returns the people in img, most supported first, with Label
// "person". The call cannot be interrupted inside OpenCV; ctx is checked
// before it starts.
func (d *HOGPersonDetector) DetectPeople(ctx context.Context, img image.Image) ([]Person, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := d.pool.Get(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if h != nil {
			d.pool.Put(h)
		}
	}()
	b := img.Bounds()
	ds, err := h.Detect(img, cv.HOGParams{
		HitThreshold: d.cfg.hitThreshold,
		ScaleFactor:  d.cfg.scaleFactor,
		MinNeighbors: d.cfg.minNeighbors,
		Scale:        downscale(b, d.cfg.maxSide),
	})
	if err != nil {
		return nil, fmt.Errorf("detect: hog: %w", err)
	}
	people := make([]Person, 0, len(ds))
	for _, dt := range ds {
		r := dt.Rect
		w, h := float64(r.Dx()), float64(r.Dy())
		box := Box{
			X1: float64(r.Min.X) + w/8, X2: float64(r.Max.X) - w/8,
			Y1: float64(r.Min.Y) + h/16, Y2: float64(r.Max.Y) - h/16,
			Score: score(dt.Neighbors, d.cfg.minNeighbors),
		}
		people = append(people, Person{Box: box.Clip(b), Label: "person"})
	}
	return people, nil
}

// Close frees the descriptors.
func (d *HOGPersonDetector) Close() error { return d.pool.Close() }

type grabCutConfig struct {
	iterations int
	maxSide    int
	margin     float64
	core       float64
}

// WithGrabCutIterations sets the number of GrabCut iterations (default 3).
func WithGrabCutIterations(n int) Option { return func(o *options) { o.grabCut.iterations = n } }

// WithGrabCutMaxSide sets the longest side of the crop GrabCut works on
// (default 256; 0 or less: full resolution, which is much slower).
func WithGrabCutMaxSide(px int) Option { return func(o *options) { o.grabCut.maxSide = px } }

// WithGrabCutCore sets the width, as a fraction of the box's, of the
// central column (from 15% to 90% of the box's height) that is taken as
// certainly the person (default 1/3; 0: none, GrabCut learns the whole box).
func WithGrabCutCore(f float64) Option { return func(o *options) { o.grabCut.core = f } }

// WithGrabCutMargin sets how far around the box, as a fraction of its size
// on each side, the crop reaches to show GrabCut background (default 0.1).
func WithGrabCutMargin(f float64) Option { return func(o *options) { o.grabCut.margin = f } }

// GrabCutSegmenter cuts each person box out with OpenCV's GrabCut,
// initialised from the box: everything outside the box is background, the
// inside is learnt. For speed it works on a crop around the box (the box
// plus 10% on each side) shrunk to 256 px on its longer side, and scales
// the mask back to the photo. Masks are 255 inside the person, 0 outside,
// and Score is 0 (GrabCut gives no quality estimate).
//
// A GrabCutSegmenter holds no OpenCV state and is safe for concurrent use.
type GrabCutSegmenter struct{ cfg grabCutConfig }

// NewGrabCutSegmenter returns a GrabCut segmenter.
func NewGrabCutSegmenter(opts ...Option) (*GrabCutSegmenter, error) {
	cfg := newOptions(opts).grabCut
	if cfg.iterations <= 0 {
		return nil, fmt.Errorf("detect: grabcut iterations must be > 0, got %d", cfg.iterations)
	}
	return &GrabCutSegmenter{cfg: cfg}, nil
}

// Name returns "opencv-grabcut".
func (s *GrabCutSegmenter) Name() string { return GrabCutName }

// Segment returns one mask per box, each with img's bounds. ctx is checked
// between boxes. GrabCut's random initialisation is seeded before each box
// from ctx's seed (ContextWithSeed) and the box's index, so the masks
// depend only on the image, the boxes and that seed.
func (s *GrabCutSegmenter) Segment(ctx context.Context, img image.Image, boxes []Box) ([]Mask, error) {
	masks := make([]Mask, 0, len(boxes))
	for i, bx := range boxes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := cv.GrabCut(img, bx.Rect(), cv.GrabCutParams{
			Iterations: s.cfg.iterations, MaxSide: s.cfg.maxSide, Margin: s.cfg.margin, Core: s.cfg.core,
			Seed: boxSeed(scene.Seed(ctx), i),
		})
		if err != nil {
			return nil, fmt.Errorf("detect: grabcut box %d: %w", i, err)
		}
		masks = append(masks, Mask{Alpha: a})
	}
	return masks, nil
}

// Close does nothing; it is there so that a GrabCutSegmenter closes like
// the others.
func (s *GrabCutSegmenter) Close() error { return nil }
