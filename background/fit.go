package background

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// CoverFit returns bg scaled, keeping its aspect ratio, to the smallest size
// that covers w×h, then centre-cropped to exactly w×h. An *image.Uniform
// simply fills w×h.
func CoverFit(bg image.Image, w, h int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	f := newFit(mipLevels(bg), w, h)
	for y := 0; y < h; y++ {
		f.span(out.Pix[y*out.Stride:y*out.Stride+4*w], y, 0, w)
	}
	return out
}

// mipLevels returns img as *image.RGBA followed by its successive halvings
// while both sides are at least 512 pixels. An *image.Uniform is returned
// alone.
func mipLevels(img image.Image) []image.Image {
	if u, ok := img.(*image.Uniform); ok {
		return []image.Image{u}
	}
	rgba := imageio.ToRGBA(img)
	levels := []image.Image{rgba}
	for m := rgba; m.Rect.Dx() >= 512 && m.Rect.Dy() >= 512; {
		m = halve(m)
		levels = append(levels, m)
	}
	return levels
}

// fit is the cover fit of one background to w×h (see CoverFit), made a row
// span at a time so that a composite resamples the background only where it
// shows. Its mode is one of: a uniform fill, a plain copy of a crop (the
// level already has the right scale), or a bilinear resampling of a crop.
type fit struct {
	fill []uint8 // uniform: one row of w pixels of the colour

	src *image.RGBA     // copy and bilinear: the chosen level
	sr  image.Rectangle // the crop of src that maps onto w×h

	// Bilinear only. For output column x: the first of the two source
	// columns around its sample point, relative to sr.Min.X, in bits 48 and
	// up, and below them the multiplier f | (256−f)<<32 of blendColumns (f,
	// 0–256, the weight of the second column). For output row y: the two
	// source rows and the weight of the second.
	xtaps []uint64
	// The same taps for blendColumnsVec, made only where it has a vector
	// kernel: each output column's byte offset in tmp, and its four weight
	// words (256−f) | f<<16.
	xoff     []int32
	xw       []uint32
	yi0, yi1 []int32
	yf       []uint64
	// One row of the vertical pass over the crop's columns, RGBA bytes as
	// in an image.RGBA, with one pixel more (never weighted, for the column
	// after the last).
	tmp []uint8
}

// newFit prepares the cover fit to w×h from the best level of a mip chain
// (each level half the size of the one before): the smallest level that
// still covers w×h, so that the bilinear step never shrinks by 2 or more and
// does not alias, and so a cheap bilinear sampler is enough.
func newFit(levels []image.Image, w, h int) *fit {
	f := &fit{}
	src := levels[0]
	for _, l := range levels[1:] {
		b := l.Bounds()
		if b.Dx() < w || b.Dy() < h {
			break
		}
		src = l
	}
	if u, ok := src.(*image.Uniform); ok { // unbounded: nothing to fit
		c := color.RGBAModel.Convert(u.C).(color.RGBA)
		f.fill = make([]uint8, 4*w)
		for x := 0; x < w; x++ {
			f.fill[4*x], f.fill[4*x+1], f.fill[4*x+2], f.fill[4*x+3] = c.R, c.G, c.B, c.A
		}
		return f
	}
	f.src = imageio.ToRGBA(src)
	sb := f.src.Rect
	scale := math.Max(float64(w)/float64(sb.Dx()), float64(h)/float64(sb.Dy()))
	// The part of src that maps onto w×h, centred.
	cw := math.Min(float64(sb.Dx()), float64(w)/scale)
	ch := math.Min(float64(sb.Dy()), float64(h)/scale)
	x0 := (float64(sb.Dx()) - cw) / 2
	y0 := (float64(sb.Dy()) - ch) / 2
	f.sr = image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x0+cw)), int(math.Round(y0+ch)))
	if f.sr.Dx() == w && f.sr.Dy() == h {
		return f // copy
	}
	xi, _, xf := bilinearTaps(w, f.sr.Min.X, f.sr.Dx())
	f.xtaps = make([]uint64, w)
	for i := range xf {
		f.xtaps[i] = uint64(xi[i]-int32(f.sr.Min.X))<<48 | uint64(256-xf[i])<<32 | uint64(xf[i])
	}
	if useAVX2 {
		f.xoff, f.xw = make([]int32, w), make([]uint32, 4*w)
		for i := range xf {
			f.xoff[i] = 4 * (xi[i] - int32(f.sr.Min.X))
			wv := (256 - xf[i]) | xf[i]<<16
			f.xw[4*i], f.xw[4*i+1], f.xw[4*i+2], f.xw[4*i+3] = wv, wv, wv, wv
		}
	}
	var yf []uint32
	f.yi0, f.yi1, yf = bilinearTaps(h, f.sr.Min.Y, f.sr.Dy())
	f.yf = make([]uint64, h)
	for i, v := range yf {
		f.yf[i] = uint64(v)
	}
	f.tmp = make([]uint8, 4*(f.sr.Dx()+1))
	return f
}

// bilinearTaps returns, for each of n output coordinates spread evenly over
// the span source coordinates from lo, the two source coordinates around
// its sample point (pixel centres) and the weight of the second, 0–256.
func bilinearTaps(n, lo, span int) (i0, i1 []int32, f []uint32) {
	i0, i1, f = make([]int32, n), make([]int32, n), make([]uint32, n)
	for i := 0; i < n; i++ {
		p := float64(lo) + (float64(i)+0.5)*float64(span)/float64(n) - 0.5
		p = math.Max(float64(lo), math.Min(p, float64(lo+span-1)))
		a := int(p)
		i0[i], i1[i] = int32(a), int32(min(a+1, lo+span-1))
		f[i] = uint32(math.Round((p - float64(a)) * 256))
	}
	return i0, i1, f
}

// span writes pixels [x0, x1) of row y of the fit into d[4*x0:4*x1].
func (f *fit) span(d []uint8, y, x0, x1 int) {
	if x0 >= x1 {
		return
	}
	switch {
	case f.fill != nil:
		copy(d[4*x0:4*x1], f.fill[4*x0:4*x1])
	case f.xtaps == nil:
		s := f.src
		o := (f.sr.Min.Y+y)*s.Stride + 4*f.sr.Min.X
		copy(d[4*x0:4*x1], s.Pix[o+4*x0:o+4*x1])
	default:
		f.bilinearSpan(d, y, x0, x1)
	}
}

// bilinearSpan samples pixels [x0, x1) of output row y bilinearly, in
// fixed point, into d[4*x0:4*x1]: first the two source rows blended over the
// source columns the span needs and rounded to 8 bits, then each output
// pixel from two of those. Channels are done together in one integer
// (SWAR, see blendRows and blendColumns), so each pass costs one or two
// multiplications a pixel, and the result depends on nothing but the
// pixels and the taps (the same bytes whatever runs it, and however a row
// is cut into spans). On amd64 with AVX2 both passes run vector kernels
// (blend_amd64.s) for all but a row's last few pixels; they compute the
// same integers.
func (f *fit) bilinearSpan(d []uint8, y, x0, x1 int) {
	s := f.src
	// Source columns [c0, c1), relative to sr.Min.X.
	c0, c1 := int(f.xtaps[x0]>>48), min(int(f.xtaps[x1-1]>>48)+2, f.sr.Dx())
	base := 4 * (f.sr.Min.X + c0)
	n := 4 * (c1 - c0)
	t := f.tmp[4*c0 : 4*c1]
	r0, r1 := s.Pix[int(f.yi0[y])*s.Stride+base:][:n], s.Pix[int(f.yi1[y])*s.Stride+base:][:n]
	k := blendRowsVec(t, r0, r1, f.yf[y]) // where there is a vector kernel, most of the row
	blendRows(t[k:], r0[k:], r1[k:], f.yf[y])
	out := d[4*x0 : 4*x1]
	k = 0
	if f.xw != nil {
		k = blendColumnsVec(out, f.tmp, f.xoff[x0:x1], f.xw[4*x0:4*x1])
	}
	blendColumns(out[4*k:], f.tmp, f.xtaps[x0+k:x1])
}

// blendRows is the vertical pass of bilinearSpan: for each byte of the rows
// r0 and r1, (r0·(256−fy) + r1·fy + 128) >> 8 into t. Two pixels are done
// in one 64-bit word: R and B of both in four 16-bit lanes, then G and A;
// no lane's sum exceeds 255·256 + 128, so none carries into the next.
func blendRows(t, r0, r1 []uint8, fy uint64) {
	const m8 = 0x00FF00FF00FF00FF
	const half = 0x0080008000800080
	gy := 256 - fy
	n := min(len(r0), len(r1), len(t))
	t, r0, r1 = t[:n], r0[:n], r1[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		p := binary.LittleEndian.Uint64(r0[i : i+8])
		q := binary.LittleEndian.Uint64(r1[i : i+8])
		rb := (p&m8)*gy + (q&m8)*fy + half       // value·256 in each lane
		ga := (p>>8&m8)*gy + (q>>8&m8)*fy + half // the same, G and A
		binary.LittleEndian.PutUint64(t[i:i+8], rb>>8&m8|ga&^m8)
	}
	if i+4 <= n { // an odd last pixel
		p := uint64(binary.LittleEndian.Uint32(r0[i : i+4]))
		q := uint64(binary.LittleEndian.Uint32(r1[i : i+4]))
		rb := (p&m8)*gy + (q&m8)*fy + half
		ga := (p>>8&m8)*gy + (q>>8&m8)*fy + half
		binary.LittleEndian.PutUint32(t[i:i+4], uint32(rb>>8&m8|ga&^m8))
	}
}

// blendColumns is the horizontal pass of bilinearSpan: for each tap (the
// column c in its bits 48 and up, below them the multiplier m = f |
// (256−f)<<32), t's pixels c and c+1 blended as c·(256−f) + (c+1)·f,
// rounded to 8 bits, are the next pixel of out.
//
// The 8 bytes of the two pixels, R and B of both in 16-bit lanes (R₀, B₀,
// R₁, B₁, lowest first) times m give, in their upper 32 bits, R₀·(256−f) +
// R₁·f and B₀·(256−f) + B₁·f in two 16-bit lanes: each is at most 255·256,
// and the lower half's product (R₀ and B₀ times f) stays under 2³², so
// nothing carries between them. G and A the same way.
func blendColumns(out, t []uint8, taps []uint64) {
	const m8 = 0x00FF00FF00FF00FF
	const half = 0x0080008000000000 // 128 in the two upper lanes
	const mul = 1<<48 - 1
	out = out[:4*len(taps)]
	for x, tp := range taps {
		c, m := int(tp>>48), tp&mul
		p := binary.LittleEndian.Uint64(t[4*c : 4*c+8]) // pixels c and c+1
		rb := ((p&m8)*m + half) >> 40 & 0x00FF00FF      // R at byte 0, B at byte 2
		ga := ((p>>8&m8)*m + half) >> 32 & 0xFF00FF00   // G at byte 1, A at byte 3
		binary.LittleEndian.PutUint32(out[4*x:4*x+4], uint32(rb|ga))
	}
}

// halve returns m at half its size, each pixel the mean of a 2×2 block.
func halve(m *image.RGBA) *image.RGBA {
	w, h := m.Rect.Dx()/2, m.Rect.Dy()/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		r0 := m.Pix[(2*y)*m.Stride:]
		r1 := m.Pix[(2*y+1)*m.Stride:]
		d := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			for k := 0; k < 4; k++ {
				i := 8*x + k
				d[4*x+k] = uint8((uint32(r0[i]) + uint32(r0[i+4]) + uint32(r1[i]) + uint32(r1[i+4]) + 2) / 4)
			}
		}
	}
	return out
}
