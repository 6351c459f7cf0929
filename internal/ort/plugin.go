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

// CUDADir is the folder of phantom's cache directory where
// scripts/setup.sh --cuda puts the GPU build of ONNX Runtime: the 1.29 core
// library of npm's com.github.asus4.onnxruntime and the CUDA plugin
// execution provider of com.github.asus4.onnxruntime.linux-x64-gpu.
const CUDADir = "ort-cuda"

// cudaEP is the name the CUDA plugin library gives its execution provider.
const cudaEP = "CUDAExecutionProvider"

// vendorNVIDIA is NVIDIA's PCI vendor id.
const vendorNVIDIA = 0x10de

// cudaRuntimeLibs are the libraries the npm CUDA plugin needs from the
// machine (its NEEDED entries outside glibc, and cuDNN, which it loads when
// a session starts): CUDA 13 and cuDNN 9, with the driver's libcuda.
var cudaRuntimeLibs = []string{"libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"}

// ErrNoCUDADevice is returned (wrapped, beside ErrCUDAUnavailable) when the
// CUDA plugin is registered but lists no NVIDIA GPU, or not the one asked
// for.
var ErrNoCUDADevice = errors.New("no NVIDIA GPU device")

// plugin remembers the registration of the CUDA plugin library: once per
// process, whatever its outcome.
var plugin struct {
	mu    sync.Mutex
	tried bool
	path  string
	err   error
}

// cudaPluginPath returns the CUDA plugin library beside the core library
// lib, or "" when there is none. A plugin is only used with the core library
// it was built with, which sits in the same folder.
func cudaPluginPath(lib string) string {
	if lib == "" {
		return ""
	}
	p := filepath.Join(filepath.Dir(lib), providerLibraryCUDA)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}

// missingCUDALibs returns those of cudaRuntimeLibs that the dynamic loader
// cannot load.
func missingCUDALibs() []string {
	var miss []string
	for _, l := range cudaRuntimeLibs {
		if loadable(l) != nil {
			miss = append(miss, l)
		}
	}
	return miss
}

// registerCUDAPlugin registers the CUDA plugin library at path with the
// environment, once per process; later calls return the first outcome. A
// failure wraps ErrCUDAUnavailable and names the CUDA libraries the loader
// cannot find, the usual cause (the plugin links CUDA 13 and cuBLAS, so
// ONNX Runtime's dlopen of it fails without them).
func registerCUDAPlugin(path string) error {
	plugin.mu.Lock()
	defer plugin.mu.Unlock()
	if plugin.tried {
		if plugin.path != path {
			return fmt.Errorf("%w: CUDA plugin %s already registered, not %s", ErrCUDAUnavailable, plugin.path, path)
		}
		return plugin.err
	}
	plugin.tried, plugin.path = true, path
	if err := ortgo.RegisterExecutionProviderLibrary("phantom-cuda", path); err != nil {
		hint := ""
		if miss := missingCUDALibs(); len(miss) > 0 {
			hint = fmt.Sprintf("the CUDA runtime libraries are not on the loader path (missing %s; the plugin needs CUDA 13 and cuDNN 9 with the NVIDIA driver): ", strings.Join(miss, ", "))
		}
		plugin.err = fmt.Errorf("%w: registering the CUDA plugin %s: %s%v", ErrCUDAUnavailable, path, hint, err)
	}
	return plugin.err
}

// pickCUDADevice returns the id-th NVIDIA GPU that the CUDA execution
// provider lists in devs (GetEpDevices order, which is the CUDA device
// order: the plugin enumerates its devices with the CUDA runtime). A device
// of another provider (the CPU one, WebGPU, TensorRT) or of another kind is
// not a CUDA device. The error wraps ErrNoCUDADevice and lists what was
// seen.
func pickCUDADevice(devs []epDevice, id int) (epDevice, error) {
	var gpus []epDevice
	for _, d := range devs {
		if d.EP == cudaEP && d.Type == hwGPU && (d.VendorID == vendorNVIDIA || d.VendorID == 0) {
			gpus = append(gpus, d)
		}
	}
	if id >= 0 && id < len(gpus) {
		return gpus[id], nil
	}
	seen := make([]string, len(devs))
	for i, d := range devs {
		seen[i] = d.String()
	}
	if len(seen) == 0 {
		seen = []string{"none"}
	}
	if len(gpus) == 0 {
		return epDevice{}, fmt.Errorf("%w: the CUDA plugin found none (devices seen: %s)", ErrNoCUDADevice, strings.Join(seen, "; "))
	}
	return epDevice{}, fmt.Errorf("%w cuda:%d: the CUDA plugin found %d (devices seen: %s)", ErrNoCUDADevice, id, len(gpus), strings.Join(seen, "; "))
}

// appendPluginCUDA registers the plugin at path (once), finds the NVIDIA
// device id and appends it to so. Every failure wraps ErrCUDAUnavailable.
func appendPluginCUDA(so *ortgo.SessionOptions, path string, id int) error {
	if err := registerCUDAPlugin(path); err != nil {
		return err
	}
	devs, err := listEpDevices()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCUDAUnavailable, err)
	}
	d, err := pickCUDADevice(devs, id)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCUDAUnavailable, err)
	}
	if err := appendEpDevice(so, d); err != nil {
		return fmt.Errorf("%w: %v", ErrCUDAUnavailable, err)
	}
	return nil
}

// hasBuiltinCUDA says whether the loaded library has the CUDA provider
// compiled in (a full GPU build, as in the onnxruntime-gpu wheel), which is
// added with AppendExecutionProviderCUDA rather than as a plugin.
func hasBuiltinCUDA() bool {
	ps, err := builtinProviders()
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p == cudaEP {
			return true
		}
	}
	return false
}

// cudaDirLibrary returns the core library of the cache's CUDADir.
func cudaDirLibrary() string { return cachedir.Path(CUDADir, LibraryName) }
