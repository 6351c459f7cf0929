package background

import (
	"image"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"
)

// CoverFit returns bg scaled, keeping its aspect ratio, to the smallest size
// that covers w×h, then centre-cropped to exactly w×h. An *image.Uniform
// simply fills w×h.
func CoverFit(bg image.Image, w, h int) *image.RGBA {
	return coverFit(mipLevels(bg), w, h)
}

// mipLevels returns img as *image.RGBA followed by its successive halvings
// while both sides are at least 512 pixels. An *image.Uniform is returned
// alone.
func mipLevels(img image.Image) []image.Image {
	if u, ok := img.(*image.Uniform); ok {
		return []image.Image{u}
	}
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	levels := []image.Image{rgba}
	for m := rgba; m.Rect.Dx() >= 512 && m.Rect.Dy() >= 512; {
		m = halve(m)
		levels = append(levels, m)
	}
	return levels
}

// coverFit does CoverFit from the best level of a mip chain (each level half
// the size of the one before): the smallest level that still covers w×h, so
// that the final bilinear step never shrinks by more than 2 and does not
// alias, and so a cheap bilinear sampler is enough.
func coverFit(levels []image.Image, w, h int) *image.RGBA {
	src := levels[0]
	for _, l := range levels[1:] {
		b := l.Bounds()
		if b.Dx() < w || b.Dy() < h {
			break
		}
		src = l
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	if u, ok := src.(*image.Uniform); ok { // unbounded: nothing to fit
		draw.Draw(out, out.Rect, u, image.Point{}, draw.Src)
		return out
	}
	sb := src.Bounds()
	scale := math.Max(float64(w)/float64(sb.Dx()), float64(h)/float64(sb.Dy()))
	// The part of src that maps onto w×h, centred.
	cw := math.Min(float64(sb.Dx()), float64(w)/scale)
	ch := math.Min(float64(sb.Dy()), float64(h)/scale)
	x0 := float64(sb.Min.X) + (float64(sb.Dx())-cw)/2
	y0 := float64(sb.Min.Y) + (float64(sb.Dy())-ch)/2
	sr := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x0+cw)), int(math.Round(y0+ch)))
	if sr.Dx() == w && sr.Dy() == h {
		draw.Draw(out, out.Rect, src, sr.Min, draw.Src)
		return out
	}
	if rgba, ok := src.(*image.RGBA); ok {
		bilinear(out, rgba, sr)
	} else {
		xdraw.ApproxBiLinear.Scale(out, out.Rect, src, sr, xdraw.Src, nil)
	}
	return out
}

// taps holds, for each output coordinate along one axis, the two source
// coordinates around its sample point and the weight of the second (0–256).
type taps struct {
	i0, i1 []int
	f      []uint32
}

func newTaps(n, lo, span int) taps {
	t := taps{i0: make([]int, n), i1: make([]int, n), f: make([]uint32, n)}
	for i := 0; i < n; i++ {
		p := float64(lo) + (float64(i)+0.5)*float64(span)/float64(n) - 0.5
		p = math.Max(float64(lo), math.Min(p, float64(lo+span-1)))
		i0 := int(p)
		t.i0[i], t.i1[i] = i0, min(i0+1, lo+span-1)
		t.f[i] = uint32(math.Round((p - float64(i0)) * 256))
	}
	return t
}

// bilinear samples the sr part of src bilinearly into all of dst, in fixed
// point. dst.Rect must start at (0, 0).
func bilinear(dst, src *image.RGBA, sr image.Rectangle) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	xt := newTaps(w, sr.Min.X, sr.Dx())
	yt := newTaps(h, sr.Min.Y, sr.Dy())
	// Byte offsets of the two source columns of each output column.
	a0, a1 := make([]int, w), make([]int, w)
	for x := range w {
		a0[x], a1[x] = 4*(xt.i0[x]-src.Rect.Min.X), 4*(xt.i1[x]-src.Rect.Min.X)
	}
	for y := 0; y < h; y++ {
		r0 := src.Pix[(yt.i0[y]-src.Rect.Min.Y)*src.Stride:]
		r1 := src.Pix[(yt.i1[y]-src.Rect.Min.Y)*src.Stride:]
		fy := yt.f[y]
		gy := 256 - fy
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := 0; x < w; x++ {
			fx := xt.f[x]
			gx := 256 - fx
			p00, p01 := r0[a0[x]:a0[x]+4:a0[x]+4], r0[a1[x]:a1[x]+4:a1[x]+4]
			p10, p11 := r1[a0[x]:a0[x]+4:a0[x]+4], r1[a1[x]:a1[x]+4:a1[x]+4]
			o := d[4*x : 4*x+4 : 4*x+4]
			for k := range 4 {
				top := uint32(p00[k])*gx + uint32(p01[k])*fx
				bot := uint32(p10[k])*gx + uint32(p11[k])*fx
				o[k] = uint8((top*gy + bot*fy + 1<<15) >> 16)
			}
		}
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
