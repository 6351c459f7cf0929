package detect

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestNewLetterbox(t *testing.T) {
	tests := []struct {
		name                     string
		sw, sh, w, h             int
		center                   bool
		scale                    float64
		padX, padY, rw, rh       int
		photoX, photoY, inX, inY float64
	}{
		{"wide centred", 548, 342, 640, 640, true, 640.0 / 548, 0, 120, 640, 399, 274, 171, 320, 120 + 171*640.0/548},
		{"wide top-left", 548, 342, 640, 640, false, 640.0 / 548, 0, 0, 640, 399, 0, 0, 0, 0},
		{"tall centred", 1080, 1908, 640, 640, true, 640.0 / 1908, 139, 0, 362, 640, 0, 954, 139, 320},
		{"exact", 640, 640, 640, 640, true, 1, 0, 0, 640, 640, 10, 20, 10, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLetterbox(tc.sw, tc.sh, tc.w, tc.h, tc.center)
			if math.Abs(l.scale-tc.scale) > 1e-9 || l.padX != tc.padX || l.padY != tc.padY || l.rw != tc.rw || l.rh != tc.rh {
				t.Fatalf("got %+v", l)
			}
			x, y := l.toPhoto(tc.inX, tc.inY)
			if math.Abs(x-tc.photoX) > 1e-6 || math.Abs(y-tc.photoY) > 1e-6 {
				t.Errorf("toPhoto(%v, %v) = %v, %v; want %v, %v", tc.inX, tc.inY, x, y, tc.photoX, tc.photoY)
			}
		})
	}
}

// TestFillCHW checks the tensor layout, channel order, normalisation,
// padding and interpolation on a small image with known pixels.
func TestFillCHW(t *testing.T) {
	// 4×2 photo: left half red (200,0,0), right half blue (0,0,100).
	src := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for y := range 2 {
		for x := range 4 {
			c := color.RGBA{200, 0, 0, 255}
			if x >= 2 {
				c = color.RGBA{0, 0, 100, 255}
			}
			src.SetRGBA(x, y, c)
		}
	}
	at := func(d []float32, w, h, c, x, y int) float32 { return d[c*w*h+y*w+x] }
	t.Run("rgb centred 8x8", func(t *testing.T) {
		l := newLetterbox(4, 2, 8, 8, true)
		if l.padY != 2 || l.rh != 4 || l.rw != 8 {
			t.Fatalf("%+v", l)
		}
		d := make([]float32, 3*64)
		fillCHW(d, src, l, pixelNorm{mul: [3]float32{1, 1, 1}, pad: [3]float32{-1, -2, -3}})
		// Padding rows hold the pad value of each channel.
		for c, want := range []float32{-1, -2, -3} {
			for _, y := range []int{0, 1, 6, 7} {
				if got := at(d, 8, 8, c, 3, y); got != want {
					t.Errorf("pad c%d y%d = %v, want %v", c, y, got, want)
				}
			}
		}
		// Far left is pure red, far right pure blue, the middle a blend.
		if r, b := at(d, 8, 8, 0, 0, 3), at(d, 8, 8, 2, 0, 3); r != 200 || b != 0 {
			t.Errorf("left pixel r=%v b=%v", r, b)
		}
		if r, b := at(d, 8, 8, 0, 7, 4), at(d, 8, 8, 2, 7, 4); r != 0 || b != 100 {
			t.Errorf("right pixel r=%v b=%v", r, b)
		}
		// Output x=3 maps to source x = 3.5/2-0.5 = 1.25: red.
		// Output x=4 maps to 1.75: 0.25 red + 0.75 blue? No: between x=1 (red) and x=2 (blue), weight 0.75 on blue.
		if r := at(d, 8, 8, 0, 4, 4); math.Abs(float64(r)-50) > 1e-3 {
			t.Errorf("blend r=%v, want 50", r)
		}
		if b := at(d, 8, 8, 2, 4, 4); math.Abs(float64(b)-75) > 1e-3 {
			t.Errorf("blend b=%v, want 75", b)
		}
	})
	t.Run("bgr scaled top-left", func(t *testing.T) {
		l := newLetterbox(4, 2, 4, 4, false)
		d := make([]float32, 3*16)
		fillCHW(d, src, l, pixelNorm{bgr: true, mul: [3]float32{0.5, 1, 2}, add: [3]float32{1, 0, 0}})
		// Channel 0 is blue ×0.5 + 1; channel 2 is red ×2.
		if got := at(d, 4, 4, 0, 3, 0); got != 51 {
			t.Errorf("b = %v, want 51", got)
		}
		if got := at(d, 4, 4, 2, 0, 1); got != 400 {
			t.Errorf("r = %v, want 400", got)
		}
		// Rows 2 and 3 are padding (0).
		if got := at(d, 4, 4, 2, 0, 3); got != 0 {
			t.Errorf("pad = %v", got)
		}
	})
}

func BenchmarkFillCHW(b *testing.B) {
	for _, sz := range []image.Point{{512, 512}, {2048, 1150}, {1080, 1908}} {
		src := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		for i := range src.Pix {
			src.Pix[i] = uint8(i * 7)
		}
		l := newLetterbox(sz.X, sz.Y, 640, 640, true)
		d := make([]float32, 3*640*640)
		b.Run(image.Rect(0, 0, sz.X, sz.Y).String(), func(b *testing.B) {
			for b.Loop() {
				fillCHW(d, src, l, pixelNorm{mul: [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}})
			}
		})
	}
}
