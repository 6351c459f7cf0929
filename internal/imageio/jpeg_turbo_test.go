//go:build cgo

package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/phantom-vlm/phantom/internal/turbojpeg"
)

// adobeCMYK is a real Adobe CMYK JPEG made by libjpeg-turbo, 37×23: red in
// the top-left 16×8 corner, blue elsewhere. Photoshop stores CMYK inverted
// and image/jpeg reads it so; libjpeg-turbo stores the bytes as given, so
// the ink is inverted here.
func adobeCMYK(t *testing.T) []byte {
	t.Helper()
	m := image.NewCMYK(image.Rect(0, 0, 37, 23))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			c := color.CMYK{0, 255, 255, 0} // red
			if x >= 16 || y >= 8 {
				c = color.CMYK{255, 255, 0, 0} // blue
			}
			m.SetCMYK(x, y, color.CMYK{255 - c.C, 255 - c.M, 255 - c.Y, 255 - c.K})
		}
	}
	data, err := turbojpeg.EncodeCMYK(m, 95)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDecodeCMYKFallsBackToImageJPEG decodes a real CMYK JPEG: libjpeg-turbo
// refuses it with ErrColorSpace, and Decode gives image/jpeg's pixels,
// upright and at the file's size.
func TestDecodeCMYKFallsBackToImageJPEG(t *testing.T) {
	data := adobeCMYK(t)
	if _, err := turbojpeg.Decode(data); !errors.Is(err, turbojpeg.ErrColorSpace) {
		t.Fatalf("turbojpeg.Decode of a CMYK JPEG: err = %v, want ErrColorSpace", err)
	}
	got, f, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode of a CMYK JPEG: %v", err)
	}
	if f != JPEG {
		t.Errorf("format = %v, want JPEG", f)
	}
	if got.Rect != image.Rect(0, 0, 37, 23) {
		t.Fatalf("bounds = %v, want 37×23 at (0, 0)", got.Rect)
	}
	ref, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ref.(*image.CMYK); !ok {
		t.Fatalf("image/jpeg decodes it as %T, want *image.CMYK", ref)
	}
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			want := color.RGBAModel.Convert(ref.At(x, y)).(color.RGBA)
			if g := got.RGBAAt(x, y); !near(g, want, 1) {
				t.Fatalf("pixel (%d, %d) = %v, image/jpeg gives %v", x, y, g, want)
			}
		}
	}
	for _, p := range []struct {
		x, y int
		want color.RGBA
	}{
		{3, 3, color.RGBA{255, 0, 0, 255}},
		{30, 3, color.RGBA{0, 0, 255, 255}},
		{3, 18, color.RGBA{0, 0, 255, 255}},
		{30, 18, color.RGBA{0, 0, 255, 255}},
	} {
		if g := got.RGBAAt(p.x, p.y); !near(g, p.want, 12) {
			t.Errorf("pixel (%d, %d) = %v, want about %v (the image upright)", p.x, p.y, g, p.want)
		}
	}
}
