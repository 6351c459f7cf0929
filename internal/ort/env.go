// Package ort is phantom's only seam to ONNX Runtime (through
// github.com/yalue/onnxruntime_go). It owns the one ONNX Runtime environment
// of the process, finds the shared library, checks a model file's inputs and
// outputs against what the caller expects before it creates a session, and
// picks the execution provider (CUDA or CPU) for each session.
//
// Its API is plain Go: tensors are Go slices with a shape (Tensor), model
// signatures are Go structs (Signature, TensorSpec). No cgo or
// onnxruntime_go type appears in it.
//
// Typical use:
//
//	s, err := ort.Open("yunet.onnx", ort.Signature{
//		Inputs:  []ort.TensorSpec{{Name: "input", Type: ort.Float32, Shape: []int64{1, 3, 640, 640}}},
//		Outputs: []ort.TensorSpec{{Name: "cls_8"}, {Name: "obj_8"}},
//	}, ort.WithDevice(ort.DeviceAuto))
//	if err != nil { ... }
//	defer s.Close()
//	out, err := s.Run(ctx, ort.NewFloat32([]int64{1, 3, 640, 640}, pixels))
package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/phantom-vlm/phantom/internal/cachedir"
)

// LibraryEnv is the environment variable that names the ONNX Runtime shared
// library to load.
const LibraryEnv = "PHANTOM_ORT_LIB"

// LibraryName is the file name of the ONNX Runtime shared library that
// scripts/setup.sh puts in phantom's cache directory.
const LibraryName = "libonnxruntime.so.1"

// ErrLibraryNotFound is returned (wrapped) when no ONNX Runtime shared library
// could be found; the message lists every path tried.
var ErrLibraryNotFound = errors.New("ort: ONNX Runtime library not found")

// systemDirs are searched, in order, after the explicit path, $PHANTOM_ORT_LIB
// and the cache directory.
var systemDirs = []string{
	"/usr/lib",
	"/usr/lib64",
	"/usr/lib/x86_64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu",
	"/usr/local/lib",
	"/usr/local/lib64",
	"/opt/onnxruntime/lib",
}

// systemNames are the library names looked for in each system directory.
var systemNames = []string{"libonnxruntime.so.1", "libonnxruntime.so"}

var env struct {
	mu      sync.Mutex
	started bool
	lib     string
}

// LibraryCandidates returns, in search order, the paths Init tries when it is
// given explicit (which may be empty) for sessions on device d: explicit,
// then $PHANTOM_ORT_LIB, then, for DeviceAuto and DeviceCUDA, the GPU build
// that scripts/setup.sh --cuda lays out in the cache's CUDADir, then the
// cache directory's libonnxruntime.so.1, then the system directories.
func LibraryCandidates(explicit string, d Device) []string {
	var c []string
	if explicit != "" {
		c = append(c, explicit)
	}
	if p := os.Getenv(LibraryEnv); p != "" {
		c = append(c, p)
	}
	if d != DeviceCPU {
		c = append(c, cudaDirLibrary())
	}
	c = append(c, cachedir.Path(LibraryName))
	for _, dir := range systemDirs {
		for _, n := range systemNames {
			c = append(c, filepath.Join(dir, n))
		}
	}
	return c
}

// FindLibrary returns the first existing path of LibraryCandidates(explicit,
// DeviceCPU), or an error wrapping ErrLibraryNotFound that lists every path
// tried.
func FindLibrary(explicit string) (string, error) { return FindLibraryFor(explicit, DeviceCPU) }

// FindLibraryFor is FindLibrary for sessions on device d.
func FindLibraryFor(explicit string, d Device) (string, error) {
	cands := LibraryCandidates(explicit, d)
	for _, p := range cands {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w (set %s or run scripts/setup.sh); tried:\n  %s",
		ErrLibraryNotFound, LibraryEnv, strings.Join(cands, "\n  "))
}

// Init starts the process's ONNX Runtime environment for CPU sessions:
// InitDevice(library, DeviceCPU).
func Init(library string) error { return InitDevice(library, DeviceCPU) }

// InitDevice starts the process's ONNX Runtime environment, once: later
// calls return nil without doing anything (an explicit library or device
// given then is ignored). library may be empty, in which case
// FindLibraryFor's search order for device d applies: with DeviceAuto or
// DeviceCUDA, the GPU build in the cache's CUDADir comes before the CPU
// library. The environment logs only fatal errors, so that a failed CUDA
// provider does not print to stderr; errors reach the caller as Go errors.
// A failed InitDevice may be retried.
func InitDevice(library string, d Device) error {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.started {
		return nil
	}
	path, err := FindLibraryFor(library, d)
	if err != nil {
		return err
	}
	ortgo.SetSharedLibraryPath(path)
	if err := ortgo.InitializeEnvironment(ortgo.WithLogLevelFatal()); err != nil {
		return fmt.Errorf("ort: starting ONNX Runtime from %s: %w", path, err)
	}
	_ = ortgo.DisableTelemetry()
	removeEmpty(telemetryLog())
	env.started, env.lib = true, path
	return nil
}

// telemetryLog is the file that the telemetry SDK inside ONNX Runtime's
// release builds (Microsoft's 1DS, in the npm and PyPI libraries) creates in
// the temporary directory when the environment starts: one empty
// mat-debug-<pid>.log per process, left behind at exit.
func telemetryLog() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("mat-debug-%d.log", os.Getpid()))
}

// removeEmpty removes path if it is an empty regular file, so that every
// phantom run does not leave one in /tmp. A log with something in it is
// kept.
func removeEmpty(path string) {
	if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() && st.Size() == 0 {
		_ = os.Remove(path)
	}
}

// Library returns the path of the loaded ONNX Runtime library, or "" before
// Init succeeded.
func Library() string {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.lib
}

// Version returns the ONNX Runtime version string ("1.30.0"), starting the
// environment if needed.
func Version() (string, error) {
	if err := Init(""); err != nil {
		return "", err
	}
	return ortgo.GetVersion(), nil
}
