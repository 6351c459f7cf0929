package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/ort"
)

// TestDoctor runs phantom doctor on this machine's libraries: the CPU one
// for --device cpu, and for --device cuda the GPU build of
// scripts/setup.sh --cuda when it is in the cache (else the CPU one, which
// has no CUDA). On a machine without a usable GPU, cuda exits 1 and says
// why. It runs phantom in subprocesses: a process loads one ONNX Runtime
// library, and each --device must load its own.
func TestDoctor(t *testing.T) {
	if _, err := ort.FindLibrary(""); err != nil {
		t.Skip(err)
	}
	run := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		c := phantomCmd(append([]string{"doctor"}, args...)...)
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		return out.String(), errb.String(), err
	}
	stdout, stderr, err := run("--device", "cpu")
	if err != nil {
		t.Fatalf("doctor --device cpu: %v\n%s", err, stderr)
	}
	for _, want := range []string{"ONNX Runtime library: ", "version:", "CPUExecutionProvider", "devices:\n  CPUExecutionProvider on cpu", "CUDA:                 not tried"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("doctor --device cpu lacks %q:\n%s", want, stdout)
		}
	}

	stdout, stderr, err = run("--device", "cuda", "--json")
	var r ort.Report
	if jerr := json.Unmarshal([]byte(stdout), &r); jerr != nil {
		t.Fatalf("doctor --json: %v\n%s%s", jerr, stdout, stderr)
	}
	t.Logf("doctor --device cuda: %+v", r)
	want, _ := ort.FindLibraryFor("", ort.DeviceCUDA)
	if r.Library != want {
		t.Errorf("cuda loaded %s, want %s", r.Library, want)
	}
	if filepath.Dir(r.Library) == filepath.Dir(want) && r.Version == "" {
		t.Error("no version")
	}
	if r.CUDA == "" {
		if err == nil || r.CUDAError == "" || !strings.Contains(stderr, r.CUDAError) {
			t.Errorf("cuda unavailable, but exit %v, reason %q, stderr %q", err, r.CUDAError, stderr)
		}
	} else if err != nil || len(r.GPUs) == 0 {
		t.Errorf("cuda %s, exit %v, GPUs %v", r.CUDA, err, r.GPUs)
	}
	if r.CUDAPlugin != "" && len(r.MissingCUDA) > 0 && !strings.Contains(r.PluginError, r.MissingCUDA[0]) {
		t.Errorf("plugin error %q does not name the missing %s", r.PluginError, r.MissingCUDA[0])
	}
	if _, err := os.Stat(r.Library); err != nil {
		t.Error(err)
	}
}
