package testenv

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// GoldenPNG compares img, pixel for pixel, with the PNG golden file at path,
// or, when update is set (the tests' -update flag), rewrites the file with
// img. A missing golden file fails the test with the command that makes it.
func GoldenPNG(t testing.TB, path string, img *image.RGBA, update bool) {
	t.Helper()
	if update {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := imageio.Load(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	got := imageio.ToRGBA(img)
	if want.Rect != got.Rect {
		t.Fatalf("%s: size %v, golden file %v (run go test -update after checking the change by eye)", path, got.Rect.Size(), want.Rect.Size())
	}
	if !bytes.Equal(want.Pix, got.Pix) {
		t.Errorf("%s differs from the golden file (run go test -update after checking the change by eye)", path)
	}
}
