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

// modelOptions is the configuration shared by the ONNX Runtime detectors. A
// zero threshold means the detector's own default.
type modelOptions struct {
	device     Device
	cudaDevice int
	threads    int
	spin       bool
	library    string
	logger     *slog.Logger
	confidence float64 // score threshold
	iou        float64 // NMS IoU threshold
	stages     Stages  // NewAnalyzer's stages
}

// ModelOption configures an ONNX Runtime detector or segmenter.
type ModelOption func(*modelOptions)

// WithDevice selects the device (default DeviceAuto).
func WithDevice(d Device) ModelOption { return func(o *modelOptions) { o.device = d } }

// WithCUDADevice selects the CUDA device id (default 0).
func WithCUDADevice(id int) ModelOption { return func(o *modelOptions) { o.cudaDevice = id } }

// WithThreads sets the number of threads one model run may use (default:
// ONNX Runtime's choice, one per physical core).
func WithThreads(n int) ModelOption { return func(o *modelOptions) { o.threads = n } }

// WithSpinning lets ONNX Runtime's worker threads spin while they wait for
// work. phantom turns spinning off by default: the detectors run beside OCR
// and other workers, where spinning threads burn CPU the others need (on the
// development machine, under load, YuNet took 12 cpu-ms per run without
// spinning and 19–28 with it, and less wall time too). Turn it on for the
// lowest latency on an otherwise idle machine.
func WithSpinning(on bool) ModelOption { return func(o *modelOptions) { o.spin = on } }

// WithORTLibrary names the ONNX Runtime shared library to load, when this is
// the first model the process opens (default: $PHANTOM_ORT_LIB, then the
// cache directory, then the system's library directories).
func WithORTLibrary(path string) ModelOption { return func(o *modelOptions) { o.library = path } }

// WithLogger sets where detectors log (the CUDA fallback line). Default
// slog.Default().
func WithLogger(l *slog.Logger) ModelOption { return func(o *modelOptions) { o.logger = l } }

// WithConfidence sets the score threshold of a YOLO or YuNet detector
// (defaults: YOLO 0.25, YuNet 0.6).
func WithConfidence(c float64) ModelOption { return func(o *modelOptions) { o.confidence = c } }

// WithIoU sets the NMS IoU threshold (defaults: YOLO 0.45, YuNet 0.3).
func WithIoU(t float64) ModelOption { return func(o *modelOptions) { o.iou = t } }

// WithStages makes NewAnalyzer load only the stages of s (default
// AllStages); other constructors ignore it.
func WithStages(s Stages) ModelOption { return func(o *modelOptions) { o.stages = s } }

func newModelOptions(opts []ModelOption) modelOptions {
	o := modelOptions{device: DeviceAuto, logger: slog.Default(), stages: AllStages}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// ortOptions translates the options for the ONNX Runtime seam.
func (o modelOptions) ortOptions() []ort.Option {
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
