package detect

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
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

// refFillCHW is the straightforward letterbox: each input value on its own,
// in float64, from the four photo pixels around it (pixel centres aligned,
// edges clamped, weights rounded to 1/2048 as the kernel's are), and the pad
// value elsewhere.
func refFillCHW(dst []float32, img *image.RGBA, l letterbox, n pixelNorm) {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	tap := func(o, size, rsize int) (i, j int, w float64) {
		f := (float64(o)+0.5)*float64(size)/float64(rsize) - 0.5
		i = int(math.Floor(f))
		w = f - float64(i)
		if i < 0 {
			i, w = 0, 0
		}
		j = i + 1
		if i >= size-1 {
			i, j, w = size-1, size-1, 0
		}
		return i, j, math.Round(w*2048) / 2048
	}
	src := [3]int{0, 1, 2}
	if n.bgr {
		src = [3]int{2, 1, 0}
	}
	at := func(x, y, c int) float64 {
		return float64(img.Pix[img.PixOffset(img.Rect.Min.X+x, img.Rect.Min.Y+y)+src[c]])
	}
	for c := range 3 {
		for y := range l.h {
			for x := range l.w {
				v := float64(n.pad[c])
				px, py := x-l.padX, y-l.padY
				if px >= 0 && px < l.rw && py >= 0 && py < l.rh {
					i0, i1, wy := tap(py, sh, l.rh)
					j0, j1, wx := tap(px, sw, l.rw)
					top := at(j0, i0, c)*(1-wx) + at(j1, i0, c)*wx
					bot := at(j0, i1, c)*(1-wx) + at(j1, i1, c)*wx
					v = (top*(1-wy)+bot*wy)*float64(n.mul[c]) + float64(n.add[c])
				}
				dst[(c*l.h+y)*l.w+x] = float32(v)
			}
		}
	}
}

// noisyPhoto returns a w×h photo of random pixels whose bounds start at
// (ox, oy), as a sub-image of a larger one.
func noisyPhoto(w, h, ox, oy int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 2))
	big := image.NewRGBA(image.Rect(0, 0, ox+w+2, oy+h+3))
	for i := range big.Pix {
		big.Pix[i] = uint8(r.Uint32())
	}
	return big.SubImage(image.Rect(ox, oy, ox+w, oy+h)).(*image.RGBA)
}

var (
	yoloNorm  = pixelNorm{mul: [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}, pad: [3]float32{114.0 / 255, 114.0 / 255, 114.0 / 255}}
	yunetNorm = pixelNorm{bgr: true, mul: [3]float32{1, 1, 1}}
)

// TestFillCHWReference checks the letterbox against refFillCHW on the
// detectors' shapes and on odd ones, photo bounds away from (0,0) included.
func TestFillCHWReference(t *testing.T) {
	tests := []struct {
		name         string
		sw, sh, w, h int
		center       bool
		n            pixelNorm
		offX, offY   int
		seed         uint64
	}{
		{"portrait 512² centred (YOLO)", 512, 512, 640, 640, true, yoloNorm, 0, 0, 1},
		{"group 2048×1150 centred (YOLO)", 2048, 1150, 640, 640, true, yoloNorm, 0, 0, 2},
		{"group 2048×1150 top-left (YuNet)", 2048, 1150, 640, 640, false, yunetNorm, 0, 0, 3},
		{"tall 1080×1908 centred, offset bounds", 1080, 1908, 640, 640, true, yoloNorm, 17, 9, 4},
		{"small 75×40 enlarged, offset bounds", 75, 40, 320, 256, false, yunetNorm, 3, 1, 5},
		{"mean and scale per channel", 300, 200, 160, 96, true, pixelNorm{bgr: true, mul: [3]float32{0.5, -1, 1.0 / 58}, add: [3]float32{-1, 2, 0.25}, pad: [3]float32{-7, 0, 3}}, 1, 1, 6},
		{"one pixel", 1, 1, 32, 32, true, yoloNorm, 0, 0, 7},
		{"one column", 1, 90, 64, 64, true, yoloNorm, 5, 0, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := noisyPhoto(tc.sw, tc.sh, tc.offX, tc.offY, tc.seed)
			l := newLetterbox(tc.sw, tc.sh, tc.w, tc.h, tc.center)
			want := make([]float32, 3*tc.w*tc.h)
			refFillCHW(want, img, l, tc.n)
			got := make([]float32, len(want))
			for i := range got {
				got[i] = float32(math.NaN()) // every value must be written
			}
			fillCHW(got, img, l, tc.n)
			bad := 0
			for i := range got {
				c := i / (tc.w * tc.h)
				tol := 1e-6 * (255*math.Abs(float64(tc.n.mul[c])) + math.Abs(float64(tc.n.add[c])))
				if d := math.Abs(float64(got[i] - want[i])); !(d <= tol) {
					if bad++; bad <= 5 {
						t.Errorf("value %d (channel %d, x %d, y %d) = %v, want %v", i, c, i%tc.w, i%(tc.w*tc.h)/tc.w, got[i], want[i])
					}
				}
			}
			if bad > 5 {
				t.Errorf("%d values wrong in all", bad)
			}
		})
	}
}

// TestInputBufPadding fills one pooled buffer with photos of changing
// shapes and pad values: each time it must hold exactly what a fresh
// fillCHW writes, whether or not the padding was rewritten.
func TestInputBufPadding(t *testing.T) {
	const w, h = 96, 96
	grey := yoloNorm
	black := pixelNorm{mul: grey.mul}
	steps := []struct {
		sw, sh int
		center bool
		n      pixelNorm
	}{
		{200, 100, true, grey},  // wide: pad above and below
		{200, 100, true, grey},  // same layout: padding kept
		{100, 200, true, grey},  // tall: pad left and right
		{100, 200, true, black}, // same layout, other pad value
		{300, 150, true, black}, // same layout as the first, other photo size
		{200, 100, false, grey}, // top-left
		{96, 96, true, grey},    // no padding at all
		{200, 100, false, grey},
	}
	b := newInputPool(3 * w * h).get()
	for i, st := range steps {
		img := noisyPhoto(st.sw, st.sh, 0, 0, uint64(i))
		l := newLetterbox(st.sw, st.sh, w, h, st.center)
		b.fill(img, l, st.n)
		want := make([]float32, 3*w*h)
		fillCHW(want, img, l, st.n)
		for j := range want {
			if b.data[j] != want[j] {
				t.Fatalf("step %d (%+v): value %d = %v, want %v", i, st, j, b.data[j], want[j])
			}
		}
	}
}

func TestRGBAOf(t *testing.T) {
	whole := noisyPhoto(8, 6, 0, 0, 1)
	sub := noisyPhoto(8, 6, 3, 2, 2)
	if rgbaOf(whole) != whole || rgbaOf(sub) != sub {
		t.Error("an *image.RGBA was copied")
	}
	g := image.NewGray(image.Rect(5, 5, 9, 8))
	g.Pix[0] = 200
	m := rgbaOf(g)
	if m.Rect != image.Rect(0, 0, 4, 3) || m.Pix[0] != 200 || m.Pix[3] != 255 {
		t.Errorf("grey photo converted to %v %v", m.Rect, m.Pix[:4])
	}
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
