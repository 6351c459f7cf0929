package ort

import (
	"errors"
	"fmt"

	ortgo "github.com/yalue/onnxruntime_go"
)

// EPDevice is one device that an execution provider of the loaded library
// can run on (ONNX Runtime's OrtEpDevice).
type EPDevice struct {
	// Provider is the execution provider's name, e.g. "CUDAExecutionProvider".
	Provider string `json:"provider"`
	// Kind is "cpu", "gpu", "npu" or "unknown".
	Kind string `json:"kind"`
	// Vendor is the hardware vendor's name, VendorID its PCI id (0x10de for
	// NVIDIA) and DeviceID the device's.
	Vendor   string `json:"vendor"`
	VendorID uint32 `json:"vendor_id"`
	DeviceID uint32 `json:"device_id"`
}

// Report says which ONNX Runtime library the process loaded and what it can
// run on; phantom doctor prints it.
type Report struct {
	// Library is the loaded library's path, Version its version.
	Library string `json:"library"`
	Version string `json:"version"`
	// Providers are the execution providers compiled into the library
	// (CPUExecutionProvider alone for a CPU build).
	Providers []string `json:"providers"`
	// CUDAPlugin is the CUDA plugin library beside Library ("" when there is
	// none); PluginError is why it could not be registered.
	CUDAPlugin  string `json:"cuda_plugin,omitempty"`
	PluginError string `json:"cuda_plugin_error,omitempty"`
	// MissingCUDA lists the CUDA 13 / cuDNN 9 libraries the dynamic loader
	// cannot load (checked for auto and cuda only).
	MissingCUDA []string `json:"missing_cuda_libraries,omitempty"`
	// Devices are every execution provider's devices (GetEpDevices, after
	// the plugin's registration); GPUs are those of kind gpu.
	Devices []EPDevice `json:"devices"`
	GPUs    []EPDevice `json:"gpus"`
	// CUDA is "cuda:N" when a session on that CUDA device can be set up, and
	// CUDAError why not.
	CUDA      string `json:"cuda,omitempty"`
	CUDAError string `json:"cuda_error,omitempty"`
}

// Probe starts the environment as a session on device d would
// (InitDevice(library, d)) and reports what it loaded and found. For auto
// and cuda it also registers the CUDA plugin, when the library has one, and
// adds the CUDA provider of device cudaID to a session's options, as Open
// does (the outcome is remembered for the process, as Open's is).
func Probe(library string, d Device, cudaID int) (Report, error) {
	if _, err := ParseDevice(string(d)); err != nil {
		return Report{}, err
	}
	if err := InitDevice(library, d); err != nil {
		return Report{}, err
	}
	r := Report{Library: Library(), Version: ortgo.GetVersion(), CUDAPlugin: cudaPluginPath(Library())}
	var err error
	if r.Providers, err = builtinProviders(); err != nil {
		return r, err
	}
	if d != DeviceCPU {
		r.MissingCUDA = missingCUDALibs()
		if r.CUDAPlugin != "" && !hasBuiltinCUDA() {
			if err := registerCUDAPlugin(r.CUDAPlugin); err != nil {
				r.PluginError = err.Error()
			}
		}
		so, err := ortgo.NewSessionOptions()
		if err != nil {
			return r, fmt.Errorf("ort: session options: %w", err)
		}
		if err := appendCUDA(so, cudaID, true); err != nil {
			r.CUDAError = err.Error()
		} else {
			r.CUDA = fmt.Sprintf("cuda:%d", cudaID)
		}
		so.Destroy()
	}
	devs, err := listEpDevices()
	if err != nil {
		return r, err
	}
	for _, dv := range devs {
		e := EPDevice{Provider: dv.EP, Kind: hwKind(dv.Type), Vendor: dv.Vendor, VendorID: dv.VendorID, DeviceID: dv.DeviceID}
		r.Devices = append(r.Devices, e)
		if dv.Type == hwGPU {
			r.GPUs = append(r.GPUs, e)
		}
	}
	if d == DeviceCUDA && r.CUDAError != "" {
		return r, errors.New(r.CUDAError)
	}
	return r, nil
}
