package detect

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/phantom-vlm/phantom/internal/ort"
)

// Device selects where the ONNX Runtime detectors run.
type Device string

// The devices. DeviceAuto uses CUDA when ONNX Runtime can, and otherwise the
// CPU (logging one line the first time); DeviceCUDA fails when CUDA cannot be
// used; DeviceCPU never tries CUDA.
const (
	DeviceAuto Device = "auto"
	DeviceCPU  Device = "cpu"
	DeviceCUDA Device = "cuda"
)

// ParseDevice parses "auto", "cpu" or "cuda"; the empty string is auto.
func ParseDevice(s string) (Device, error) {
	d, err := ort.ParseDevice(s)
	if err != nil {
		return "", fmt.Errorf("detect: unknown device %q (want auto, cpu or cuda)", s)
	}
	return Device(d), nil
}

// ErrCUDAUnavailable is returned (wrapped) by the ONNX Runtime detectors'
// constructors under DeviceCUDA when CUDA cannot be used.
var ErrCUDAUnavailable = ort.ErrCUDAUnavailable

// ErrModelSignature is returned (wrapped) when a model file's inputs or
// outputs are not what the detector expects; the message says what was
// expected and what was found.
var ErrModelSignature = ort.ErrSignature

// options is the configuration of every detector, from one list of
// Options: each constructor reads the fields it has a use for. A zero
// threshold means the detector's own default.
type options struct {
	device     Device
	cudaDevice int
	threads    int
	spin       bool
	library    string
	logger     *slog.Logger
	confidence float64 // score threshold
	iou        float64 // NMS IoU threshold
	stages     Stages  // NewAnalyzer's stages
	haar       haarConfig
	hog        hogConfig
	grabCut    grabCutConfig
	gdino      gdinoParams
	// peopleFromFaces is WithPeopleFromFaces's choice; nil means the
	// default (NewAnalyzer: on with the OpenCV person default).
	peopleFromFaces *bool
}

// Option configures a detector: every constructor of this package, and
// NewAnalyzer and NewFaceDetector, take one list of them. Each constructor
// reads the options it has a use for and ignores the others (WithHaarMinSize
// means nothing to YOLO), so that one list configures a whole Analyzer: the
// device, threads and thresholds of its ONNX models and the settings of
// its OpenCV defaults.
type Option func(*options)

// WithPeopleFromFaces makes an Analyzer (NewAnalyzer, Compose) add a
// person box for every face whose centre lies in none of the people found:
// the face widened to the shoulders (3.2 face widths) and extended down to
// 6 face heights below the chin, with half the face's score. Classical
// pedestrian detectors (HOG) find only whole upright bodies and miss the
// head-and-shoulders portraits that most photos of known people are; this
// keeps the cut-out conditions from losing the person. Such people are
// labelled "person-from-face". NewAnalyzer turns it on with the OpenCV
// person default and off with a person model; Compose leaves it off.
func WithPeopleFromFaces(on bool) Option {
	return func(o *options) { o.peopleFromFaces = &on }
}

// WithDevice selects the device (default DeviceAuto).
func WithDevice(d Device) Option { return func(o *options) { o.device = d } }

// WithCUDADevice selects the CUDA device id (default 0).
func WithCUDADevice(id int) Option { return func(o *options) { o.cudaDevice = id } }

// WithThreads sets the number of threads one model run may use (default:
// ONNX Runtime's choice, one per physical core).
func WithThreads(n int) Option { return func(o *options) { o.threads = n } }

// WithSpinning lets ONNX Runtime's worker threads spin while they wait for
// work. phantom turns spinning off by default: the detectors run beside OCR
// and other workers, where spinning threads burn CPU the others need (on the
// development machine, under load, YuNet took 12 cpu-ms per run without
// spinning and 19–28 with it, and less wall time too). Turn it on for the
// lowest latency on an otherwise idle machine.
func WithSpinning(on bool) Option { return func(o *options) { o.spin = on } }

// WithORTLibrary names the ONNX Runtime shared library to load, when this is
// the first model the process opens (default: $PHANTOM_ORT_LIB, then the
// cache directory, then the system's library directories).
func WithORTLibrary(path string) Option { return func(o *options) { o.library = path } }

// WithLogger sets where detectors log (the CUDA fallback line). Default
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithConfidence sets the score threshold of a YOLO, YuNet or Grounding
// DINO detector (defaults: YOLO 0.25, YuNet 0.6, Grounding DINO's box
// threshold 0.35).
func WithConfidence(c float64) Option { return func(o *options) { o.confidence = c } }

// WithIoU sets the NMS IoU threshold (defaults: YOLO 0.45, YuNet 0.3,
// Grounding DINO none).
func WithIoU(t float64) Option { return func(o *options) { o.iou = t } }

// WithStages makes NewAnalyzer load only the stages of s (default
// AllStages); other constructors ignore it.
func WithStages(s Stages) Option { return func(o *options) { o.stages = s } }

// WithPrompt sets Grounding DINO's prompt: one phrase ("person", the
// default) or several separated by " . " ("person . dog"). It is
// lower-cased and made to end with "." as Grounding DINO expects.
func WithPrompt(p string) Option { return func(o *options) { o.gdino.Prompt = p } }

// WithTextThreshold sets the token score at which a word joins Grounding
// DINO's label (default 0.25).
func WithTextThreshold(t float64) Option { return func(o *options) { o.gdino.TextThreshold = t } }

// WithPhraseTokens makes Grounding DINO, when on, score a query by its best
// phrase's own tokens only, so that a query that passes the box threshold
// only through a separator's (or [CLS]'s, [SEP]'s) score is dropped. Off by
// default: the reference takes the maximum over all text tokens.
func WithPhraseTokens(on bool) Option { return func(o *options) { o.gdino.PhraseTokens = on } }

func newOptions(opts []Option) options {
	o := options{
		device: DeviceAuto, logger: slog.Default(), stages: AllStages,
		haar:    haarConfig{scaleFactor: 1.1, minNeighbors: 6, minSize: 24, maxSide: 1600},
		hog:     hogConfig{maxSide: 640, minNeighbors: 2, scaleFactor: 1.05},
		grabCut: grabCutConfig{iterations: 3, maxSide: 256, margin: 0.1, core: 1.0 / 3},
	}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// ortOptions translates the options for the ONNX Runtime seam.
func (o options) ortOptions() []ort.Option {
	return []ort.Option{
		ort.WithDevice(ort.Device(o.device)),
		ort.WithCUDADevice(o.cudaDevice),
		ort.WithIntraOpThreads(o.threads),
		ort.WithSpinning(o.spin),
		ort.WithLibrary(o.library),
		ort.WithLogger(o.logger),
	}
}

// openError is the error of a constructor whose model file failed to open,
// under this package's prefix: it wraps ErrNoModel (and fs.ErrNotExist) when
// the file is missing, and otherwise says which model it was.
func openError(what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s: %w", ErrNoModel, what, pe)
	}
	return fmt.Errorf("detect: %s: %w", what, err)
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
