// Package background replaces the background of a photo: it composites the
// person cut out by a mask onto plain white or onto a landscape drawn from a
// Set, cover-fitting the landscape to the photo. It knows nothing of
// detectors: callers pass the mask.
package background

import (
	"image"
	"image/color"
	"image/draw"
)

type options struct {
	feather int
}

// Option configures Composite and White.
type Option func(*options)

// WithFeather softens the mask edge over about px pixels (a two-pass box blur
// of the mask) before compositing; 0, the default, keeps the mask as is.
func WithFeather(px int) Option { return func(o *options) { o.feather = px } }

// Composite returns a new image the size of photo: photo where mask is 255,
// bg where mask is 0, and the mask's value as the blend weight in between.
// bg is cover-fitted: scaled, keeping its aspect ratio, until it covers the
// photo, then centre-cropped. mask must have photo's bounds (a nil mask means
// no person: the result is all background). photo and bg may be any image.
func Composite(photo image.Image, mask *image.Alpha, bg image.Image, opts ...Option) *image.RGBA {
	b := photo.Bounds()
	return blend(photo, mask, CoverFit(bg, b.Dx(), b.Dy()), opts)
}

// White returns photo composited onto plain white through mask.
func White(photo image.Image, mask *image.Alpha, opts ...Option) *image.RGBA {
	b := photo.Bounds()
	bg := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(bg, bg.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	return blend(photo, mask, bg, opts)
}

// blend writes photo over bg (already the photo's size, origin at 0,0)
// through mask, into bg, and returns it.
func blend(photo image.Image, mask *image.Alpha, bg *image.RGBA, opts []Option) *image.RGBA {
	var o options
	for _, f := range opts {
		f(&o)
	}
	b := photo.Bounds()
	src, ok := photo.(*image.RGBA)
	if !ok || src.Rect.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(src, src.Rect, photo, b.Min, draw.Src)
	}
	if mask == nil {
		return bg
	}
	if o.feather > 0 {
		mask = feather(mask, o.feather)
	}
	// The part of the photo (in its own coordinates) the mask covers.
	over := mask.Rect.Intersect(b)
	for y := over.Min.Y; y < over.Max.Y; y++ {
		oy := y - b.Min.Y
		x0, x1 := over.Min.X-b.Min.X, over.Max.X-b.Min.X
		p := src.Pix[oy*src.Stride+4*x0 : oy*src.Stride+4*x1]
		d := bg.Pix[oy*bg.Stride+4*x0 : oy*bg.Stride+4*x1]
		m := mask.Pix[mask.PixOffset(over.Min.X, y):mask.PixOffset(over.Max.X, y)]
		blendRow(d, p, m)
	}
	return bg
}

// blendRow blends a row of photo pixels p over background pixels d, in
// place, with the mask values m as weights (len(p) == len(d) == 4*len(m)).
func blendRow(d, p, m []uint8) {
	for x, a8 := range m {
		if a8 == 0 {
			continue
		}
		i := 4 * x
		dd, pp := d[i:i+4:i+4], p[i:i+4:i+4]
		if a8 == 255 {
			dd[0], dd[1], dd[2], dd[3] = pp[0], pp[1], pp[2], pp[3]
			continue
		}
		a, na := uint32(a8), 255-uint32(a8)
		dd[0] = uint8((uint32(pp[0])*a + uint32(dd[0])*na + 127) / 255)
		dd[1] = uint8((uint32(pp[1])*a + uint32(dd[1])*na + 127) / 255)
		dd[2] = uint8((uint32(pp[2])*a + uint32(dd[2])*na + 127) / 255)
		dd[3] = uint8((uint32(pp[3])*a + uint32(dd[3])*na + 127) / 255)
	}
}

// feather returns a copy of m blurred with two box passes of radius px/2 in
// each direction, which softens hard mask edges into a ramp about px wide.
func feather(m *image.Alpha, px int) *image.Alpha {
	r := max(1, px/2)
	w, h := m.Rect.Dx(), m.Rect.Dy()
	a := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(a[y*w:(y+1)*w], m.Pix[y*m.Stride:])
	}
	tmp := make([]uint8, w*h)
	for pass := 0; pass < 2; pass++ {
		boxAlpha(a, tmp, w, h, r, 1, w) // rows
		boxAlpha(tmp, a, h, w, r, w, 1) // columns
	}
	out := image.NewAlpha(m.Rect)
	for y := 0; y < h; y++ {
		copy(out.Pix[y*out.Stride:], a[y*w:(y+1)*w])
	}
	return out
}

// boxAlpha box-filters n lines of length l in src into dst, where element i of
// line j is at j*lineStep + i*step.
func boxAlpha(src, dst []uint8, l, n, r, step, lineStep int) {
	d := 2*r + 1
	for j := 0; j < n; j++ {
		base := j * lineStep
		at := func(i int) int { return int(src[base+min(max(i, 0), l-1)*step]) }
		acc := 0
		for i := -r; i <= r; i++ {
			acc += at(i)
		}
		for i := 0; i < l; i++ {
			dst[base+i*step] = uint8((acc + d/2) / d)
			acc += at(i+r+1) - at(i-r)
		}
	}
}
