package anonymize

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// noisy returns a w×h image of deterministic noise over a gradient.
func noisy(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetRGBA(x, y, color.RGBA{uint8(x*255/w) ^ uint8(r.IntN(64)), uint8(y*255/h) ^ uint8(r.IntN(64)), uint8(r.IntN(256)), 255})
		}
	}
	return m
}

func clone(m *image.RGBA) *image.RGBA {
	c := *m
	c.Pix = append([]uint8(nil), m.Pix...)
	return &c
}

// outsideUnchanged reports the first pixel outside r that differs.
func outsideUnchanged(t *testing.T, before, after *image.RGBA, inside func(x, y int) bool) {
	t.Helper()
	b := before.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if inside(x, y) {
				continue
			}
			i := before.PixOffset(x, y)
			if !bytes.Equal(before.Pix[i:i+4], after.Pix[i:i+4]) {
				t.Fatalf("pixel (%d,%d) outside the region changed: %v -> %v", x, y, before.Pix[i:i+4], after.Pix[i:i+4])
			}
		}
	}
}

func colours(m *image.RGBA, r image.Rectangle) int {
	set := map[[4]uint8]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := m.PixOffset(x, y)
			set[[4]uint8(m.Pix[i:i+4])] = true
		}
	}
	return len(set)
}

func TestPixelateProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	base := noisy(97, 83, 1)
	for i := 0; i < 200; i++ {
		// Random rectangles, some partly or wholly outside the image.
		x0, y0 := rng.IntN(130)-20, rng.IntN(120)-20
		r := image.Rect(x0, y0, x0+rng.IntN(90), y0+rng.IntN(90))
		grid := 1 + rng.IntN(14)
		img := clone(base)
		Pixelate(img, r, grid)
		clip := r.Intersect(img.Rect)
		outsideUnchanged(t, base, img, func(x, y int) bool { return image.Pt(x, y).In(clip) })
		if n := colours(img, clip); n > grid*grid {
			t.Fatalf("rect %v grid %d: %d colours inside, want ≤ %d", r, grid, n, grid*grid)
		}
	}
}

func TestPixelateCellMeans(t *testing.T) {
	// A 4×2 region with a 2×1 grid: left cell pixels 0,10,20,30 (mean 15),
	// right cell 100,101,102,104 (mean 101.75 → 102).
	img := image.NewRGBA(image.Rect(0, 0, 6, 3))
	vals := [][]uint8{{0, 10, 100, 101}, {20, 30, 102, 104}}
	for y, row := range vals {
		for x, v := range row {
			img.SetRGBA(x+1, y+1, color.RGBA{v, v, v, 255})
		}
	}
	before := clone(img)
	r := image.Rect(1, 1, 5, 3)
	pixelateGrid(img, r, 2, 1)
	for y := 1; y < 3; y++ {
		if got := img.RGBAAt(1, y).R; got != 15 {
			t.Errorf("left cell (1,%d) = %d, want 15", y, got)
		}
		if got := img.RGBAAt(4, y).R; got != 102 {
			t.Errorf("right cell (4,%d) = %d, want 102", y, got)
		}
	}
	outsideUnchanged(t, before, img, func(x, y int) bool { return image.Pt(x, y).In(r) })
}

// pixelateGrid is Pixelate with different cell counts per axis, built from
// Pixelate on sub-rectangles, to test the mean on a hand-made case.
func pixelateGrid(img *image.RGBA, r image.Rectangle, nx, ny int) {
	xs, ys := cellEdges(r.Min.X, r.Max.X, nx), cellEdges(r.Min.Y, r.Max.Y, ny)
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			Pixelate(img, image.Rect(xs[i], ys[j], xs[i+1], ys[j+1]), 1)
		}
	}
}

func TestCellEdgesAreAsEqualAsPossible(t *testing.T) {
	tests := []struct{ lo, hi, n int }{{0, 100, 10}, {3, 56, 10}, {0, 7, 10}, {-5, 1000, 7}}
	for _, tt := range tests {
		e := cellEdges(tt.lo, tt.hi, tt.n)
		if e[0] != tt.lo || e[tt.n] != tt.hi {
			t.Errorf("%v: ends %d,%d", tt, e[0], e[tt.n])
		}
		lo, hi := tt.hi, 0
		for i := 0; i < tt.n; i++ {
			w := e[i+1] - e[i]
			lo, hi = min(lo, w), max(hi, w)
		}
		if hi-lo > 1 {
			t.Errorf("%v: cell widths range %d..%d", tt, lo, hi)
		}
	}
}

func TestPixelateMask(t *testing.T) {
	base := noisy(64, 48, 2)
	mask := image.NewAlpha(base.Rect)
	// A disc of radius 15 around (30, 24).
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			if (x-30)*(x-30)+(y-24)*(y-24) <= 225 {
				mask.SetAlpha(x, y, color.Alpha{255})
			}
		}
	}
	img := clone(base)
	PixelateMask(img, mask, 10)
	outsideUnchanged(t, base, img, func(x, y int) bool { return mask.AlphaAt(x, y).A >= 128 })
	inside := map[[4]uint8]bool{}
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			if mask.AlphaAt(x, y).A >= 128 {
				i := img.PixOffset(x, y)
				inside[[4]uint8(img.Pix[i:i+4])] = true
			}
		}
	}
	if len(inside) > 100 || len(inside) < 50 {
		t.Errorf("%d colours inside the disc, want between 50 and 100", len(inside))
	}
}

func TestBlur(t *testing.T) {
	base := noisy(120, 90, 3)
	r := image.Rect(20, 10, 100, 70)
	img := clone(base)
	Blur(img, r, 0.1)
	outsideUnchanged(t, base, img, func(x, y int) bool { return image.Pt(x, y).In(r) })
	if before, after := roughness(base, r), roughness(img, r); after > before/5 {
		t.Errorf("blur left roughness %.1f of %.1f", after, before)
	}
	flat := image.NewRGBA(image.Rect(0, 0, 50, 50))
	Fill(flat, flat.Rect, color.RGBA{10, 20, 30, 255})
	Blur(flat, flat.Rect, 0.2)
	if n := colours(flat, flat.Rect); n != 1 {
		t.Errorf("blurring a flat image made %d colours", n)
	}
}

// roughness is the mean absolute difference between horizontal neighbours.
func roughness(m *image.RGBA, r image.Rectangle) float64 {
	var s, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X + 1; x < r.Max.X; x++ {
			a, b := m.RGBAAt(x, y), m.RGBAAt(x-1, y)
			s += abs(int(a.R)-int(b.R)) + abs(int(a.G)-int(b.G)) + abs(int(a.B)-int(b.B))
			n++
		}
	}
	return s / n
}

func abs(v int) float64 {
	if v < 0 {
		return float64(-v)
	}
	return float64(v)
}

func TestBoxSizesMatchSigma(t *testing.T) {
	for _, s := range []float64{2.5, 8, 30} { // below ~2 px the odd widths are too coarse
		var v float64
		for _, w := range boxSizes(s, 3) {
			if w%2 == 0 {
				t.Errorf("sigma %v: even width %d", s, w)
			}
			v += float64(w*w-1) / 12
		}
		if got := v; got < 0.8*s*s || got > 1.2*s*s {
			t.Errorf("sigma %v: boxes give variance %.2f, want about %.2f", s, got, s*s)
		}
	}
}

func TestScale(t *testing.T) {
	b := image.Rect(0, 0, 100, 100)
	tests := []struct {
		r      image.Rectangle
		factor float64
		want   image.Rectangle
	}{
		{image.Rect(40, 40, 60, 60), 1, image.Rect(40, 40, 60, 60)},
		{image.Rect(40, 40, 60, 60), 1.5, image.Rect(35, 35, 65, 65)},
		{image.Rect(40, 40, 60, 60), 0.5, image.Rect(45, 45, 55, 55)},
		{image.Rect(0, 0, 20, 20), 2, image.Rect(0, 0, 30, 30)},       // clipped at the corner
		{image.Rect(-10, 90, 10, 110), 1, image.Rect(0, 90, 10, 100)}, // clipped to bounds
		{image.Rect(40, 40, 60, 60), 0, image.Rectangle{}},
	}
	for _, tt := range tests {
		if got := Scale(tt.r, tt.factor, b); got != tt.want {
			t.Errorf("Scale(%v, %v) = %v, want %v", tt.r, tt.factor, got, tt.want)
		}
	}
}

func TestApplyAndMaskMethods(t *testing.T) {
	base := noisy(40, 40, 4)
	mask := image.NewAlpha(base.Rect)
	for y := 10; y < 30; y++ {
		for x := 5; x < 25; x++ {
			mask.SetAlpha(x, y, color.Alpha{200})
		}
	}
	for _, m := range []Method{MethodPixelate, MethodBlur, MethodFill} {
		img := clone(base)
		if err := ApplyMask(img, mask, m, Options{Color: color.RGBA{1, 2, 3, 255}}); err != nil {
			t.Fatal(err)
		}
		outsideUnchanged(t, base, img, func(x, y int) bool { return mask.AlphaAt(x, y).A >= 128 })
		if bytes.Equal(img.Pix, base.Pix) {
			t.Errorf("%s over a mask changed nothing", m)
		}
		img = clone(base)
		r := image.Rect(3, 4, 33, 36)
		if err := Apply(img, r, m, Options{}); err != nil {
			t.Fatal(err)
		}
		outsideUnchanged(t, base, img, func(x, y int) bool { return image.Pt(x, y).In(r) })
	}
	if err := Apply(clone(base), base.Rect, "swirl", Options{}); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := ParseMethod("swirl"); err == nil {
		t.Error("ParseMethod accepted swirl")
	}
}

// TestGolden pins each method's output at two sizes: a 64×48 region (a
// face of 48 px, the study's typical case) and a 20×26 one (a small face,
// where a 10×10 grid leaves 2-pixel cells).
func TestGolden(t *testing.T) {
	large, small := image.Rect(16, 8, 80, 56), image.Rect(10, 6, 30, 32)
	tests := []struct {
		name string
		do   func(*image.RGBA, image.Rectangle)
	}{
		{"pixelate", func(m *image.RGBA, r image.Rectangle) { Pixelate(m, r, DefaultGrid) }},
		{"pixelate-cell", func(m *image.RGBA, r image.Rectangle) { PixelateCells(m, r, 7) }},
		{"blur", func(m *image.RGBA, r image.Rectangle) { Blur(m, r, DefaultSigma) }},
		{"fill", func(m *image.RGBA, r image.Rectangle) { Fill(m, r, color.RGBA{A: 255}) }},
	}
	for _, tt := range tests {
		for _, size := range []struct {
			suffix string
			w, h   int
			r      image.Rectangle
		}{{"", 96, 64, large}, {"-small", 40, 40, small}} {
			t.Run(tt.name+size.suffix, func(t *testing.T) {
				img := noisy(size.w, size.h, 5)
				tt.do(img, size.r)
				testenv.GoldenPNG(t, filepath.Join("testdata", tt.name+size.suffix+".golden.png"), img, *update)
			})
		}
	}
}

func TestPixelateCells(t *testing.T) {
	before := noisy(50, 40, 9)
	img := clone(before)
	r := image.Rect(3, 4, 26, 20) // 23×16: cells of 7 leave a 2-px column and a 2-px row
	PixelateCells(img, r, 7)
	outsideUnchanged(t, before, img, func(x, y int) bool { return image.Pt(x, y).In(r) })
	xs, ys := []int{3, 10, 17, 24, 26}, []int{4, 11, 18, 20}
	for cy := 0; cy+1 < len(ys); cy++ {
		for cx := 0; cx+1 < len(xs); cx++ {
			cell := image.Rect(xs[cx], ys[cy], xs[cx+1], ys[cy+1])
			if n := colours(img, cell); n != 1 {
				t.Errorf("cell %v has %d colours, want 1", cell, n)
			}
			var sum [3]int
			for y := cell.Min.Y; y < cell.Max.Y; y++ {
				for x := cell.Min.X; x < cell.Max.X; x++ {
					c := before.RGBAAt(x, y)
					sum[0], sum[1], sum[2] = sum[0]+int(c.R), sum[1]+int(c.G), sum[2]+int(c.B)
				}
			}
			n := cell.Dx() * cell.Dy()
			got := img.RGBAAt(cell.Min.X, cell.Min.Y)
			if want := uint8((sum[0] + n/2) / n); got.R != want {
				t.Errorf("cell %v red %d, want the mean %d", cell, got.R, want)
			}
		}
	}
	// A region of cell size or smaller is one cell; cells of one pixel change nothing.
	one := clone(before)
	PixelateCells(one, image.Rect(0, 0, 5, 5), 8)
	if n := colours(one, image.Rect(0, 0, 5, 5)); n != 1 {
		t.Errorf("a 5×5 region with cells of 8 has %d colours", n)
	}
	same := clone(before)
	PixelateCells(same, r, 1)
	outsideUnchanged(t, before, same, func(int, int) bool { return false })
}

// TestPixelateMatchesReference compares Pixelate with a plain per-pixel
// mean on cells wide enough (over 514 pixels: 257 two-pixel words) to
// empty the 16-bit lanes of addSpan more than once, odd widths and
// one-pixel cells included.
func TestPixelateMatchesReference(t *testing.T) {
	base := noisy(1301, 37, 3)
	for _, tc := range []struct {
		r    image.Rectangle
		grid int
	}{
		{base.Rect, 2}, {base.Rect, 1}, {image.Rect(3, 1, 1300, 36), 3}, {image.Rect(10, 5, 17, 30), 10}, {image.Rect(0, 0, 1301, 5), 10},
	} {
		img := clone(base)
		Pixelate(img, tc.r, tc.grid)
		xs, ys := cellEdges(tc.r.Min.X, tc.r.Max.X, tc.grid), cellEdges(tc.r.Min.Y, tc.r.Max.Y, tc.grid)
		for j := 0; j+1 < len(ys); j++ {
			for i := 0; i+1 < len(xs); i++ {
				var sum [4]int
				n := (xs[i+1] - xs[i]) * (ys[j+1] - ys[j])
				if n == 0 {
					continue
				}
				for y := ys[j]; y < ys[j+1]; y++ {
					for x := xs[i]; x < xs[i+1]; x++ {
						p := base.Pix[base.PixOffset(x, y):]
						for k := range sum {
							sum[k] += int(p[k])
						}
					}
				}
				for y := ys[j]; y < ys[j+1]; y++ {
					for x := xs[i]; x < xs[i+1]; x++ {
						p := img.Pix[img.PixOffset(x, y):]
						for k := range sum {
							if want := uint8((sum[k] + n/2) / n); p[k] != want {
								t.Fatalf("rect %v grid %d: (%d,%d) channel %d = %d, want %d", tc.r, tc.grid, x, y, k, p[k], want)
							}
						}
					}
				}
			}
		}
		outsideUnchanged(t, base, img, func(x, y int) bool { return image.Pt(x, y).In(tc.r) })
	}
}
