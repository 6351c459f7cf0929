package vlm_test

import (
	"bytes"
	"context"
	"image"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
	"github.com/phantom-vlm/phantom/vlm"
)

// photos returns the real photos under $PHANTOM_DATA/photos, skipping the
// test when the variable is unset.
func photos(t testing.TB) []string {
	t.Helper()
	dir := testenv.Data(t)
	var paths []string
	for _, pat := range []string{"*.jpg", "*.jpeg", "*.png"} {
		m, _ := filepath.Glob(filepath.Join(dir, "photos", pat))
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Skipf("no photos in %s/photos", dir)
	}
	return paths
}

// TestRealPhotos sends each real photo as stored through both protocols,
// then under a side limit and under a byte limit.
func TestRealPhotos(t *testing.T) {
	for _, path := range photos(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, be := range backends {
			t.Run(be.name+"/"+filepath.Base(path), func(t *testing.T) {
				tests := []struct {
					name              string
					maxBytes, maxSide int
				}{
					{"as stored", 0, 0},
					{"side limit 448", 0, 448},
					{"byte limit 64 KiB", 64 << 10, 0},
				}
				for _, tt := range tests {
					if be.name == "ollama" && (tt.maxBytes > 0 || tt.maxSide > 0) {
						continue // downscaling is shared code: once, through openai, is enough
					}
					fs := newFakeServer(t, map[string][]step{be.chatPath: {be.ok(t)}})
					c, _ := be.newFn(fs.URL, vlm.WithImageLimit(tt.maxBytes, tt.maxSide))
					if _, err := c.Ask(context.Background(), vlm.Request{Image: data, Prompt: "Who is the person in the picture?"}); err != nil {
						t.Fatalf("%s: %v", tt.name, err)
					}
					body := fs.requests()[0].Body
					sent := sentImage(t, be.name, body)
					if tt.maxBytes == 0 && tt.maxSide == 0 {
						if !bytes.Equal(sent, data) {
							t.Errorf("%s: image re-encoded", tt.name)
						}
						if want := "data:" + http.DetectContentType(data); be.name == "openai" && !strings.Contains(string(body), want+";base64,") {
							t.Errorf("%s: data URL is not labelled %s (format %s)", tt.name, want, format)
						}
						continue
					}
					got, _, err := image.DecodeConfig(bytes.NewReader(sent))
					if err != nil {
						t.Fatalf("%s: sent image: %v", tt.name, err)
					}
					side, orig := max(got.Width, got.Height), max(cfg.Width, cfg.Height)
					switch {
					case tt.maxSide > 0 && side != min(tt.maxSide, orig) && orig > tt.maxSide:
						t.Errorf("%s: sent %d×%d from %d×%d", tt.name, got.Width, got.Height, cfg.Width, cfg.Height)
					case tt.maxBytes > 0 && len(data) > tt.maxBytes && len(sent) > tt.maxBytes:
						t.Errorf("%s: sent %d bytes", tt.name, len(sent))
					case tt.maxBytes > 0 && len(data) <= tt.maxBytes && !bytes.Equal(sent, data):
						t.Errorf("%s: a photo within the limit was re-encoded", tt.name)
					}
					// The aspect ratio survives downscaling to within a pixel.
					if r0, r1 := float64(cfg.Width)/float64(cfg.Height), float64(got.Width)/float64(got.Height); r1 < r0*0.97 || r1 > r0*1.03 {
						t.Errorf("%s: aspect %.3f became %.3f", tt.name, r0, r1)
					}
				}
			})
		}
	}
}
