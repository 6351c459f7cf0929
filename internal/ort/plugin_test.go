package ort

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/cachedir"
)

func TestPickCUDADevice(t *testing.T) {
	cpu := epDevice{EP: "CPUExecutionProvider", Type: hwCPU, VendorID: 0x1022, Vendor: "AMD"}
	gpu0 := epDevice{EP: cudaEP, Type: hwGPU, VendorID: vendorNVIDIA, DeviceID: 0x2335, Vendor: "NVIDIA"}
	gpu1 := epDevice{EP: cudaEP, Type: hwGPU, VendorID: vendorNVIDIA, DeviceID: 0x2330, Vendor: "NVIDIA"}
	webgpu := epDevice{EP: "WebGpuExecutionProvider", Type: hwGPU, VendorID: vendorNVIDIA, Vendor: "NVIDIA"}
	trt := epDevice{EP: "TensorrtExecutionProvider", Type: hwGPU, VendorID: vendorNVIDIA, Vendor: "NVIDIA"}
	cudaOnCPU := epDevice{EP: cudaEP, Type: hwCPU, VendorID: 0x1022}
	amdGPU := epDevice{EP: cudaEP, Type: hwGPU, VendorID: 0x1002, Vendor: "AMD"}
	tests := []struct {
		name    string
		devs    []epDevice
		id      int
		want    epDevice
		errHas  []string
		wantErr bool
	}{
		{"none", nil, 0, epDevice{}, []string{"found none", "devices seen: none"}, true},
		{"cpu only", []epDevice{cpu}, 0, epDevice{}, []string{"found none", "CPUExecutionProvider on cpu AMD"}, true},
		{"one gpu", []epDevice{cpu, gpu0}, 0, gpu0, nil, false},
		{"second gpu", []epDevice{cpu, gpu0, gpu1}, 1, gpu1, nil, false},
		{"id past the end", []epDevice{cpu, gpu0}, 1, epDevice{}, []string{"cuda:1", "found 1"}, true},
		{"negative id", []epDevice{gpu0}, -1, epDevice{}, []string{"cuda:-1"}, true},
		{"other providers' gpus", []epDevice{cpu, webgpu, trt}, 0, epDevice{}, []string{"found none", "WebGpuExecutionProvider on gpu"}, true},
		{"cuda provider on a cpu device", []epDevice{cudaOnCPU}, 0, epDevice{}, []string{"found none"}, true},
		{"not nvidia", []epDevice{amdGPU}, 0, epDevice{}, []string{"found none"}, true},
		{"gpus after others", []epDevice{webgpu, gpu1, cpu, gpu0}, 1, gpu0, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickCUDADevice(tc.devs, tc.id)
			if tc.wantErr {
				if !errors.Is(err, ErrNoCUDADevice) {
					t.Fatalf("err = %v, want ErrNoCUDADevice", err)
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error lacks %q: %v", s, err)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestLibraryCandidatesCUDADir: auto and cuda look in the cache's ort-cuda
// folder before the CPU library; cpu never does; PHANTOM_ORT_LIB comes first.
func TestLibraryCandidatesCUDADir(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	gpuLib := cachedir.Path(CUDADir, LibraryName)
	cpuLib := cachedir.Path(LibraryName)
	for _, p := range []string{gpuLib, cpuLib} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		d    Device
		want string
	}{{DeviceAuto, gpuLib}, {DeviceCUDA, gpuLib}, {DeviceCPU, cpuLib}} {
		if got, err := FindLibraryFor("", tc.d); err != nil || got != tc.want {
			t.Errorf("FindLibraryFor(%s) = %q, %v; want %q", tc.d, got, err, tc.want)
		}
	}
	envLib := filepath.Join(dir, "mine.so")
	if err := os.WriteFile(envLib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(LibraryEnv, envLib)
	if got, _ := FindLibraryFor("", DeviceCUDA); got != envLib {
		t.Errorf("with %s set, cuda loads %q", LibraryEnv, got)
	}
}

// cudaBuild returns the core library of the GPU build that
// scripts/setup.sh --cuda lays out (or the one $PHANTOM_ORT_LIB names, when
// a CUDA plugin sits beside it), or skips when there is none.
func cudaBuild(t *testing.T) string {
	t.Helper()
	for _, lib := range []string{os.Getenv(LibraryEnv), cudaDirLibrary()} {
		if lib != "" && cudaPluginPath(lib) != "" {
			if _, err := os.Stat(lib); err == nil {
				return lib
			}
		}
	}
	t.Skipf("no GPU build of ONNX Runtime with its CUDA plugin (%s, %s); run scripts/setup.sh --cuda", cudaDirLibrary(), providerLibraryCUDA)
	return ""
}

const childEnv = "PHANTOM_ORT_CUDA_CHILD"

// TestCUDAPlugin runs TestCUDAPluginChild in a process of its own that
// loads the GPU build's core library (the environment, and so the library,
// is one per process): the plugin path end to end, as phantom --device
// auto|cuda takes it.
func TestCUDAPlugin(t *testing.T) {
	lib := cudaBuild(t)
	modelPath(t, "yunet-face.onnx")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCUDAPluginChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), LibraryEnv+"="+lib, childEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child (%s=%s):\n%s", LibraryEnv, lib, out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestCUDAPluginChild")) {
		t.Fatal("the child test did not run")
	}
}

// gpuPresent says whether the machine has an NVIDIA GPU device node.
func gpuPresent() bool {
	_, err := os.Stat("/dev/nvidia0")
	return err == nil
}

// TestCUDAPluginChild: with the GPU build's core library loaded, the CUDA
// plugin registers or fails naming the CUDA libraries that are missing; on a
// machine with the libraries and an NVIDIA GPU, cuda runs a model on it and
// auto takes it silently; otherwise cuda fails with ErrCUDAUnavailable
// saying why, and auto falls back to the CPU with one log line.
func TestCUDAPluginChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestCUDAPlugin")
	}
	p := modelPath(t, "yunet-face.onnx")
	if err := InitDevice("", DeviceCUDA); err != nil {
		t.Fatal(err)
	}
	v, _ := Version()
	t.Logf("library %s, ONNX Runtime %s", Library(), v)
	if Library() != os.Getenv(LibraryEnv) {
		t.Fatalf("loaded %s, want %s", Library(), os.Getenv(LibraryEnv))
	}
	plug := cudaPluginPath(Library())
	if hasBuiltinCUDA() {
		t.Skip("a full GPU build: the classic CUDA provider is used, not the plugin")
	}
	miss := missingCUDALibs()
	t.Logf("CUDA libraries missing: %v; GPU device node: %v", miss, gpuPresent())
	regErr := registerCUDAPlugin(plug)
	if len(miss) > 0 {
		// The plugin links the CUDA libraries: ONNX Runtime cannot load it
		// without them, and the error says which are missing.
		if !errors.Is(regErr, ErrCUDAUnavailable) {
			t.Fatalf("registration with %v missing: %v, want ErrCUDAUnavailable", miss, regErr)
		}
		for _, want := range append([]string{plug, "not on the loader path"}, miss...) {
			if !strings.Contains(regErr.Error(), want) {
				t.Errorf("registration error lacks %q: %v", want, regErr)
			}
		}
	} else if regErr != nil {
		t.Fatalf("registration with every CUDA library present: %v", regErr)
	}
	devs, err := listEpDevices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		t.Logf("device: %s", d)
	}
	_, pickErr := pickCUDADevice(devs, 0)
	wantGPU := len(miss) == 0 && gpuPresent()
	if wantGPU && pickErr != nil {
		t.Fatalf("libraries and a GPU present, but: %v", pickErr)
	}
	if !wantGPU && pickErr == nil {
		t.Fatalf("a CUDA device listed with libraries missing (%v) or no GPU", miss)
	}

	sig := Signature{Inputs: []TensorSpec{{Name: "input"}}, Outputs: []TensorSpec{{Name: "cls_8"}}}
	in := NewFloat32([]int64{1, 3, 640, 640}, make([]float32, 3*640*640))
	s, err := Open(p, sig, WithDevice(DeviceCUDA))
	if wantGPU {
		if err != nil {
			t.Fatalf("cuda: %v", err)
		}
		if _, err := s.Run(context.Background(), in); err != nil {
			t.Fatalf("run on cuda: %v", err)
		}
		s.Close()
	} else {
		if !errors.Is(err, ErrCUDAUnavailable) {
			t.Fatalf("cuda: %v, want ErrCUDAUnavailable", err)
		}
		reason := "no NVIDIA GPU device"
		if len(miss) > 0 {
			reason = miss[0]
		}
		if !strings.Contains(err.Error(), reason) {
			t.Errorf("cuda error does not say %q: %v", reason, err)
		}
		t.Logf("cuda: %v", err)
	}

	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	for range 2 {
		s, err := Open(p, sig, WithDevice(DeviceAuto), WithLogger(logger))
		if err != nil {
			t.Fatalf("auto: %v", err)
		}
		want := "cpu"
		if wantGPU {
			want = "cuda:0"
		}
		if s.Provider() != want {
			t.Errorf("auto provider %q, want %q", s.Provider(), want)
		}
		if _, err := s.Run(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	lines := strings.Count(logBuf.String(), "\n")
	if !wantGPU && lines != 1 {
		t.Errorf("auto fallback logged %d lines, want 1:\n%s", lines, logBuf.String())
	}
	if wantGPU && lines != 0 {
		t.Errorf("auto on the GPU logged:\n%s", logBuf.String())
	}
	t.Logf("auto: %s", strings.TrimSpace(logBuf.String()))
}
