// epshim.c: see epshim.h. The OrtApi table is a struct of function pointers
// that ONNX Runtime only ever appends to (its ABI promise: a given
// api_version's entries never move), so an entry is reached by its index in
// the table; seam_test.go checks every index below against the header that
// the onnxruntime_go version in go.mod is built with.
#include "epshim.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct OrtStatus OrtStatus;


typedef struct {
	const void *(*GetApi)(uint32_t version);
	const char *(*GetVersionString)(void);
} api_base;

static void *const *api;
static void *env;

#define FN(idx, type) ((type)(api[idx]))

static char *take_status(OrtStatus *st) {
	if (st == NULL) return NULL;
	const char *msg = FN(kGetErrorMessage, const char *(*)(const OrtStatus *))(st);
	char *out = strdup(msg ? msg : "unknown ONNX Runtime error");
	FN(kReleaseStatus, void (*)(OrtStatus *))(st);
	return out;
}

static char *errorf(const char *what, const char *detail) {
	size_t n = strlen(what) + (detail ? strlen(detail) : 0) + 3;
	char *s = malloc(n);
	snprintf(s, n, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
	return s;
}

char *phantom_ep_open(const char *path, uint32_t api_version) {
	if (api != NULL) return NULL;
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL) return errorf("ONNX Runtime library not loaded", dlerror());
	const api_base *(*get_base)(void) = (const api_base *(*)(void))dlsym(h, "OrtGetApiBase");
	// The handle came from RTLD_NOLOAD: closing it drops only this reference.
	dlclose(h);
	if (get_base == NULL) return errorf("no OrtGetApiBase", dlerror());
	const void *a = get_base()->GetApi(api_version);
	if (a == NULL) return errorf("the library does not offer the ONNX Runtime API version phantom needs", NULL);
	api = (void *const *)a;
	OrtStatus *st = FN(kCreateEnv, OrtStatus *(*)(int, const char *, void **))(4, "phantom", &env);
	if (st != NULL) {
		char *e = take_status(st);
		api = NULL;
		return e;
	}
	return NULL;
}

const void *phantom_ep_env(void) { return env; }

int phantom_ep_same_env(void) {
	void *again = NULL;
	OrtStatus *st = FN(kCreateEnv, OrtStatus *(*)(int, const char *, void **))(4, "phantom", &again);
	if (st != NULL) {
		free(take_status(st));
		return -1;
	}
	int same = again == env;
	FN(kReleaseEnv, void (*)(void *))(again);
	return same;
}

char *phantom_ep_devices(phantom_ep_device **out, size_t *n) {
	const void *const *devs = NULL;
	size_t count = 0;
	char *e = take_status(FN(kGetEpDevices, OrtStatus *(*)(const void *, const void *const **, size_t *))(env, &devs, &count));
	if (e != NULL) return e;
	*out = calloc(count ? count : 1, sizeof(phantom_ep_device));
	*n = count;
	for (size_t i = 0; i < count; i++) {
		phantom_ep_device *d = &(*out)[i];
		d->ep_device = devs[i];
		d->ep_name = FN(kEpDevice_EpName, const char *(*)(const void *))(devs[i]);
		d->ep_vendor = FN(kEpDevice_EpVendor, const char *(*)(const void *))(devs[i]);
		const void *hw = FN(kEpDevice_Device, const void *(*)(const void *))(devs[i]);
		d->hw_type = FN(kHardwareDevice_Type, int (*)(const void *))(hw);
		d->vendor_id = FN(kHardwareDevice_VendorId, uint32_t (*)(const void *))(hw);
		d->device_id = FN(kHardwareDevice_DeviceId, uint32_t (*)(const void *))(hw);
		d->vendor = FN(kHardwareDevice_Vendor, const char *(*)(const void *))(hw);
	}
	return NULL;
}

char *phantom_ep_append(void *so, const void *ep_device) {
	const void *devs[1] = {ep_device};
	return take_status(FN(kSessionOptionsAppendExecutionProvider_V2,
	                      OrtStatus *(*)(void *, void *, const void *const *, size_t, const char *const *, const char *const *, size_t))(
	    so, env, devs, 1, NULL, NULL, 0));
}

char *phantom_ep_config(const void *so, const char *key, char *buf, size_t cap) {
	size_t size = cap;
	return take_status(FN(kGetSessionConfigEntry, OrtStatus *(*)(const void *, const char *, char *, size_t *))(so, key, buf, &size));
}

char *phantom_ep_providers(char **out) {
	char **names = NULL;
	int n = 0;
	char *e = take_status(FN(kGetAvailableProviders, OrtStatus *(*)(char ***, int *))(&names, &n));
	if (e != NULL) return e;
	size_t len = 1;
	for (int i = 0; i < n; i++) len += strlen(names[i]) + 1;
	char *s = calloc(len, 1);
	for (int i = 0; i < n; i++) {
		if (i > 0) strcat(s, "\n");
		strcat(s, names[i]);
	}
	*out = s;
	return take_status(FN(kReleaseAvailableProviders, OrtStatus *(*)(char **, int))(names, n));
}

char *phantom_ep_loadable(const char *name) {
	void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) return strdup(dlerror());
	dlclose(h);
	return NULL;
}
