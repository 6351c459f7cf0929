package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestModelsFetch runs "phantom models fetch" against a local server that
// serves the real YuNet file (so its sha256 is the registry's) and a corrupt
// copy, and "phantom models" on the result.
func TestModelsFetch(t *testing.T) {
	data, err := os.ReadFile(testenv.Model(t, "yunet-face.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/yunet.onnx":
			w.Write(data)
		case "/corrupt.onnx":
			w.Write(data[:len(data)/2])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()

	run := func(args ...string) (string, string, error) {
		stdout, stderr, status := phantomRun(t, args...)
		var err error
		if status != 0 {
			err = fmt.Errorf("exit status %d", status)
		}
		return stdout, stderr, err
	}

	// A corrupt download is refused and leaves nothing behind.
	_, stderr, err := run("models", "fetch", "yunet-face", "--models", dir, "--url", srv.URL+"/corrupt.onnx")
	if err == nil || !strings.Contains(stderr, "sha256 mismatch") {
		t.Fatalf("corrupt fetch: err %v, stderr %s", err, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("corrupt fetch left %v", entries)
	}
	// The good one is written under the registry's file name.
	stdout, stderr, err := run("models", "fetch", "yunet-face", "--models", dir, "--url", srv.URL+"/yunet.onnx")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "sha256 ok") {
		t.Errorf("stdout: %s", stdout)
	}
	got, err := os.ReadFile(filepath.Join(dir, "yunet-face.onnx"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("written file: %v", err)
	}
	// Fetching again leaves it alone.
	if stdout, _, err = run("models", "fetch", "yunet-face", "--models", dir, "--url", srv.URL+"/missing"); err != nil || !strings.Contains(stdout, "already in") {
		t.Errorf("second fetch: %v %s", err, stdout)
	}
	// The listing shows it found and verified, and others missing.
	stdout, stderr, err = run("models", "--models", dir)
	if err != nil {
		t.Fatalf("models: %v\n%s", err, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		switch f[0] {
		case "yunet-face":
			if f[3] != "yes" || f[4] != "ok" {
				t.Errorf("yunet line: %s", line)
			}
		case "yolov8n-coco":
			if f[3] != "no" {
				t.Errorf("coco line: %s", line)
			}
		}
	}
	// A tampered file is reported as a mismatch, with a failing exit.
	if err := os.WriteFile(filepath.Join(dir, "yunet-face.onnx"), data[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, _, err = run("models", "--models", dir); err == nil || !strings.Contains(stdout, "MISMATCH") {
		t.Errorf("tampered: %v\n%s", err, stdout)
	}
	// An unknown name is an error.
	if _, stderr, err = run("models", "fetch", "no-such-model", "--models", dir); err == nil || !strings.Contains(stderr, "unknown model") {
		t.Errorf("unknown: %v %s", err, stderr)
	}
}
