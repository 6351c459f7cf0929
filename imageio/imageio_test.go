package imageio_test

import (
	"bytes"
	"errors"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/imageio"
	iio "github.com/phantom-vlm/phantom/internal/imageio"
)

// TestLoadAppliesOrientation: a JPEG stored 4×2 with EXIF orientation 6
// (rotate 90° clockwise to display) loads upright, 2×4, with the very pixels
// phantom build reads.
func TestLoadAppliesOrientation(t *testing.T) {
	const path = "testdata/rotated.jpg"
	img, err := imageio.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect != image.Rect(0, 0, 2, 4) {
		t.Fatalf("bounds %v, want 2×4 at the origin", img.Rect)
	}
	if c := img.RGBAAt(0, 0); c.R < 200 || c.B > 60 {
		t.Errorf("top-left %v, want red (the stored left edge turned to the top)", c)
	}
	if c := img.RGBAAt(1, 3); c.B < 200 || c.R > 60 {
		t.Errorf("bottom-right %v, want blue", c)
	}
	build, err := iio.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Pix, build.Pix) {
		t.Error("Load's pixels differ from the builder's")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := imageio.Decode(data)
	if err != nil || !bytes.Equal(dec.Pix, img.Pix) {
		t.Errorf("Decode: %v, or other pixels than Load", err)
	}
}

func TestSaveLoad(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := range src.Pix {
		src.Pix[i] = uint8(40 * (i % 4))
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	path := filepath.Join(t.TempDir(), "out.png")
	if err := imageio.Save(path, src); err != nil {
		t.Fatal(err)
	}
	got, err := imageio.Load(path)
	if err != nil || !bytes.Equal(got.Pix, src.Pix) {
		t.Errorf("PNG round trip: %v", err)
	}
}

// TestErrors: each sentinel, matched with errors.Is, in a message that
// names the file and the package once.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jpg, err := os.ReadFile("testdata/rotated.jpg")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() (string, error)
		want error
	}{
		{"missing", func() (string, error) {
			p := filepath.Join(dir, "missing.jpg")
			_, err := imageio.Load(p)
			return p, err
		}, fs.ErrNotExist},
		{"not an image", func() (string, error) {
			p := write("notes.jpg", []byte("hello, not an image"))
			_, err := imageio.Load(p)
			return p, err
		}, imageio.ErrUnsupportedFormat},
		{"truncated", func() (string, error) {
			p := write("cut.jpg", jpg[:len(jpg)/2])
			_, err := imageio.Load(p)
			return p, err
		}, imageio.ErrCorrupt},
		{"over the pixel limit", func() (string, error) {
			p := write("big.jpg", jpg)
			_, err := imageio.Load(p, imageio.WithMaxPixels(7))
			return p, err
		}, imageio.ErrTooLarge},
		{"save to an unknown extension", func() (string, error) {
			p := filepath.Join(dir, "out.tiff")
			return p, imageio.Save(p, image.NewGray(image.Rect(0, 0, 1, 1)))
		}, imageio.ErrUnsupportedFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "imageio: ") || strings.Count(msg, "imageio: ") != 1 || !strings.Contains(msg, path) {
				t.Errorf("%q: want \"imageio: \" once at the start, and the file's name", msg)
			}
		})
	}
}
