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
	// columns around its sample point, relative to sr.Min.X, in the low 32
	// bits, and the weight of the second (0–256) in the high ones. For
	// output row y: the two source rows and the weight of the second.
	xtaps    []uint64
	yi0, yi1 []int32
	yf       []uint64
	// One row of the vertical pass over the crop's columns (one more, never
	// weighted, for the column after the last): for each source column, its
	// R, B, G and A in 16-bit lanes (in that order), each the two rows'
	// values weighted to a sum of 256.
	tmp []uint64
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
		f.xtaps[i] = uint64(xi[i]-int32(f.sr.Min.X)) | uint64(xf[i])<<32
	}
	var yf []uint32
	f.yi0, f.yi1, yf = bilinearTaps(h, f.sr.Min.Y, f.sr.Dy())
	f.yf = make([]uint64, h)
	for i, v := range yf {
		f.yf[i] = uint64(v)
	}
	f.tmp = make([]uint64, f.sr.Dx()+1)
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
// source columns the span needs, then each output pixel from two of those.
// Channels are done together in one integer (SWAR): two pixels' four
// channels in 16-bit lanes in the vertical pass, two channels in 32-bit
// lanes in the horizontal one. a·(256−f) + b·f is computed as a·256 +
// (b−a)·f: the lanes of b−a may borrow from each other, but every lane of
// the result lies in [0, 2^lane bits), so the sum modulo 2⁶⁴ is exact.
// The result is exactly (in integers) ((p00·gx + p01·fx)·gy + (p10·gx +
// p11·fx)·fy + 2¹⁵) >> 16.
func (f *fit) bilinearSpan(d []uint8, y, x0, x1 int) {
	s := f.src
	// Source columns [c0, c1), relative to sr.Min.X.
	c0, c1 := int(uint32(f.xtaps[x0])), min(int(uint32(f.xtaps[x1-1]))+2, f.sr.Dx())
	base := 4 * (f.sr.Min.X + c0)
	n := 4 * (c1 - c0)
	blendRows(f.tmp[c0:c1], s.Pix[int(f.yi0[y])*s.Stride+base:][:n], s.Pix[int(f.yi1[y])*s.Stride+base:][:n], f.yf[y])
	blendColumns(d[4*x0:4*x1], f.tmp, f.xtaps[x0:x1])
}

// blendRows is the vertical pass of bilinearSpan: for each pixel of the
// rows r0 and r1, r0·(256−fy) + r1·fy into t, one uint64 per pixel with
// R, B, G and A in 16-bit lanes.
func blendRows(t []uint64, r0, r1 []uint8, fy uint64) {
	const m8 = 0x00FF00FF00FF00FF
	const lo32 = 0x00000000FFFFFFFF
	n := min(len(r0), len(r1), 4*len(t))
	i := 0
	for ; i+8 <= n; i += 8 { // two pixels
		p := binary.LittleEndian.Uint64(r0[i : i+8])
		q := binary.LittleEndian.Uint64(r1[i : i+8])
		// Lanes R, B, R', B' and G, A, G', A', each ≤ 255·256.
		rb := (p&m8)<<8 + ((q&m8)-(p&m8))*fy
		ga := (p>>8&m8)<<8 + ((q>>8&m8)-(p>>8&m8))*fy
		o := t[i/4 : i/4+2 : i/4+2]
		o[0] = rb&lo32 | ga<<32
		o[1] = rb>>32 | ga&^lo32
	}
	if i+4 <= n { // an odd last pixel
		p := uint64(binary.LittleEndian.Uint32(r0[i : i+4]))
		q := uint64(binary.LittleEndian.Uint32(r1[i : i+4]))
		rb := (p&m8)<<8 + ((q&m8)-(p&m8))*fy
		ga := (p>>8&m8)<<8 + ((q>>8&m8)-(p>>8&m8))*fy
		t[i/4] = rb&lo32 | ga<<32
	}
}

// blendColumns is the horizontal pass of bilinearSpan: for each tap (the
// column c in its low 32 bits, the weight f, 0–256, in its high ones),
// t[c]·(256−f) + t[c+1]·f, rounded to 8 bits, is the next pixel of out.
func blendColumns(out []uint8, t []uint64, taps []uint64) {
	const m16 = 0x0000FFFF0000FFFF
	const round = 1<<15 | 1<<47
	const lo8 = 0x000000FF000000FF
	for x, tp := range taps {
		c, fx := int(uint32(tp)), tp>>32
		v := t[c : c+2 : c+2] // columns c and c+1
		a, b := v[0], v[1]
		// R and G, then B and A, in 32-bit lanes; each lane of the sum is
		// ≤ 255·256·256 + 2¹⁵ < 2³².
		e := ((a&m16)<<8 + ((b&m16)-(a&m16))*fx + round) >> 16 & lo8
		o := ((a>>16&m16)<<8 + ((b>>16&m16)-(a>>16&m16))*fx + round) >> 16 & lo8
		w := e | o<<16 // bytes R, B, G, A at 0, 2, 4, 6
		binary.LittleEndian.PutUint32(out[4*x:], uint32(w|w>>24))
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
