package cv

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// refPlanar is the straightforward version of ResizePlanar: every output
// value on its own, in float64, from the four source pixels around it, with
// the same pixel-centre mapping, edge clamping and 11-bit weights.
func refPlanar(dst []float32, src *image.RGBA, p Planar) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	tap := func(o, n, size int) (i, j int, w float64) {
		f := (float64(o)+0.5)*float64(size)/float64(n) - 0.5
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
	at := func(x, y, b int) float64 {
		return float64(src.Pix[src.PixOffset(src.Rect.Min.X+x, src.Rect.Min.Y+y)+b])
	}
	for y := range p.RH {
		i0, i1, wy := tap(y, p.RH, sh)
		for x := range p.RW {
			j0, j1, wx := tap(x, p.RW, sw)
			for c := range 3 {
				b := p.Order[c]
				top := at(j0, i0, b)*(1-wx) + at(j1, i0, b)*wx
				bot := at(j0, i1, b)*(1-wx) + at(j1, i1, b)*wx
				v := (top*(1-wy)+bot*wy)*float64(p.Mul[c]) + float64(p.Add[c])
				dst[c*p.W*p.H+(p.Y+y)*p.W+p.X+x] = float32(v)
			}
		}
	}
}

// noisyRGBA returns a w×h image of random bytes whose bounds start at
// (ox, oy), cut from a larger image so that its stride is wider than a row.
func noisyRGBA(w, h, ox, oy int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	big := image.NewRGBA(image.Rect(0, 0, ox+w+3, oy+h+2))
	for i := range big.Pix {
		big.Pix[i] = uint8(r.Uint32())
	}
	return big.SubImage(image.Rect(ox, oy, ox+w, oy+h)).(*image.RGBA)
}

func TestResizePlanar(t *testing.T) {
	const sentinel = -12345
	tests := []struct {
		name       string
		sw, sh     int
		p          Planar
		rowsSplits int // the rows are written in this many calls
	}{
		{"enlarge 512² to 640² (BGR, raw)", 512, 512, Planar{W: 640, H: 640, RW: 640, RH: 640, Order: [3]int{2, 1, 0}, Mul: [3]float32{1, 1, 1}}, 1},
		{"reduce 3.2× into a centred box", 2048, 1150, Planar{W: 640, H: 640, Y: 140, RW: 640, RH: 359, Order: [3]int{0, 1, 2}, Mul: [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}}, 2},
		{"reduce 5× (gathers)", 1000, 200, Planar{W: 200, H: 64, Y: 7, RW: 200, RH: 40, Order: [3]int{0, 1, 2}, Mul: [3]float32{1, 1, 1}}, 3},
		{"tall, offset, mean and scale", 37, 301, Planar{W: 96, H: 80, X: 40, Y: 3, RW: 9, RH: 73, Order: [3]int{1, 2, 0}, Mul: [3]float32{0.5, -2, 1.0 / 58}, Add: [3]float32{-1, 3.5, 0.25}}, 2},
		{"one source column", 1, 50, Planar{W: 64, H: 64, X: 30, RW: 4, RH: 64, Order: [3]int{0, 1, 2}, Mul: [3]float32{1, 1, 1}}, 1},
		{"two source columns, wide", 2, 3, Planar{W: 100, H: 10, RW: 100, RH: 10, Order: [3]int{2, 1, 0}, Mul: [3]float32{1, 1, 1}}, 1},
		{"one source row", 700, 1, Planar{W: 640, H: 8, Y: 4, RW: 640, RH: 1, Order: [3]int{0, 1, 2}, Mul: [3]float32{1, 1, 1}}, 1},
		{"alpha byte", 33, 17, Planar{W: 47, H: 21, X: 1, Y: 2, RW: 45, RH: 19, Order: [3]int{3, 3, 0}, Mul: [3]float32{1, 1, 1}}, 1},
	}
	for ti, tc := range tests {
		src := noisyRGBA(tc.sw, tc.sh, 3, 5, uint64(ti))
		want := make([]float32, 3*tc.p.W*tc.p.H)
		for i := range want {
			want[i] = sentinel
		}
		refPlanar(want, src, tc.p)
		// Everything is scaled to at most 255·|mul| + |add|: the tolerance
		// is relative to that.
		scale := make([]float64, 3)
		for c := range 3 {
			scale[c] = 255*math.Abs(float64(tc.p.Mul[c])) + math.Abs(float64(tc.p.Add[c]))
		}
		for _, portable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/portable=%v", tc.name, portable), func(t *testing.T) {
				defer setPortablePlanar(setPortablePlanar(portable))
				got := make([]float32, len(want))
				for i := range got {
					got[i] = sentinel
				}
				for k := range tc.rowsSplits {
					y0, y1 := k*tc.p.RH/tc.rowsSplits, (k+1)*tc.p.RH/tc.rowsSplits
					if err := ResizePlanar(got, src, tc.p, y0, y1); err != nil {
						t.Fatal(err)
					}
				}
				bad := 0
				plane := tc.p.W * tc.p.H
				for i := range got {
					tol := 1e-6 * scale[i/plane]
					if want[i] == sentinel {
						tol = 0 // padding: untouched
					}
					if d := math.Abs(float64(got[i]) - float64(want[i])); d > tol || math.IsNaN(d) {
						if bad++; bad <= 5 {
							c, y, x := i/plane, i%plane/tc.p.W, i%tc.p.W
							t.Errorf("channel %d (%d,%d) = %v, want %v", c, x, y, got[i], want[i])
						}
					}
				}
				if bad > 5 {
					t.Errorf("%d values wrong in all", bad)
				}
			})
		}
	}
}

// TestResizePlanarKernels checks that the AVX-512 and portable kernels
// give the same bits, on sizes that exercise every path (blocks of 16
// output pixels, spans up to 32 and 64 source pixels, gathers, tails).
func TestResizePlanarKernels(t *testing.T) {
	for i, sz := range [][4]int{{512, 512, 640, 640}, {2048, 1150, 640, 359}, {640, 480, 640, 480}, {1280, 40, 640, 20}, {2560, 30, 640, 7}, {3, 3, 17, 40}, {999, 17, 333, 5}} {
		src := noisyRGBA(sz[0], sz[1], i, 1, uint64(100+i))
		p := Planar{W: sz[2] + 3, H: sz[3] + 1, X: 2, Y: 1, RW: sz[2], RH: sz[3], Order: [3]int{2, 0, 1}, Mul: [3]float32{1.0 / 255, 1.0 / 3, 7}, Add: [3]float32{0.5, 0, -100}}
		run := func(portable bool) []float32 {
			defer setPortablePlanar(setPortablePlanar(portable))
			d := make([]float32, 3*p.W*p.H)
			if err := ResizePlanar(d, src, p, 0, p.RH); err != nil {
				t.Fatal(err)
			}
			return d
		}
		a, b := run(false), run(true)
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Errorf("%v: value %d: %v (AVX-512 or portable) != %v (portable)", sz, j, a[j], b[j])
				break
			}
		}
	}
}

func TestResizePlanarErrors(t *testing.T) {
	src := noisyRGBA(10, 10, 0, 0, 1)
	ok := Planar{W: 8, H: 8, RW: 8, RH: 8}
	tests := []struct {
		name   string
		dst    int
		src    *image.RGBA
		p      Planar
		y0, y1 int
	}{
		{"empty source", 192, &image.RGBA{}, ok, 0, 8},
		{"box outside the plane", 192, src, Planar{W: 8, H: 8, X: 1, RW: 8, RH: 8}, 0, 8},
		{"zero box", 192, src, Planar{W: 8, H: 8}, 0, 0},
		{"tensor too small", 191, src, ok, 0, 8},
		{"rows past the box", 192, src, ok, 0, 9},
		{"rows reversed", 192, src, ok, 5, 4},
		{"bad channel", 192, src, Planar{W: 8, H: 8, RW: 8, RH: 8, Order: [3]int{0, 4, 1}}, 0, 8},
		{"short pixels", 192, &image.RGBA{Pix: make([]byte, 399), Stride: 40, Rect: image.Rect(0, 0, 10, 10)}, ok, 0, 8},
		{"narrow stride", 192, &image.RGBA{Pix: make([]byte, 400), Stride: 39, Rect: image.Rect(0, 0, 10, 10)}, ok, 0, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ResizePlanar(make([]float32, tc.dst), tc.src, tc.p, tc.y0, tc.y1); err == nil {
				t.Error("no error")
			}
		})
	}
}

// BenchmarkResizePlanar times the letterbox of the face detectors' photos
// (a 512² portrait and a 2048×1150 group photo into 640×640) on one CPU.
func BenchmarkResizePlanar(b *testing.B) {
	for _, sz := range []image.Point{{512, 512}, {2048, 1150}} {
		src := noisyRGBA(sz.X, sz.Y, 0, 0, 7)
		s := min(640/float64(sz.X), 640/float64(sz.Y))
		p := Planar{W: 640, H: 640, RW: int(math.Round(float64(sz.X) * s)), RH: int(math.Round(float64(sz.Y) * s)), Order: [3]int{2, 1, 0}, Mul: [3]float32{1, 1, 1}}
		d := make([]float32, 3*640*640)
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			for b.Loop() {
				if err := ResizePlanar(d, src, p, 0, p.RH); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
