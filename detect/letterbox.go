package detect

import (
	"image"
	"image/draw"
	"math"
	"runtime"
	"sync"
)

// letterbox records how a photo was fitted into a model's fixed input: scaled
// by scale (keeping its aspect ratio) and placed with its top-left corner at
// (padX, padY) of a w×h input.
type letterbox struct {
	scale      float64
	padX, padY int
	w, h       int // input size
	rw, rh     int // size of the scaled photo inside the input
	ox, oy     int // the photo's bounds.Min, added back by toPhoto
}

// newLetterbox fits a srcW×srcH photo into w×h. With center the photo is
// centred (Ultralytics' letterbox); otherwise it sits at the top-left corner.
func newLetterbox(srcW, srcH, w, h int, center bool) letterbox {
	s := math.Min(float64(w)/float64(srcW), float64(h)/float64(srcH))
	rw := min(w, max(1, int(math.Round(float64(srcW)*s))))
	rh := min(h, max(1, int(math.Round(float64(srcH)*s))))
	l := letterbox{scale: s, w: w, h: h, rw: rw, rh: rh}
	if center {
		l.padX, l.padY = (w-rw)/2, (h-rh)/2
	}
	return l
}

// toPhoto maps a point of the model input back to photo coordinates.
func (l letterbox) toPhoto(x, y float64) (float64, float64) {
	return (x-float64(l.padX))/l.scale + float64(l.ox), (y-float64(l.padY))/l.scale + float64(l.oy)
}

// pixelNorm says how to turn 8-bit pixels into a model's float input: output
// channel c is pix*mul[c] + add[c], where the channels are R, G, B, or B, G,
// R with bgr. pad is the value of the input outside the photo, per output
// channel, in output units.
type pixelNorm struct {
	bgr      bool
	mul, add [3]float32
	pad      [3]float32
}

// toRGBA returns img as an *image.RGBA whose bounds start at (0,0), copying
// only when it is not one already.
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, img, b.Min, draw.Src)
	return m
}

// fillCHW writes img, resized bilinearly (pixel centres aligned, as OpenCV's
// INTER_LINEAR) into the letterbox l, as a planar 3×h×w float tensor in dst
// (len(dst) >= 3*l.w*l.h). Rows are split over the available CPUs.
func fillCHW(dst []float32, img *image.RGBA, l letterbox, n pixelNorm) {
	plane := l.w * l.h
	dst = dst[:3*plane]
	srcW, srcH := img.Rect.Dx(), img.Rect.Dy()
	// Horizontal taps, shared by every row: byte offsets of the two source
	// pixels and the weight of the second, in 1/2048ths (fixed point).
	const one = 1 << 11
	type tap struct{ i, j, w int32 }
	taps := make([]tap, l.rw)
	sx := float64(srcW) / float64(l.rw)
	for x := range l.rw {
		f := (float64(x)+0.5)*sx - 0.5
		i := int(math.Floor(f))
		w := f - float64(i)
		if i < 0 {
			i, w = 0, 0
		}
		j := i + 1
		if i >= srcW-1 {
			i, j, w = srcW-1, srcW-1, 0
		}
		taps[x] = tap{int32(4 * i), int32(4 * j), int32(math.Round(w * one))}
	}
	sy := float64(srcH) / float64(l.rh)
	// rows fills output rows y0..y1. It interpolates each source row it needs
	// horizontally once, into planar float rows already scaled by mul (the
	// values are exact in float32: 8-bit levels times 11-bit weights), and
	// keeps the last two, which consecutive output rows share when the photo
	// is scaled up; then it blends two such rows per output row.
	rows := func(y0, y1 int) {
		var hbuf [2][3][]float32
		for k := range hbuf {
			for c := range 3 {
				hbuf[k][c] = make([]float32, l.rw)
			}
		}
		hrow := [2]int{-1, -1}
		horiz := func(sy int) [3][]float32 {
			for k := range 2 {
				if hrow[k] == sy {
					return hbuf[k]
				}
			}
			// Replace the row that is not the other one in use: the older.
			k := 0
			if hrow[0] > hrow[1] {
				k = 1
			}
			hrow[k] = sy
			r := img.Pix[sy*img.Stride : sy*img.Stride+srcW*4]
			h0, h1, h2 := hbuf[k][0][:len(taps)], hbuf[k][1][:len(taps)], hbuf[k][2][:len(taps)]
			m0, m1, m2 := n.mul[0]/one, n.mul[1]/one, n.mul[2]/one
			s0, s2 := 0, 2
			if n.bgr {
				s0, s2 = 2, 0
			}
			for x, t := range taps {
				a := r[t.i : t.i+3 : t.i+3]
				b := r[t.j : t.j+3 : t.j+3]
				wa, wb := one-t.w, t.w
				h0[x] = float32(int32(a[s0])*wa+int32(b[s0])*wb) * m0
				h1[x] = float32(int32(a[1])*wa+int32(b[1])*wb) * m1
				h2[x] = float32(int32(a[s2])*wa+int32(b[s2])*wb) * m2
			}
			return hbuf[k]
		}
		for y := y0; y < y1; y++ {
			out := l.padY + y
			f := (float64(y)+0.5)*sy - 0.5
			iy := int(math.Floor(f))
			fy := f - float64(iy)
			if iy < 0 {
				iy, fy = 0, 0
			}
			iy2 := iy + 1
			if iy >= srcH-1 {
				iy, iy2, fy = srcH-1, srcH-1, 0
			}
			wy := float32(math.Round(fy*one)) / one
			gy := 1 - wy
			top := horiz(iy)
			bot := top
			if wy != 0 {
				bot = horiz(iy2)
				top = horiz(iy) // still cached: horiz keeps two rows
			}
			for c := range 3 {
				row := dst[c*plane+out*l.w : c*plane+(out+1)*l.w]
				pad := n.pad[c]
				for x := 0; x < l.padX; x++ {
					row[x] = pad
				}
				for x := l.padX + l.rw; x < l.w; x++ {
					row[x] = pad
				}
				p := row[l.padX : l.padX+l.rw]
				t, b := top[c][:len(p)], bot[c][:len(p)]
				add := n.add[c]
				if wy == 0 {
					for x := range p {
						p[x] = t[x] + add
					}
					continue
				}
				for x := range p {
					p[x] = t[x]*gy + b[x]*wy + add
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8, max(1, l.rh/64))
	if workers <= 1 {
		rows(0, l.rh)
	} else {
		var wg sync.WaitGroup
		step := (l.rh + workers - 1) / workers
		for y := 0; y < l.rh; y += step {
			wg.Add(1)
			go func(a, b int) {
				defer wg.Done()
				rows(a, b)
			}(y, min(y+step, l.rh))
		}
		wg.Wait()
	}
	// Padding rows above and below the photo.
	for c := range 3 {
		p := dst[c*plane : (c+1)*plane]
		for i := 0; i < l.padY*l.w; i++ {
			p[i] = n.pad[c]
		}
		for i := (l.padY + l.rh) * l.w; i < plane; i++ {
			p[i] = n.pad[c]
		}
	}
}

// floatPool recycles model input buffers of one size.
type floatPool struct {
	n int
	p sync.Pool
}

func newFloatPool(n int) *floatPool {
	fp := &floatPool{n: n}
	fp.p.New = func() any { b := make([]float32, n); return &b }
	return fp
}

func (fp *floatPool) get() *[]float32  { return fp.p.Get().(*[]float32) }
func (fp *floatPool) put(b *[]float32) { fp.p.Put(b) }
