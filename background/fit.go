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
	xdraw.ApproxBiLinear.Scale(out, out.Rect, src, sr, xdraw.Src, nil)
	return out
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
