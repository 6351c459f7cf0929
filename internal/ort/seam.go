package ort

// The seam to ONNX Runtime's plugin execution provider API.
//
// onnxruntime_go v1.27 wraps RegisterExecutionProviderLibrary but not the
// calls that pick a plugin's device and add it to a session
// (GetEpDevices, SessionOptionsAppendExecutionProvider_V2), and it keeps the
// two C pointers those calls need, its OrtEnv and each OrtSessionOptions,
// unexported. The generic SessionOptions.AppendExecutionProvider(name) is no
// way round: ONNX Runtime 1.29 checks the name against a fixed list of
// built-in providers and answers "Unknown provider name
// 'CUDAExecutionProvider'" (tried here with the npm 1.29 library). So this
// file reaches the two pointers as follows, each checked by a test in
// seam_test.go that fails if an onnxruntime_go upgrade breaks it:
//
//   - OrtApi: epshim.c looks up OrtGetApiBase in the library onnxruntime_go
//     loaded (dlopen with RTLD_NOLOAD, so never a second copy) and calls its
//     table by index; TestOrtAPIIndexes checks each index against the header
//     bundled with the onnxruntime_go version in go.mod.
//   - OrtEnv: ONNX Runtime keeps one environment per process, and CreateEnv
//     returns it when it exists (OrtEnv::GetOrCreateInstance in
//     onnxruntime/core/session/ort_env.cc only counts another reference).
//     epshim.c takes that reference once and never releases it: the
//     environment lives as long as the process, as phantom never destroys
//     it. TestEnvIsSingleton checks that two CreateEnv calls give one
//     pointer.
//   - OrtSessionOptions: sessionOptionsPtr reads the one field of
//     onnxruntime_go's SessionOptions, after checkSessionOptionsLayout has
//     checked by reflection that the struct still is one pointer to
//     C.OrtSessionOptions; it returns an error, not a crash, when it is not.
//     TestSessionOptionsSeam sets a config entry through onnxruntime_go and
//     reads it back through the extracted pointer.

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "epshim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	ortgo "github.com/yalue/onnxruntime_go"
)

// ortAPIVersion is the OrtApi version the shim asks for: the
// ORT_API_VERSION of onnxruntime_go v1.27's header (ONNX Runtime 1.24),
// which every later library also offers.
const ortAPIVersion = 24

// Hardware device types (OrtHardwareDeviceType).
const (
	hwCPU = 0
	hwGPU = 1
	hwNPU = 2
)

// epDevice is one OrtEpDevice: an execution provider and a device it can
// run on, as GetEpDevices lists them.
type epDevice struct {
	EP       string // execution provider name, e.g. "CUDAExecutionProvider"
	EPVendor string
	Type     int    // hwCPU, hwGPU or hwNPU
	VendorID uint32 // PCI vendor id, 0x10de for NVIDIA
	DeviceID uint32
	Vendor   string
	ptr      unsafe.Pointer // the OrtEpDevice, owned by ONNX Runtime
}

// String describes d in one phrase, e.g. "CUDAExecutionProvider on gpu
// NVIDIA (0x10de:0x2335)".
func (d epDevice) String() string {
	return fmt.Sprintf("%s on %s %s (%#04x:%#04x)", d.EP, hwKind(d.Type), d.Vendor, d.VendorID, d.DeviceID)
}

// hwKind names a hardware device type: "cpu", "gpu", "npu" or "unknown".
func hwKind(t int) string {
	switch t {
	case hwCPU:
		return "cpu"
	case hwGPU:
		return "gpu"
	case hwNPU:
		return "npu"
	}
	return "unknown"
}

var shim struct {
	mu     sync.Mutex
	opened bool
}

// cErr turns a message from the shim into an error, freeing it.
func cErr(msg *C.char) error {
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// openShim binds the shim to the loaded library and the environment, once
// (after Init).
func openShim() error {
	shim.mu.Lock()
	defer shim.mu.Unlock()
	if shim.opened {
		return nil
	}
	lib := Library()
	if lib == "" {
		return errors.New("ort: ONNX Runtime not started")
	}
	p := C.CString(lib)
	defer C.free(unsafe.Pointer(p))
	if err := cErr(C.phantom_ep_open(p, ortAPIVersion)); err != nil {
		return fmt.Errorf("ort: ONNX Runtime API of %s: %w", lib, err)
	}
	shim.opened = true
	return nil
}

// ortAPIIndexes are the OrtApi entries the shim calls, by name, at their
// index in the table (epshim.h); TestOrtAPIIndexes checks them.
var ortAPIIndexes = map[string]int{
	"GetErrorMessage":                          C.kGetErrorMessage,
	"CreateEnv":                                C.kCreateEnv,
	"ReleaseEnv":                               C.kReleaseEnv,
	"ReleaseStatus":                            C.kReleaseStatus,
	"GetAvailableProviders":                    C.kGetAvailableProviders,
	"ReleaseAvailableProviders":                C.kReleaseAvailableProviders,
	"GetSessionConfigEntry":                    C.kGetSessionConfigEntry,
	"GetEpDevices":                             C.kGetEpDevices,
	"SessionOptionsAppendExecutionProvider_V2": C.kSessionOptionsAppendExecutionProvider_V2,
	"HardwareDevice_Type":                      C.kHardwareDevice_Type,
	"HardwareDevice_VendorId":                  C.kHardwareDevice_VendorId,
	"HardwareDevice_Vendor":                    C.kHardwareDevice_Vendor,
	"HardwareDevice_DeviceId":                  C.kHardwareDevice_DeviceId,
	"EpDevice_EpName":                          C.kEpDevice_EpName,
	"EpDevice_EpVendor":                        C.kEpDevice_EpVendor,
	"EpDevice_Device":                          C.kEpDevice_Device,
}

// sameEnv says whether CreateEnv returns the environment the shim holds
// (ONNX Runtime's singleton), for the seam test.
func sameEnv() (bool, error) {
	if err := openShim(); err != nil {
		return false, err
	}
	switch C.phantom_ep_same_env() {
	case 1:
		return true, nil
	case 0:
		return false, nil
	}
	return false, errors.New("ort: CreateEnv failed")
}

// listEpDevices returns every OrtEpDevice of the environment: the CPU
// provider's and those of each registered plugin library.
func listEpDevices() ([]epDevice, error) {
	if err := openShim(); err != nil {
		return nil, err
	}
	var arr *C.phantom_ep_device
	var n C.size_t
	if err := cErr(C.phantom_ep_devices(&arr, &n)); err != nil {
		return nil, fmt.Errorf("ort: GetEpDevices: %w", err)
	}
	defer C.free(unsafe.Pointer(arr))
	out := make([]epDevice, 0, int(n))
	for _, d := range unsafe.Slice(arr, int(n)) {
		out = append(out, epDevice{
			EP:       C.GoString(d.ep_name),
			EPVendor: C.GoString(d.ep_vendor),
			Type:     int(d.hw_type),
			VendorID: uint32(d.vendor_id),
			DeviceID: uint32(d.device_id),
			Vendor:   C.GoString(d.vendor),
			ptr:      unsafe.Pointer(d.ep_device),
		})
	}
	return out, nil
}

// builtinProviders returns the execution providers compiled into the loaded
// library (GetAvailableProviders), e.g. [CPUExecutionProvider] for a CPU
// build; plugin providers are not among them.
func builtinProviders() ([]string, error) {
	if err := openShim(); err != nil {
		return nil, err
	}
	var s *C.char
	if err := cErr(C.phantom_ep_providers(&s)); err != nil {
		return nil, fmt.Errorf("ort: GetAvailableProviders: %w", err)
	}
	defer C.free(unsafe.Pointer(s))
	if C.GoString(s) == "" {
		return nil, nil
	}
	return strings.Split(C.GoString(s), "\n"), nil
}

// checkSessionOptionsLayout checks that onnxruntime_go's SessionOptions is
// still a struct of one field, a pointer to C.OrtSessionOptions, at offset
// 0: what sessionOptionsPtr reads.
func checkSessionOptionsLayout() error {
	t := reflect.TypeFor[ortgo.SessionOptions]()
	if t.NumField() != 1 {
		return fmt.Errorf("ort: onnxruntime_go's SessionOptions has %d fields, the seam expects 1 (see seam.go)", t.NumField())
	}
	f := t.Field(0)
	if f.Offset != 0 || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "OrtSessionOptions") {
		return fmt.Errorf("ort: onnxruntime_go's SessionOptions field is %s %v at offset %d, the seam expects a *C.OrtSessionOptions at 0 (see seam.go)", f.Name, f.Type, f.Offset)
	}
	return nil
}

// sessionOptionsPtr returns the OrtSessionOptions pointer inside so.
func sessionOptionsPtr(so *ortgo.SessionOptions) (unsafe.Pointer, error) {
	if err := checkSessionOptionsLayout(); err != nil {
		return nil, err
	}
	p := *(*unsafe.Pointer)(unsafe.Pointer(so))
	if p == nil {
		return nil, errors.New("ort: session options already destroyed")
	}
	return p, nil
}

// appendEpDevice adds d's execution provider to so
// (SessionOptionsAppendExecutionProvider_V2).
func appendEpDevice(so *ortgo.SessionOptions, d epDevice) error {
	p, err := sessionOptionsPtr(so)
	if err != nil {
		return err
	}
	if err := openShim(); err != nil {
		return err
	}
	if err := cErr(C.phantom_ep_append(p, d.ptr)); err != nil {
		return fmt.Errorf("ort: adding %s to the session options: %w", d, err)
	}
	return nil
}

// sessionConfigEntry reads a session config entry through the shim (for the
// seam test).
func sessionConfigEntry(so *ortgo.SessionOptions, key string) (string, error) {
	p, err := sessionOptionsPtr(so)
	if err != nil {
		return "", err
	}
	if err := openShim(); err != nil {
		return "", err
	}
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	buf := make([]byte, 256)
	if err := cErr(C.phantom_ep_config(p, k, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))); err != nil {
		return "", err
	}
	return C.GoString((*C.char)(unsafe.Pointer(&buf[0]))), nil
}

// loadable reports whether the dynamic loader can load the named library,
// with dlerror's message when it cannot.
func loadable(name string) error {
	p := C.CString(name)
	defer C.free(unsafe.Pointer(p))
	return cErr(C.phantom_ep_loadable(p))
}
