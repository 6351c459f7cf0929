package ort

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"
)

// ortgoHeader returns the C header bundled with the onnxruntime_go version
// this module builds with (go list finds its folder in the module cache).
func ortgoHeader(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-m", "-f", "{{.Dir}}", "github.com/yalue/onnxruntime_go").Output()
	if err != nil {
		t.Skipf("go list cannot find onnxruntime_go: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "onnxruntime_c_api.h")
}

// ortAPIMembers returns the names of struct OrtApi's members in order, read
// from header: each member is one function pointer, declared with
// ORT_API2_STATUS(Name, ...), ORT_API_T(type, Name, ...),
// ORT_CLASS_RELEASE(X) (ReleaseX) or type(ORT_API_CALL* Name)(...).
func ortAPIMembers(t *testing.T, header string) []string {
	t.Helper()
	b, err := os.ReadFile(header)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "struct OrtApi {")
	if i < 0 {
		t.Fatalf("%s: no struct OrtApi", header)
	}
	body := s[i+len("struct OrtApi {"):]
	depth, end := 1, -1
	for j, c := range body {
		if c == '{' {
			depth++
		} else if c == '}' {
			if depth--; depth == 0 {
				end = j
				break
			}
		}
	}
	if end < 0 {
		t.Fatalf("%s: struct OrtApi does not end", header)
	}
	body = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(body[:end], "")
	body = regexp.MustCompile(`//[^\n]*`).ReplaceAllString(body, "")
	status := regexp.MustCompile(`^ORT_API2_STATUS\(\s*(\w+)`)
	typed := regexp.MustCompile(`^ORT_API_T\([^,]+,\s*(\w+)`)
	release := regexp.MustCompile(`^ORT_CLASS_RELEASE\(\s*(\w+)\s*\)`)
	fnptr := regexp.MustCompile(`\(\s*ORT_API_CALL\s*\*\s*(\w+)\s*\)`)
	var names []string
	for _, m := range strings.Split(body, ";") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if strings.HasPrefix(m, "#") {
			t.Fatalf("%s: a preprocessor line inside struct OrtApi (%q): the member count would depend on it", header, m)
		}
		var name string
		for _, re := range []*regexp.Regexp{status, typed, fnptr} {
			if g := re.FindStringSubmatch(m); g != nil {
				name = g[1]
				break
			}
		}
		if g := release.FindStringSubmatch(m); name == "" && g != nil {
			name = "Release" + g[1]
		}
		if name == "" {
			t.Fatalf("%s: cannot read the OrtApi member %q", header, m)
		}
		names = append(names, name)
	}
	return names
}

// TestOrtAPIIndexes checks the shim's OrtApi indexes (epshim.h) against the
// header of the onnxruntime_go in go.mod, and that header's API version
// against the one the shim asks for: an onnxruntime_go upgrade that moves
// either fails here.
func TestOrtAPIIndexes(t *testing.T) {
	h := ortgoHeader(t)
	b, err := os.ReadFile(h)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`#define ORT_API_VERSION (\d+)`).FindSubmatch(b); m == nil || string(m[1]) != "24" {
		t.Errorf("%s: ORT_API_VERSION %q, the shim asks for %d", h, m, ortAPIVersion)
	}
	names := ortAPIMembers(t, h)
	if len(names) < 300 || names[0] != "CreateStatus" {
		t.Fatalf("read %d OrtApi members starting %v: the reader is wrong", len(names), names[:min(3, len(names))])
	}
	for name, idx := range ortAPIIndexes {
		if idx >= len(names) || names[idx] != name {
			got := "past the end"
			if idx < len(names) {
				got = names[idx]
			}
			t.Errorf("OrtApi[%d] is %s, the shim calls it as %s", idx, got, name)
		}
	}
}

// TestSessionOptionsSeam: the pointer read out of onnxruntime_go's
// SessionOptions is the OrtSessionOptions it configures (an entry set
// through onnxruntime_go reads back through the shim).
func TestSessionOptionsSeam(t *testing.T) {
	if err := checkSessionOptionsLayout(); err != nil {
		t.Fatal(err)
	}
	needLib(t)
	if err := Init(""); err != nil {
		t.Fatal(err)
	}
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer so.Destroy()
	if err := so.AddSessionConfigEntry("phantom.seam.check", "ok-7f3a"); err != nil {
		t.Fatal(err)
	}
	got, err := sessionConfigEntry(so, "phantom.seam.check")
	if err != nil || got != "ok-7f3a" {
		t.Fatalf("entry through the shim = %q, %v; want ok-7f3a", got, err)
	}
	if _, err := sessionConfigEntry(so, "phantom.seam.absent"); err == nil {
		t.Error("an absent entry read without error")
	}
}

// TestEnvIsSingleton: CreateEnv gives the shim the environment that
// onnxruntime_go created, so a plugin registered through onnxruntime_go is
// the one whose devices the shim lists.
func TestEnvIsSingleton(t *testing.T) {
	needLib(t)
	if err := Init(""); err != nil {
		t.Fatal(err)
	}
	same, err := sameEnv()
	if err != nil || !same {
		t.Fatalf("CreateEnv returned the held environment: %v, %v", same, err)
	}
}

// TestEpDevicesCPU: the real GetEpDevices lists the CPU provider's device,
// and a machine whose library has no CUDA plugin registered has no CUDA
// device to pick.
func TestEpDevicesCPU(t *testing.T) {
	needLib(t)
	if err := Init(""); err != nil {
		t.Fatal(err)
	}
	devs, err := listEpDevices()
	if err != nil {
		t.Fatal(err)
	}
	var cpu bool
	for _, d := range devs {
		t.Logf("device: %s", d)
		cpu = cpu || (d.EP == "CPUExecutionProvider" && d.Type == hwCPU)
	}
	if !cpu {
		t.Errorf("no CPUExecutionProvider cpu device among %v", devs)
	}
	ps, err := builtinProviders()
	if err != nil || len(ps) == 0 || ps[len(ps)-1] != "CPUExecutionProvider" {
		t.Errorf("built-in providers %v, %v; want a list ending with CPUExecutionProvider", ps, err)
	}
	plugin.mu.Lock()
	registered := plugin.tried && plugin.err == nil
	plugin.mu.Unlock()
	if !registered {
		if _, err := pickCUDADevice(devs, 0); err == nil {
			t.Error("a CUDA device picked with no plugin registered")
		}
	}
}
