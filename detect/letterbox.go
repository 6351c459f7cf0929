package detect

import (
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/phantom-vlm/phantom/internal/cv"
	"github.com/phantom-vlm/phantom/internal/imageio"
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

// fillCHW writes img, resized bilinearly (pixel centres aligned, as OpenCV's
// INTER_LINEAR) into the letterbox l, as a planar 3×h×w float tensor in dst
// (len(dst) >= 3*l.w*l.h), padding included.
func fillCHW(dst []float32, img *image.RGBA, l letterbox, n pixelNorm) {
	fillPhoto(dst, img, l, n)
	fillPad(dst, l, n.pad)
}

// fillPhoto writes the photo's rectangle of the letterbox (l.rw×l.rh at
// (l.padX, l.padY)) and leaves the padding as it is. The work is the C
// kernel of cv.ResizePlanar (11-bit fixed-point taps, each source row
// interpolated horizontally once, vectorised), on the calling goroutine: at
// about 0.3–0.5 ms for a 640×640 input it is bound by memory, and splitting
// the rows over two CPUs saved less wall time than it added CPU time.
func fillPhoto(dst []float32, img *image.RGBA, l letterbox, n pixelNorm) {
	p := cv.Planar{
		W: l.w, H: l.h, X: l.padX, Y: l.padY, RW: l.rw, RH: l.rh,
		Order: [3]int{0, 1, 2}, Mul: n.mul, Add: n.add,
	}
	if n.bgr {
		p.Order = [3]int{2, 1, 0}
	}
	if err := cv.ResizePlanar(dst, img, p, 0, l.rh); err != nil {
		// The sizes come from newLetterbox and the pools: a failure here
		// is a bug, not a bad photo.
		panic(fmt.Sprintf("detect: letterbox %+v of a %v photo: %v", l, img.Rect, err))
	}
}

// fillPad writes pad[c] into channel c of the letterbox's padding: every
// value of dst outside the photo's rectangle.
func fillPad(dst []float32, l letterbox, pad [3]float32) {
	plane := l.w * l.h
	for c := range 3 {
		p := dst[c*plane : (c+1)*plane]
		v := pad[c]
		setAll(p[:l.padY*l.w], v)
		setAll(p[(l.padY+l.rh)*l.w:], v)
		if l.rw == l.w {
			continue
		}
		for y := l.padY; y < l.padY+l.rh; y++ {
			row := p[y*l.w : (y+1)*l.w]
			setAll(row[:l.padX], v)
			setAll(row[l.padX+l.rw:], v)
		}
	}
}

// setAll sets every element of s to v, doubling a filled prefix with copy
// (memmove) for long runs.
func setAll(s []float32, v float32) {
	if v == 0 {
		clear(s)
		return
	}
	const first = 64
	n := min(len(s), first)
	for i := range n {
		s[i] = v
	}
	for n < len(s) {
		n += copy(s[n:], s[:n])
	}
}

// inputBuf is a pooled model input tensor. It remembers the letterbox and
// pad values its padding was last written for, so that a buffer reused for
// a photo of the same shape (the common case: a batch from one camera)
// writes only the photo's rectangle.
type inputBuf struct {
	data   []float32
	padded padKey
}

// padKey identifies the padding of a letterbox: the photo's rectangle in
// the input and the pad values. ok is false until the padding is written.
type padKey struct {
	ok                 bool
	w, h               int
	padX, padY, rw, rh int
	pad                [3]float32
}

// fill letterboxes img into the buffer (see fillCHW), writing the padding
// only when it differs from what the buffer already holds.
func (b *inputBuf) fill(img *image.RGBA, l letterbox, n pixelNorm) {
	fillPhoto(b.data, img, l, n)
	k := padKey{ok: true, w: l.w, h: l.h, padX: l.padX, padY: l.padY, rw: l.rw, rh: l.rh, pad: n.pad}
	if b.padded != k {
		fillPad(b.data, l, n.pad)
		b.padded = k
	}
}

// inputPool recycles model input buffers of one size.
type inputPool struct {
	n int
	p sync.Pool
}

func newInputPool(n int) *inputPool {
	ip := &inputPool{n: n}
	ip.p.New = func() any { return &inputBuf{data: make([]float32, n)} }
	return ip
}

func (ip *inputPool) get() *inputBuf  { return ip.p.Get().(*inputBuf) }
func (ip *inputPool) put(b *inputBuf) { ip.p.Put(b) }

// rgbaOf returns img as an *image.RGBA, as it is when it is one (at any
// bounds: the letterbox reads through Rect and Stride) and copied otherwise.
func rgbaOf(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok {
		return m
	}
	return imageio.ToRGBA(img)
}
