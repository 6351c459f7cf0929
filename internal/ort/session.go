package ort

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Device selects where a session runs.
type Device string

// The devices. DeviceAuto tries CUDA and falls back to the CPU, logging one
// line the first time it does; DeviceCUDA fails with ErrCUDAUnavailable when
// CUDA cannot be used; DeviceCPU never tries CUDA.
const (
	DeviceAuto Device = "auto"
	DeviceCPU  Device = "cpu"
	DeviceCUDA Device = "cuda"
)

// ParseDevice parses "auto", "cpu" or "cuda" (the empty string means auto).
func ParseDevice(s string) (Device, error) {
	switch Device(s) {
	case "", DeviceAuto:
		return DeviceAuto, nil
	case DeviceCPU, DeviceCUDA:
		return Device(s), nil
	}
	return "", fmt.Errorf("ort: unknown device %q (want auto, cpu or cuda)", s)
}

// ErrCUDAUnavailable is returned (wrapped) by Open with DeviceCUDA when the
// CUDA execution provider cannot be added: no GPU, no CUDA libraries, or an
// ONNX Runtime build without CUDA.
//
// Its text has no "ort:" prefix: detect re-exports it as its own sentinel,
// and importers never see this package's name.
var ErrCUDAUnavailable = errors.New("CUDA execution provider unavailable")

// ErrClosed is returned by Run on a closed session.
var ErrClosed = errors.New("ort: session closed")

type options struct {
	device   Device
	deviceID int
	threads  int
	noSpin   bool
	library  string
	logger   *slog.Logger
}

// Option configures Open.
type Option func(*options)

// WithDevice selects the device (default DeviceAuto).
func WithDevice(d Device) Option { return func(o *options) { o.device = d } }

// WithCUDADevice selects the CUDA device id (default 0).
func WithCUDADevice(id int) Option { return func(o *options) { o.deviceID = id } }

// WithIntraOpThreads sets the number of threads one Run may use; 0 (the
// default) lets ONNX Runtime choose (one per physical core).
func WithIntraOpThreads(n int) Option { return func(o *options) { o.threads = n } }

// WithSpinning sets whether ONNX Runtime's intra-op worker threads spin
// while waiting for work (ONNX Runtime's default: they do). Spinning lowers
// latency on an idle machine; turning it off saves CPU time when other work
// runs beside the model (a batch with several workers).
func WithSpinning(on bool) Option { return func(o *options) { o.noSpin = !on } }

// WithLibrary names the ONNX Runtime shared library, used when this Open is
// the one that starts the environment (see Init).
func WithLibrary(path string) Option { return func(o *options) { o.library = path } }

// WithLogger sets where the CUDA fallback line goes (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// cuda remembers, for the process, whether the CUDA provider could be added,
// so that DeviceAuto tries it once and logs the fallback once.
var cuda struct {
	mu     sync.Mutex
	tried  bool
	err    error // nil when CUDA worked
	logged bool
}

// Session is an ONNX Runtime session on one model file, feeding a fixed list
// of inputs and fetching a fixed list of outputs.
//
// A Session is safe for concurrent use: ONNX Runtime's Run is thread-safe,
// and Run allocates its input and output tensors per call (inputs wrap the
// caller's slices without copying; outputs are copied once into Go memory).
// Concurrent runs each use the session's intra-op threads, so on a CPU it
// usually pays more to run one at a time with all cores.
type Session struct {
	path     string
	sig      Signature
	provider string
	mu       sync.RWMutex
	s        *ortgo.DynamicAdvancedSession
}

// Open checks the model at path against want (see Signature.Resolve) before it
// creates a session, so that a wrong model gives an error wrapping
// ErrSignature rather than a failure at run time. The session feeds want's
// inputs, in want's order, and fetches want's outputs.
func Open(path string, want Signature, opts ...Option) (*Session, error) {
	o := options{device: DeviceAuto, logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	if _, err := ParseDevice(string(o.device)); err != nil {
		return nil, err
	}
	if err := InitDevice(o.library, o.device); err != nil {
		return nil, err
	}
	got, err := Inspect(path)
	if err != nil {
		return nil, err
	}
	sig, err := want.Resolve(got)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	in := make([]string, len(sig.Inputs))
	for i, t := range sig.Inputs {
		in[i] = t.Name
	}
	out := make([]string, len(sig.Outputs))
	for i, t := range sig.Outputs {
		out[i] = t.Name
	}
	if o.device != DeviceCPU {
		s, err := create(path, in, out, o, true)
		if err == nil {
			return &Session{path: path, sig: sig, provider: "cuda:" + strconv.Itoa(o.deviceID), s: s}, nil
		}
		if o.device == DeviceCUDA || !errors.Is(err, ErrCUDAUnavailable) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cuda.mu.Lock()
		if !cuda.logged {
			cuda.logged = true
			o.logger.Info("ort: CUDA unavailable, using the CPU", "reason", err.Error())
		}
		cuda.mu.Unlock()
	}
	s, err := create(path, in, out, o, false)
	if err != nil {
		return nil, err
	}
	return &Session{path: path, sig: sig, provider: "cpu", s: s}, nil
}

// newSession creates the ONNX Runtime session; tests replace it to see the
// fallback when a CUDA session cannot be created.
var newSession = func(path string, in, out []string, so *ortgo.SessionOptions, _ bool) (*ortgo.DynamicAdvancedSession, error) {
	return ortgo.NewDynamicAdvancedSession(path, in, out, so)
}

// create makes a session on the CPU or, with withCUDA, on the CUDA device of
// o. Every CUDA failure wraps ErrCUDAUnavailable: adding the provider (a CPU
// build, missing CUDA libraries) and creating the session with it (a GPU
// build on a machine with no usable GPU fails only there). A failed session
// marks CUDA unusable for the process, as a failed provider does.
func create(path string, in, out []string, o options, withCUDA bool) (*ortgo.DynamicAdvancedSession, error) {
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: session options: %w", err)
	}
	defer so.Destroy()
	_ = so.SetLogSeverityLevel(ortgo.LoggingLevelFatal)
	if o.threads > 0 {
		if err := so.SetIntraOpNumThreads(o.threads); err != nil {
			return nil, fmt.Errorf("ort: intra-op threads %d: %w", o.threads, err)
		}
	}
	if o.noSpin {
		if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			return nil, fmt.Errorf("ort: disabling spinning: %w", err)
		}
	}
	if withCUDA {
		if err := appendProvider(so, o.deviceID, o.device == DeviceCUDA); err != nil {
			return nil, err
		}
	}
	s, err := newSession(path, in, out, so, withCUDA)
	if err != nil && withCUDA {
		err = fmt.Errorf("%w: creating a session on cuda:%d: %v", ErrCUDAUnavailable, o.deviceID, err)
		cuda.mu.Lock()
		cuda.tried, cuda.err = true, err
		cuda.mu.Unlock()
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("ort: creating session for %s: %w", path, err)
	}
	return s, nil
}

// appendProvider is appendCUDA; tests replace it to stand in for a CUDA
// provider that loads.
var appendProvider = appendCUDA

// appendCUDA adds the CUDA provider to so. Under auto (force false) a failure
// is remembered for the process and later sessions do not try again.
//
// A library with the CUDA provider built in (a full GPU build: the
// onnxruntime-gpu wheel, NuGet) gets it with AppendExecutionProviderCUDA;
// only that call tells whether CUDA works, as creating the provider options
// succeeds even without a GPU. Any other library gets the CUDA plugin
// execution provider beside it, when there is one (the npm GPU build that
// scripts/setup.sh --cuda installs): registered once, its NVIDIA device found
// and appended (see appendPluginCUDA and seam.go).
func appendCUDA(so *ortgo.SessionOptions, id int, force bool) error {
	cuda.mu.Lock()
	defer cuda.mu.Unlock()
	if cuda.tried && cuda.err != nil && !force {
		return cuda.err
	}
	var err error
	if plug := cudaPluginPath(Library()); plug != "" && !hasBuiltinCUDA() {
		err = appendPluginCUDA(so, plug, id)
	} else {
		err = appendClassicCUDA(so, id)
	}
	cuda.tried, cuda.err = true, err
	return err
}

// appendClassicCUDA adds the built-in CUDA provider of a full GPU build.
func appendClassicCUDA(so *ortgo.SessionOptions, id int) error {
	co, err := ortgo.NewCUDAProviderOptions()
	if err == nil {
		defer co.Destroy()
		err = co.Update(map[string]string{"device_id": strconv.Itoa(id)})
		if err == nil {
			err = so.AppendExecutionProviderCUDA(co)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s%v", ErrCUDAUnavailable, cudaHint(Library()), err)
	}
	return nil
}

// providerLibraryCUDA is the file that a GPU build of ONNX Runtime keeps
// beside its main library (the provider of a full GPU build, or the plugin
// of the npm one that scripts/setup.sh --cuda installs), and that a CPU-only
// build (such as the npm one scripts/setup.sh installs) lacks.
const providerLibraryCUDA = "libonnxruntime_providers_cuda.so"

// cudaHint names the commonest cause of a failed CUDA provider, an ONNX
// Runtime install without its CUDA provider library, ahead of ONNX Runtime's
// own message. That is a CPU build, or a GPU-capable core whose provider
// libraries were never fetched: setup's onnxruntime-node 1.30 library lists
// CUDAExecutionProvider among its built-in providers, but its install script,
// which fetches the provider libraries from NuGet, never runs. With the
// provider library present the cause is elsewhere (the CUDA or cuDNN
// libraries, the driver, the device id) and ONNX Runtime's message says
// which, so there is no hint.
func cudaHint(lib string) string {
	if lib == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(lib), providerLibraryCUDA)); err == nil {
		return ""
	}
	return fmt.Sprintf("%s has no %s beside it (a CPU-only install); run scripts/setup.sh --cuda, or set %s to a GPU build of ONNX Runtime: ",
		lib, providerLibraryCUDA, LibraryEnv)
}

// Path returns the model file's path.
func (s *Session) Path() string { return s.path }

// Provider returns "cpu" or "cuda:N", the execution provider asked for.
func (s *Session) Provider() string { return s.provider }

// Signature returns the session's resolved inputs and outputs, with the names,
// types and shapes the model file states.
func (s *Session) Signature() Signature { return s.sig }

// Run feeds inputs (in the order of the session's inputs) and returns the
// outputs in the order of the session's outputs. Cancelling ctx terminates a
// run in progress.
func (s *Session) Run(ctx context.Context, inputs ...Tensor) ([]Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(inputs) != len(s.sig.Inputs) {
		return nil, fmt.Errorf("ort: %s takes %d inputs, got %d", s.path, len(s.sig.Inputs), len(inputs))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.s == nil {
		return nil, ErrClosed
	}
	vals := make([]ortgo.Value, len(inputs))
	defer func() {
		for _, v := range vals {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, t := range inputs {
		v, err := toValue(t)
		if err != nil {
			return nil, fmt.Errorf("ort: %s input %q: %w", s.path, s.sig.Inputs[i].Name, err)
		}
		vals[i] = v
	}
	outs := make([]ortgo.Value, len(s.sig.Outputs))
	var err error
	if done := ctx.Done(); done != nil {
		ro, e := ortgo.NewRunOptions()
		if e != nil {
			return nil, fmt.Errorf("ort: run options: %w", e)
		}
		defer ro.Destroy()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-done:
				_ = ro.Terminate()
			case <-stop:
			}
		}()
		err = s.s.RunWithOptions(vals, outs, ro)
		close(stop)
		wg.Wait()
	} else {
		err = s.s.Run(vals, outs)
	}
	res := make([]Tensor, len(outs))
	for i, v := range outs {
		if v == nil {
			continue
		}
		if err == nil {
			res[i], err = fromValue(v)
		}
		v.Destroy()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("ort: running %s: %w", s.path, err)
	}
	return res, nil
}

// Close releases the session. It waits for runs in progress, and is safe to
// call more than once.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}

func toValue(t Tensor) (ortgo.Value, error) {
	if n := dataLen(t.Data); n != t.Len() {
		if n < 0 {
			return nil, fmt.Errorf("unsupported data type %T", t.Data)
		}
		return nil, fmt.Errorf("shape %v needs %d elements, data has %d", t.Shape, t.Len(), n)
	}
	sh := ortgo.NewShape(t.Shape...)
	switch d := t.Data.(type) {
	case []float32:
		return ortgo.NewTensor(sh, d)
	case []float64:
		return ortgo.NewTensor(sh, d)
	case []int64:
		return ortgo.NewTensor(sh, d)
	case []int32:
		return ortgo.NewTensor(sh, d)
	case []int8:
		return ortgo.NewTensor(sh, d)
	case []uint8:
		return ortgo.NewTensor(sh, d)
	case []bool:
		return ortgo.NewTensor(sh, d)
	}
	return nil, fmt.Errorf("unsupported data type %T", t.Data)
}

func fromValue(v ortgo.Value) (Tensor, error) {
	shape := append([]int64{}, v.GetShape()...)
	switch x := v.(type) {
	case *ortgo.Tensor[float32]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ortgo.Tensor[float64]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ortgo.Tensor[int64]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ortgo.Tensor[int32]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ortgo.Tensor[int8]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ortgo.Tensor[uint8]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ortgo.Tensor[bool]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	}
	return Tensor{}, fmt.Errorf("unsupported output value %T", v)
}
