package ort

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// modelPath returns a model from $PHANTOM_MODELS, or skips.
func modelPath(t testing.TB, name string) string {
	t.Helper()
	return testenv.Model(t, name)
}

// needLib skips when no ONNX Runtime library can be found.
func needLib(t testing.TB) {
	t.Helper()
	if _, err := FindLibrary(""); err != nil {
		t.Skip(err)
	}
}

func TestFindLibraryListsEveryPath(t *testing.T) {
	t.Setenv(LibraryEnv, "/nonexistent/env/libonnxruntime.so.1")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	old := systemDirs
	systemDirs = []string{"/nonexistent/sys"}
	defer func() { systemDirs = old }()
	_, err := FindLibrary("/nonexistent/explicit.so")
	if !errors.Is(err, ErrLibraryNotFound) {
		t.Fatalf("err = %v, want ErrLibraryNotFound", err)
	}
	for _, p := range []string{"/nonexistent/explicit.so", "/nonexistent/env/libonnxruntime.so.1", "/nonexistent/sys/libonnxruntime.so.1", "phantom/libonnxruntime.so.1"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error does not list %s:\n%v", p, err)
		}
	}
}

func TestFindLibraryOrder(t *testing.T) {
	dir := t.TempDir()
	explicit := filepath.Join(dir, "a.so")
	envLib := filepath.Join(dir, "b.so")
	for _, p := range []string{explicit, envLib} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(LibraryEnv, envLib)
	tests := []struct {
		explicit, want string
	}{
		{explicit, explicit},
		{"", envLib},
		{filepath.Join(dir, "missing.so"), envLib},
	}
	for _, tc := range tests {
		got, err := FindLibrary(tc.explicit)
		if err != nil || got != tc.want {
			t.Errorf("FindLibrary(%q) = %q, %v; want %q", tc.explicit, got, err, tc.want)
		}
	}
}

func TestParseDevice(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Device
		ok   bool
	}{{"", DeviceAuto, true}, {"auto", DeviceAuto, true}, {"cpu", DeviceCPU, true}, {"cuda", DeviceCUDA, true}, {"gpu", "", false}} {
		got, err := ParseDevice(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDevice(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestResolve(t *testing.T) {
	got := Signature{
		Inputs:  []TensorSpec{{Name: "images", Type: Float32, Shape: []int64{1, 3, 640, 640}}},
		Outputs: []TensorSpec{{Name: "output0", Type: Float32, Shape: []int64{1, 84, 8400}}, {Name: "aux", Type: Float32, Shape: []int64{-1, 4}}},
	}
	tests := []struct {
		name    string
		want    Signature
		errHas  []string
		outName string
	}{
		{"exact", Signature{Inputs: []TensorSpec{{Name: "images", Type: Float32, Shape: []int64{1, 3, 640, 640}}}, Outputs: []TensorSpec{{Name: "output0"}}}, nil, "output0"},
		{"positional", Signature{Inputs: []TensorSpec{{Type: Float32, Shape: []int64{1, 3, -1, -1}}}, Outputs: []TensorSpec{{Shape: []int64{1, 84, -1}}}}, nil, "output0"},
		{"dynamic dim in model", Signature{Inputs: []TensorSpec{{}}, Outputs: []TensorSpec{{Name: "aux", Shape: []int64{7, 4}}}}, nil, "aux"},
		{"wrong input name", Signature{Inputs: []TensorSpec{{Name: "input"}}}, []string{`no input named "input"`, "found    inputs: images float32 [1 3 640 640]"}, ""},
		{"wrong shape", Signature{Inputs: []TensorSpec{{Name: "images", Shape: []int64{1, 3, 320, 320}}}}, []string{"has shape [1 3 640 640], expected [1 3 320 320]"}, ""},
		{"wrong type", Signature{Inputs: []TensorSpec{{Name: "images", Type: Int64}}}, []string{"has type float32, expected int64"}, ""},
		{"input count", Signature{Inputs: []TensorSpec{{}, {}}}, []string{"expected 2 inputs, found 1"}, ""},
		{"missing output", Signature{Inputs: []TensorSpec{{}}, Outputs: []TensorSpec{{Name: "boxes"}}}, []string{`no output named "boxes"`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.want.Resolve(got)
			if tc.errHas == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Outputs) > 0 && res.Outputs[0].Name != tc.outName {
					t.Errorf("output name %q, want %q", res.Outputs[0].Name, tc.outName)
				}
				return
			}
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("err = %v, want ErrSignature", err)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q:\n%v", s, err)
				}
			}
		})
	}
}

func TestOpenRunRealModel(t *testing.T) {
	needLib(t)
	p := modelPath(t, "yunet-face.onnx")
	s, err := Open(p, Signature{
		Inputs:  []TensorSpec{{Name: "input", Type: Float32, Shape: []int64{1, 3, 640, 640}}},
		Outputs: []TensorSpec{{Name: "cls_32"}, {Name: "bbox_32"}},
	}, WithDevice(DeviceCPU), WithIntraOpThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Provider() != "cpu" {
		t.Errorf("provider %q", s.Provider())
	}
	in := make([]float32, 3*640*640)
	out, err := s.Run(context.Background(), NewFloat32([]int64{1, 3, 640, 640}, in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("%d outputs", len(out))
	}
	if f, err := out[1].Float32s(); err != nil || len(f) != 400*4 || out[1].Shape[1] != 400 {
		t.Errorf("bbox_32: shape %v, len %d, err %v", out[1].Shape, len(f), err)
	}
	// A wrong input length is an error, not a crash.
	if _, err := s.Run(context.Background(), NewFloat32([]int64{1, 3, 640, 640}, in[:10])); err == nil {
		t.Error("short input accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, NewFloat32([]int64{1, 3, 640, 640}, in)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), NewFloat32([]int64{1, 3, 640, 640}, in)); !errors.Is(err, ErrClosed) {
		t.Errorf("run after close: %v", err)
	}
}

func TestOpenWrongSignature(t *testing.T) {
	needLib(t)
	p := modelPath(t, "yunet-face.onnx")
	_, err := Open(p, Signature{Inputs: []TensorSpec{{Name: "images", Type: Float32, Shape: []int64{1, 3, 640, 640}}}}, WithDevice(DeviceCPU))
	if !errors.Is(err, ErrSignature) {
		t.Fatalf("err = %v, want ErrSignature", err)
	}
	for _, s := range []string{p, `no input named "images"`, "input float32 [1 3 640 640]"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
}

func TestOpenNotAModel(t *testing.T) {
	needLib(t)
	p := filepath.Join(t.TempDir(), "junk.onnx")
	if err := os.WriteFile(p, []byte("this is not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(p, Signature{}, WithDevice(DeviceCPU))
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v, want one naming %s", err, p)
	}
}

// TestDevices checks CUDA handling on this machine. On a machine without a
// usable CUDA provider, cuda fails with ErrCUDAUnavailable and auto falls
// back to the CPU with exactly one log line; with CUDA both run on it.
func TestDevices(t *testing.T) {
	needLib(t)
	p := modelPath(t, "yunet-face.onnx")
	sig := Signature{Inputs: []TensorSpec{{Name: "input"}}, Outputs: []TensorSpec{{Name: "cls_8"}}}
	sc, cudaErr := Open(p, sig, WithDevice(DeviceCUDA))
	if cudaErr == nil {
		defer sc.Close()
		t.Logf("CUDA available: %s", sc.Provider())
	} else {
		if !errors.Is(cudaErr, ErrCUDAUnavailable) {
			t.Fatalf("cuda: %v, want ErrCUDAUnavailable", cudaErr)
		}
		t.Logf("cuda: %v", cudaErr)
		if cudaHint(Library()) != "" && !strings.Contains(cudaErr.Error(), "a CPU-only install") {
			t.Errorf("cuda error does not say the install is CPU-only: %v", cudaErr)
		}
	}
	cuda.mu.Lock()
	cuda.logged = false
	cuda.mu.Unlock()
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	for i := 0; i < 2; i++ {
		s, err := Open(p, sig, WithDevice(DeviceAuto), WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		want := "cpu"
		if cudaErr == nil {
			want = "cuda:0"
		}
		if s.Provider() != want {
			t.Errorf("auto provider %q, want %q", s.Provider(), want)
		}
		// The options that failed CUDA still make a working session.
		if _, err := s.Run(context.Background(), NewFloat32([]int64{1, 3, 640, 640}, make([]float32, 3*640*640))); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	lines := strings.Count(logBuf.String(), "\n")
	if cudaErr != nil && lines != 1 {
		t.Errorf("auto fallback logged %d lines, want 1:\n%s", lines, logBuf.String())
	}
	if cudaErr == nil && lines != 0 {
		t.Errorf("auto with CUDA logged:\n%s", logBuf.String())
	}
}

// TestRunCancelledMidway: cancelling the context stops a run in progress
// (ONNX Runtime's terminate flag) rather than waiting for it to finish.
func TestRunCancelledMidway(t *testing.T) {
	needLib(t)
	p := modelPath(t, "yolov8n-coco.onnx")
	s, err := Open(p, Signature{Inputs: []TensorSpec{{Name: "images"}}, Outputs: []TensorSpec{{Name: "output0"}}}, WithDevice(DeviceCPU), WithIntraOpThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := NewFloat32([]int64{1, 3, 640, 640}, make([]float32, 3*640*640))
	t0 := time.Now()
	if _, err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	full := time.Since(t0)
	ctx, cancel := context.WithTimeout(context.Background(), full/10)
	defer cancel()
	t0 = time.Now()
	_, err = s.Run(ctx, in)
	took := time.Since(t0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v after %v, want DeadlineExceeded", err, took)
	}
	t.Logf("full run %v, cancelled run stopped after %v", full, took)
	if took > full*3/4 {
		t.Errorf("cancelled run took %v of a %v run", took, full)
	}
	// The session still works afterwards.
	if _, err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// TestCUDAHint: a library with no CUDA provider library beside it is named
// as a CPU-only install; one with it gets no hint (ONNX Runtime's own message
// then says what is missing).
func TestCUDAHint(t *testing.T) {
	cpu := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	gpuDir := t.TempDir()
	gpu := filepath.Join(gpuDir, "libonnxruntime.so.1")
	if err := os.WriteFile(filepath.Join(gpuDir, providerLibraryCUDA), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lib  string
		want []string
	}{
		{"", nil},
		{gpu, nil},
		{cpu, []string{cpu + " has no " + providerLibraryCUDA + " beside it (a CPU-only install)", "scripts/setup.sh --cuda", LibraryEnv}},
	}
	for _, tc := range tests {
		got := cudaHint(tc.lib)
		if tc.want == nil && got != "" {
			t.Errorf("cudaHint(%q) = %q, want none", tc.lib, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("cudaHint(%q) = %q, lacks %q", tc.lib, got, w)
			}
		}
	}
}

// TestCUDASessionFallback: with a CUDA provider that loads but a session
// that cannot be created on it (a GPU build of ONNX Runtime on a machine
// with no usable GPU), auto falls back to the CPU with one log line and cuda
// fails with ErrCUDAUnavailable.
func TestCUDASessionFallback(t *testing.T) {
	needLib(t)
	p := modelPath(t, "yunet-face.onnx")
	oldAppend, oldNew := appendProvider, newSession
	cuda.mu.Lock()
	saved := struct {
		tried, logged bool
		err           error
	}{cuda.tried, cuda.logged, cuda.err}
	cuda.tried, cuda.logged, cuda.err = false, false, nil
	cuda.mu.Unlock()
	t.Cleanup(func() {
		appendProvider, newSession = oldAppend, oldNew
		cuda.mu.Lock()
		cuda.tried, cuda.logged, cuda.err = saved.tried, saved.logged, saved.err
		cuda.mu.Unlock()
	})
	appendProvider = func(*ortgo.SessionOptions, int, bool) error { return nil }
	var cudaTries int
	newSession = func(path string, in, out []string, so *ortgo.SessionOptions, withCUDA bool) (*ortgo.DynamicAdvancedSession, error) {
		if withCUDA {
			cudaTries++
			return nil, errors.New("CUDA failure 100: no CUDA-capable device is detected")
		}
		return oldNew(path, in, out, so, withCUDA)
	}
	sig := Signature{Inputs: []TensorSpec{{Name: "input"}}, Outputs: []TensorSpec{{Name: "cls_8"}}}

	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	for i := 0; i < 2; i++ {
		s, err := Open(p, sig, WithDevice(DeviceAuto), WithLogger(logger))
		if err != nil {
			t.Fatalf("auto: %v", err)
		}
		if s.Provider() != "cpu" {
			t.Errorf("auto provider %q, want cpu", s.Provider())
		}
		s.Close()
	}
	if cudaTries != 2 {
		t.Errorf("%d CUDA sessions tried, want 2 (one per Open with this stand-in provider)", cudaTries)
	}
	if n := strings.Count(logBuf.String(), "\n"); n != 1 || !strings.Contains(logBuf.String(), "no CUDA-capable device") {
		t.Errorf("auto logged %d lines, want 1 giving the reason:\n%s", n, logBuf.String())
	}

	_, err := Open(p, sig, WithDevice(DeviceCUDA))
	if !errors.Is(err, ErrCUDAUnavailable) {
		t.Fatalf("cuda: %v, want ErrCUDAUnavailable", err)
	}
	for _, want := range []string{p, "creating a session on cuda:0", "no CUDA-capable device"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("cuda error lacks %q: %v", want, err)
		}
	}
}

// TestNoTelemetryLog: starting the environment leaves no empty
// mat-debug-<pid>.log in the temporary directory.
func TestNoTelemetryLog(t *testing.T) {
	needLib(t)
	if err := Init(""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(telemetryLog()); !os.IsNotExist(err) {
		t.Errorf("%s exists after Init (err %v)", telemetryLog(), err)
	}
}
