// epshim.h: the few ONNX Runtime C API calls that onnxruntime_go does not
// wrap (plugin execution providers: GetEpDevices,
// SessionOptionsAppendExecutionProvider_V2, GetAvailableProviders), called
// through the OrtApi table of the library onnxruntime_go has already loaded.
// See epshim.c and seam.go for why and how.
#ifndef PHANTOM_EPSHIM_H
#define PHANTOM_EPSHIM_H

#include <stddef.h>
#include <stdint.h>

// Indexes into the OrtApi table (API version 24) of the entries the shim
// calls; seam_test.go checks them against onnxruntime_go's header.
enum phantom_ort_api_index {
	kGetErrorMessage = 2,
	kCreateEnv = 3,
	kReleaseEnv = 92,
	kReleaseStatus = 93,
	kGetAvailableProviders = 125,
	kReleaseAvailableProviders = 126,
	kGetSessionConfigEntry = 238,
	kGetEpDevices = 303,
	kSessionOptionsAppendExecutionProvider_V2 = 304,
	kHardwareDevice_Type = 307,
	kHardwareDevice_VendorId = 308,
	kHardwareDevice_Vendor = 309,
	kHardwareDevice_DeviceId = 310,
	kEpDevice_EpName = 312,
	kEpDevice_EpVendor = 313,
	kEpDevice_Device = 316,
};

// One OrtEpDevice as plain values. The pointer stays valid while the
// environment lives (ONNX Runtime owns it).
typedef struct {
	const void *ep_device;
	const char *ep_name;
	const char *ep_vendor;
	int hw_type;          // OrtHardwareDeviceType: 0 CPU, 1 GPU, 2 NPU
	uint32_t vendor_id;   // PCI vendor id (0x10de: NVIDIA)
	uint32_t device_id;
	const char *vendor;
} phantom_ep_device;

// phantom_ep_open finds OrtGetApiBase in the already loaded library at path
// (dlopen with RTLD_NOLOAD: it never loads a second copy), takes its OrtApi
// for api_version and the process's environment (CreateEnv returns the
// existing singleton). It returns NULL, or an error message to free().
char *phantom_ep_open(const char *path, uint32_t api_version);

// phantom_ep_env returns the environment taken by phantom_ep_open.
const void *phantom_ep_env(void);

// phantom_ep_same_env calls CreateEnv again and says whether it returned
// the environment already held (1), another one (0) or failed (-1); it
// releases the reference it took.
int phantom_ep_same_env(void);

// phantom_ep_devices fills *out (malloc'd, to free()) with *n devices.
char *phantom_ep_devices(phantom_ep_device **out, size_t *n);

// phantom_ep_append adds the execution provider of one device to the
// session options so (an OrtSessionOptions*).
char *phantom_ep_append(void *so, const void *ep_device);

// phantom_ep_config reads a session config entry of so into buf (size cap).
char *phantom_ep_config(const void *so, const char *key, char *buf, size_t cap);

// phantom_ep_providers returns the library's built-in execution providers
// as one malloc'd string, names separated by '\n'.
char *phantom_ep_providers(char **out);

// phantom_ep_loadable says whether dlopen can load name (RTLD_LAZY), and
// unloads it again; it returns NULL or dlerror()'s message (to free()).
char *phantom_ep_loadable(const char *name);

#endif
