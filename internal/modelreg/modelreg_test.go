package modelreg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKnownModelsRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range KnownModels() {
		if m.Name == "" || m.File == "" || m.Role == "" || m.Format == "" || m.License == "" || m.Upstream == "" {
			t.Errorf("incomplete entry %+v", m)
		}
		if seen[m.Name] || seen[m.File] {
			t.Errorf("duplicate %s / %s", m.Name, m.File)
		}
		seen[m.Name], seen[m.File] = true, true
		if m.SHA256 != "" {
			if b, err := hex.DecodeString(m.SHA256); err != nil || len(b) != 32 {
				t.Errorf("%s: bad sha256 %q", m.Name, m.SHA256)
			}
		}
		if got, ok := LookupModel(m.File); !ok || got.Name != m.Name {
			t.Errorf("LookupModel(%q) = %v, %v", m.File, got.Name, ok)
		}
	}
	if _, ok := LookupModel("no-such-model"); ok {
		t.Error("unknown model found")
	}
}

// TestScanRealModels checks the shared models against their known digests.
func TestScanRealModels(t *testing.T) {
	dir := os.Getenv("PHANTOM_MODELS")
	if dir == "" {
		t.Skip("PHANTOM_MODELS not set")
	}
	found := 0
	for _, s := range ScanModels(dir, true) {
		if !s.Found {
			continue
		}
		found++
		if s.SHA256 != "" && !s.Verified {
			t.Errorf("%s: sha256 %s, registry says %s", s.File, s.FoundSHA256, s.SHA256)
		}
		if s.Size != 0 && s.FoundSize != s.Size {
			t.Errorf("%s: %d bytes, registry says %d", s.File, s.FoundSize, s.Size)
		}
	}
	if found == 0 {
		t.Errorf("no known model in %s", dir)
	}
}

func TestFetchModel(t *testing.T) {
	payload := []byte("pretend this is an ONNX model")
	sum := sha256.Sum256(payload)
	good := hex.EncodeToString(sum[:])
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/model.onnx":
			w.Write(payload)
		case "/truncated.onnx":
			w.Header().Set("Content-Length", "1000")
			w.Write(payload) // the connection ends early
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	tests := []struct {
		name    string
		m       ModelFile
		wantErr error
		errText string
	}{
		{"ok", ModelFile{Name: "m", File: "m.onnx", URL: srv.URL + "/model.onnx", SHA256: good}, nil, ""},
		{"bad checksum", ModelFile{Name: "m", File: "m.onnx", URL: srv.URL + "/model.onnx", SHA256: hex.EncodeToString(make([]byte, 32))}, ErrChecksum, "expected 0000"},
		{"404", ModelFile{Name: "m", File: "m.onnx", URL: srv.URL + "/missing.onnx", SHA256: good}, nil, "HTTP 404"},
		{"truncated", ModelFile{Name: "m", File: "m.onnx", URL: srv.URL + "/truncated.onnx", SHA256: good}, nil, "unexpected EOF"},
		{"no url", ModelFile{Name: "m", File: "m.onnx", SHA256: good}, ErrNotFetchable, ""},
		{"no sha", ModelFile{Name: "m", File: "m.onnx", URL: srv.URL + "/model.onnx"}, ErrNotFetchable, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "models")
			path, err := FetchModel(context.Background(), srv.Client(), tc.m, dir)
			if tc.wantErr == nil && tc.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil || string(got) != string(payload) || path != filepath.Join(dir, "m.onnx") {
					t.Fatalf("wrote %q to %s (%v)", got, path, err)
				}
			} else {
				if err == nil {
					t.Fatal("no error")
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want %v", err, tc.wantErr)
				}
				if tc.errText != "" && !strings.Contains(err.Error(), tc.errText) {
					t.Errorf("err = %v, want it to mention %q", err, tc.errText)
				}
			}
			// Nothing but the finished model is ever left in the directory.
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "m.onnx" || err != nil {
					t.Errorf("left behind %s", e.Name())
				}
			}
		})
	}
	if hits == 0 {
		t.Error("server never hit")
	}
}
