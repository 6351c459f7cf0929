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
	return (x - float64(l.padX)) / l.scale, (y - float64(l.padY)) / l.scale
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
	c0, c2 := 0, 2
	if n.bgr {
		c0, c2 = 2, 0
	}
	// Blended values are in units of 1/(2048*2048) of a pixel level.
	var mul [3]float32
	for c := range 3 {
		mul[c] = n.mul[c] / (one * one)
	}
	sy := float64(srcH) / float64(l.rh)
	rows := func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			out := l.padY + y
			// Padding columns of this row.
			for c := range 3 {
				p := dst[c*plane+out*l.w : c*plane+(out+1)*l.w]
				for x := 0; x < l.padX; x++ {
					p[x] = n.pad[c]
				}
				for x := l.padX + l.rw; x < l.w; x++ {
					p[x] = n.pad[c]
				}
			}
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
			wy := int32(math.Round(fy * one))
			r0 := img.Pix[iy*img.Stride : iy*img.Stride+srcW*4]
			r1 := img.Pix[iy2*img.Stride : iy2*img.Stride+srcW*4]
			base := out*l.w + l.padX
			p0 := dst[c0*plane+base : c0*plane+base+l.rw]
			p1 := dst[plane+base : plane+base+l.rw]
			p2 := dst[c2*plane+base : c2*plane+base+l.rw]
			p1 = p1[:len(p0)]
			p2 = p2[:len(p0)]
			m0, m1, m2 := mul[c0], mul[1], mul[c2]
			a0, a1, a2 := n.add[c0], n.add[1], n.add[c2]
			tp := taps[:len(p0)]
			for x, t := range tp {
				a := r0[t.i : t.i+3 : t.i+3]
				b := r0[t.j : t.j+3 : t.j+3]
				c := r1[t.i : t.i+3 : t.i+3]
				d := r1[t.j : t.j+3 : t.j+3]
				wx := t.w
				// top and bottom rows, then between them
				tr := int32(a[0])*(one-wx) + int32(b[0])*wx
				br := int32(c[0])*(one-wx) + int32(d[0])*wx
				tg := int32(a[1])*(one-wx) + int32(b[1])*wx
				bg := int32(c[1])*(one-wx) + int32(d[1])*wx
				tb := int32(a[2])*(one-wx) + int32(b[2])*wx
				bb := int32(c[2])*(one-wx) + int32(d[2])*wx
				p0[x] = float32(tr*(one-wy)+br*wy)*m0 + a0
				p1[x] = float32(tg*(one-wy)+bg*wy)*m1 + a1
				p2[x] = float32(tb*(one-wy)+bb*wy)*m2 + a2
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
