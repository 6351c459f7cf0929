package background

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// randomRGBA is a w×h image of random pixels.
func randomRGBA(rng *rand.Rand, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	return m
}

// refBilinear is the straightforward bilinear sampler: for each output pixel
// its sample point in the sr part of src, the four pixels around it, and
// their weights, in floating point.
func refBilinear(src *image.RGBA, sr image.Rectangle, w, h int) [][4]float64 {
	out := make([][4]float64, w*h)
	coord := func(i, n, lo, span int) (int, int, float64) {
		p := float64(lo) + (float64(i)+0.5)*float64(span)/float64(n) - 0.5
		p = math.Max(float64(lo), math.Min(p, float64(lo+span-1)))
		a := int(p)
		return a, min(a+1, lo+span-1), p - float64(a)
	}
	for y := 0; y < h; y++ {
		y0, y1, fy := coord(y, h, sr.Min.Y, sr.Dy())
		for x := 0; x < w; x++ {
			x0, x1, fx := coord(x, w, sr.Min.X, sr.Dx())
			p00, p01 := src.RGBAAt(x0, y0), src.RGBAAt(x1, y0)
			p10, p11 := src.RGBAAt(x0, y1), src.RGBAAt(x1, y1)
			a := [4]uint8{p00.R, p00.G, p00.B, p00.A}
			b := [4]uint8{p01.R, p01.G, p01.B, p01.A}
			c := [4]uint8{p10.R, p10.G, p10.B, p10.A}
			d := [4]uint8{p11.R, p11.G, p11.B, p11.A}
			for k := range 4 {
				top := float64(a[k])*(1-fx) + float64(b[k])*fx
				bot := float64(c[k])*(1-fx) + float64(d[k])*fx
				out[y*w+x][k] = top*(1-fy) + bot*fy
			}
		}
	}
	return out
}

// TestFitMatchesReference checks the fixed-point, separable, span-wise
// sampler against the floating-point reference over sizes that shrink,
// enlarge, keep the scale, and are odd or tiny, one span at a time and in
// pieces.
func TestFitMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct{ sw, sh, w, h int }{
		{64, 48, 40, 30},  // shrink 1.6
		{64, 48, 33, 17},  // odd
		{64, 48, 100, 90}, // enlarge, crop horizontally
		{64, 48, 64, 20},  // crop vertically, same width: no scaling in x
		{7, 5, 3, 2},      // tiny
		{5, 3, 1, 1},
		{1, 1, 9, 4},   // a one-pixel background
		{3, 97, 5, 11}, // tall and thin
		{255, 101, 77, 61},
		{64, 48, 64, 48}, // same size: a copy
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d→%dx%d", tt.sw, tt.sh, tt.w, tt.h), func(t *testing.T) {
			src := randomRGBA(rng, tt.sw, tt.sh)
			f := newFit([]image.Image{src}, tt.w, tt.h)
			ref := refBilinear(src, f.sr, tt.w, tt.h)
			for _, pieces := range []int{1, 3} {
				d := make([]uint8, 4*tt.w)
				for y := 0; y < tt.h; y++ {
					for p := 0; p < pieces; p++ {
						f.span(d, y, p*tt.w/pieces, (p+1)*tt.w/pieces)
					}
					for x := 0; x < tt.w; x++ {
						for k := range 4 {
							// Weights are rounded to 1/256 (at most 255/512 off
							// each) and the vertical pass is rounded to 8 bits
							// before the horizontal one: at most 2 off in all.
							if diff := math.Abs(float64(d[4*x+k]) - ref[y*tt.w+x][k]); diff > 2 {
								t.Fatalf("%d pieces: pixel (%d,%d) channel %d = %d, reference %.2f", pieces, x, y, k, d[4*x+k], ref[y*tt.w+x][k])
							}
						}
					}
				}
			}
		})
	}
}

// TestFitCrop checks the crop the fit takes: centred, the background's
// aspect ratio kept.
func TestFitCrop(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 200, 100))
	tests := []struct {
		w, h int
		want image.Rectangle
	}{
		{100, 100, image.Rect(50, 0, 150, 100)},
		{400, 100, image.Rect(0, 25, 200, 75)},
		{200, 100, image.Rect(0, 0, 200, 100)},
	}
	for _, tt := range tests {
		if got := newFit([]image.Image{src}, tt.w, tt.h).sr; got != tt.want {
			t.Errorf("%d×%d: crop %v, want %v", tt.w, tt.h, got, tt.want)
		}
	}
}

// TestCompositeSkipsOnlyOpaque checks that composite, which makes the
// background only outside opaque runs of the mask, gives the same image as
// blending the photo over the whole fitted background, for masks with
// opaque runs of every length, partial values and a mask smaller than the
// photo.
func TestCompositeSkipsOnlyOpaque(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bg := randomRGBA(rng, 173, 91)
	for _, sz := range []image.Point{{61, 47}, {200, 30}, {9, 9}} {
		photo := randomRGBA(rng, sz.X, sz.Y)
		masks := map[string]*image.Alpha{}
		full := image.NewAlpha(photo.Rect)
		runs := image.NewAlpha(photo.Rect)
		for y := 0; y < sz.Y; y++ {
			for x := 0; x < sz.X; {
				n := 1 + rng.IntN(20)
				v := []uint8{0, 255, 255, uint8(rng.IntN(256))}[rng.IntN(4)]
				for ; n > 0 && x < sz.X; n-- {
					runs.Pix[runs.PixOffset(x, y)] = v
					x++
				}
			}
		}
		for i := range full.Pix {
			full.Pix[i] = 255
		}
		part := image.NewAlpha(image.Rect(sz.X/4, sz.Y/3, sz.X*3/4, sz.Y))
		for i := range part.Pix {
			part.Pix[i] = 255
		}
		masks["runs"], masks["all-opaque"], masks["partial-rect"] = runs, full, part
		for name, m := range masks {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.X, sz.Y, name), func(t *testing.T) {
				got := Composite(photo, m, bg)
				want := CoverFit(bg, sz.X, sz.Y)
				for y := 0; y < sz.Y; y++ {
					for x := 0; x < sz.X; x++ {
						if !(image.Point{x, y}).In(m.Rect) {
							continue
						}
						a := uint32(m.AlphaAt(x, y).A)
						p, q := photo.RGBAAt(x, y), want.RGBAAt(x, y)
						mix := func(p, q uint8) uint8 { return uint8((uint32(p)*a + uint32(q)*(255-a) + 127) / 255) }
						want.SetRGBA(x, y, color.RGBA{mix(p.R, q.R), mix(p.G, q.G), mix(p.B, q.B), mix(p.A, q.A)})
					}
				}
				for i := range got.Pix {
					if got.Pix[i] != want.Pix[i] {
						t.Fatalf("byte %d (pixel %d,%d) = %d, want %d", i, i/4%sz.X, i/4/sz.X, got.Pix[i], want.Pix[i])
					}
				}
			})
		}
	}
}

func BenchmarkCoverFit(b *testing.B) {
	bg := randomRGBA(rand.New(rand.NewPCG(1, 1)), 2560, 1600)
	for _, sz := range []image.Point{{1000, 1000}, {1600, 1200}, {640, 480}} {
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			levels := mipLevels(bg)
			for b.Loop() {
				out := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
				f := newFit(levels, sz.X, sz.Y)
				for y := 0; y < sz.Y; y++ {
					f.span(out.Pix[y*out.Stride:], y, 0, sz.X)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/(float64(sz.X*sz.Y)/1e6), "ms/MP")
		})
	}
}

// TestInto checks that CompositeInto and WhiteInto overwrite every pixel of
// a reused dst (here full of noise) and give Composite's and White's
// images, and that a dst of another size is left alone.
func TestInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	photo := randomRGBA(rng, 57, 41)
	bg := NewSet(Background{Name: "bg", Image: randomRGBA(rng, 120, 70)}).Pick(0, "")
	runs := image.NewAlpha(photo.Rect)
	for i := range runs.Pix {
		runs.Pix[i] = []uint8{0, 255, 255, 255, 90}[(i/5+i/57)%5]
	}
	for _, m := range []*image.Alpha{nil, runs, disc(57, 41, 28, 20, 15)} {
		for _, opts := range [][]Option{nil, {WithFeather(3)}} {
			dst := randomRGBA(rng, 57, 41)
			if got := bg.CompositeInto(dst, photo, m, opts...); got != dst || !samePix(got, bg.Composite(photo, m, opts...)) {
				t.Errorf("CompositeInto (mask %v, %d options): not dst, or differs from Composite", m != nil, len(opts))
			}
			if got := WhiteInto(dst, photo, m, opts...); got != dst || !samePix(got, White(photo, m, opts...)) {
				t.Errorf("WhiteInto (mask %v, %d options): not dst, or differs from White", m != nil, len(opts))
			}
		}
	}
	small := randomRGBA(rng, 10, 10)
	keep := append([]uint8(nil), small.Pix...)
	if got := WhiteInto(small, photo, runs); got == small || got.Rect != photo.Rect || string(small.Pix) != string(keep) {
		t.Error("WhiteInto with a dst of another size must return a new image and leave dst alone")
	}
}

func samePix(a, b *image.RGBA) bool {
	return a.Rect == b.Rect && string(a.Pix) == string(b.Pix)
}

// areaReference is the cover fit's crop sr of src shrunk to w×h by exact
// area averaging in floating point (what OpenCV's INTER_AREA computes, the
// alias-free shrink), separably, one value per channel.
func areaReference(src *image.RGBA, sr image.Rectangle, w, h int) []float64 {
	// weights[i] lists, for output i, the source coordinates it covers and
	// how much of each (the overlap of [i·s, (i+1)·s) with each pixel).
	weights := func(n, lo, span int) [][][2]float64 {
		s := float64(span) / float64(n)
		ws := make([][][2]float64, n)
		for i := range ws {
			a, b := float64(i)*s, float64(i+1)*s
			for c := int(a); c < span && float64(c) < b; c++ {
				if o := math.Min(b, float64(c+1)) - math.Max(a, float64(c)); o > 0 {
					ws[i] = append(ws[i], [2]float64{float64(lo + c), o / s})
				}
			}
		}
		return ws
	}
	wx, wy := weights(w, sr.Min.X, sr.Dx()), weights(h, sr.Min.Y, sr.Dy())
	rows := make([]float64, 4*w*sr.Dy()) // horizontal pass of every crop row
	for y := 0; y < sr.Dy(); y++ {
		row := src.Pix[(sr.Min.Y+y)*src.Stride:]
		for x, ws := range wx {
			for _, cw := range ws {
				for k := range 4 {
					rows[4*(y*w+x)+k] += float64(row[4*int(cw[0])+k]) * cw[1]
				}
			}
		}
	}
	out := make([]float64, 4*w*h)
	for y, ws := range wy {
		for _, cw := range ws {
			r := rows[4*w*(int(cw[0])-sr.Min.Y):][:4*w]
			for i, v := range r {
				out[4*w*y+i] += v * cw[1]
			}
		}
	}
	return out
}

// TestFitQuality checks that the cover fit of a detailed 2560×1600
// landscape (waves of periods from 3 to 40 pixels, the finest close to
// where a shrink aliases) stays as close to the exact area-averaged
// shrink as the exact (one rounding) bilinear sampler of the mip levels
// was: PSNR against the reference at or above its figure, less 0.1 dB.
func TestFitQuality(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const sw, sh = 2560, 1600
	type wave struct{ fx, fy, ph, amp float64 }
	var waves [4][]wave
	for k := range 3 {
		for range 6 {
			p := 3 + rng.Float64()*37
			a := rng.Float64() * 2 * math.Pi
			waves[k] = append(waves[k], wave{math.Cos(a) / p, math.Sin(a) / p, rng.Float64() * 2 * math.Pi, 10 + rng.Float64()*15})
		}
	}
	src := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			for k := range 3 {
				v := 128.0
				for _, wv := range waves[k] {
					v += wv.amp * math.Sin(2*math.Pi*(wv.fx*float64(x)+wv.fy*float64(y))+wv.ph)
				}
				src.Pix[src.PixOffset(x, y)+k] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
			src.Pix[src.PixOffset(x, y)+3] = 255
		}
	}
	levels := mipLevels(src)
	tests := []struct {
		w, h int
		min  float64 // dB: the exact sampler's PSNR (before issue 13's kernel), less 0.1
	}{
		{1000, 1000, 44.10}, // from the full size, shrunk 1.6×
		{640, 480, 39.99},   // from the first halving, 1.67×
		{300, 400, 55.98},   // from the second halving, 1×
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			f := newFit(levels, tt.w, tt.h)
			got := make([]uint8, 4*tt.w)
			// The reference is taken over the full-size image's crop that
			// the chosen level's crop stands for.
			s := float64(sw) / float64(f.src.Rect.Dx())
			sr := image.Rect(int(math.Round(float64(f.sr.Min.X)*s)), int(math.Round(float64(f.sr.Min.Y)*s)),
				int(math.Round(float64(f.sr.Max.X)*s)), int(math.Round(float64(f.sr.Max.Y)*s)))
			ref := areaReference(src, sr, tt.w, tt.h)
			var se float64
			for y := 0; y < tt.h; y++ {
				f.span(got, y, 0, tt.w)
				for i, v := range got {
					if i%4 != 3 {
						d := float64(v) - ref[4*tt.w*y+i]
						se += d * d
					}
				}
			}
			psnr := 10 * math.Log10(255*255/(se/float64(3*tt.w*tt.h)))
			t.Logf("PSNR against the area-averaged shrink: %.2f dB (level %v, crop %v)", psnr, f.src.Rect.Size(), f.sr)
			if psnr < tt.min {
				t.Errorf("PSNR %.2f dB, want at least %.2f", psnr, tt.min)
			}
		})
	}
}
