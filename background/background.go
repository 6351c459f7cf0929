// Package background replaces the background of a photo: it composites the
// person cut out by a mask onto plain white or onto a landscape drawn from a
// Set, cover-fitting the landscape to the photo. It knows nothing of
// detectors: callers pass the mask.
package background

import (
	"encoding/binary"
	"image"
	"image/color"

	"github.com/phantom-vlm/phantom/internal/imageio"
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
	return composite(nil, photo, mask, newFit(mipLevels(bg), b.Dx(), b.Dy()), opts)
}

// White returns photo composited onto plain white through mask.
func White(photo image.Image, mask *image.Alpha, opts ...Option) *image.RGBA {
	return WhiteInto(nil, photo, mask, opts...)
}

// WhiteInto is White writing into dst, which it returns. dst is reused when
// its bounds are photo's size with the origin at (0, 0), and every pixel of
// it is overwritten; otherwise (nil included) a new image is returned.
func WhiteInto(dst *image.RGBA, photo image.Image, mask *image.Alpha, opts ...Option) *image.RGBA {
	b := photo.Bounds()
	return composite(dst, photo, mask, newFit([]image.Image{image.NewUniform(color.White)}, b.Dx(), b.Dy()), opts)
}

// minOpaqueRun is the shortest run of fully opaque mask pixels in a row for
// which composite skips making the background: shorter runs are cheaper to
// resample through than to cut the row at.
const minOpaqueRun = 8

// composite returns photo over the background fit f through mask, in dst
// when its bounds are photo's size with the origin at (0, 0) and in a new
// image otherwise. The background is made only where it shows, that is
// outside the runs of fully opaque mask pixels; every pixel is written.
func composite(dst *image.RGBA, photo image.Image, mask *image.Alpha, f *fit, opts []Option) *image.RGBA {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	b := photo.Bounds()
	w, h := b.Dx(), b.Dy()
	out := dst
	if out == nil || out.Rect != image.Rect(0, 0, w, h) {
		out = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	var over image.Rectangle // the part of the photo (in its own coordinates) the mask covers
	if mask != nil {
		if o.feather > 0 {
			mask = feather(mask, o.feather)
		}
		over = mask.Rect.Intersect(b)
	}
	var src *image.RGBA
	if !over.Empty() {
		src = imageio.ToRGBA(photo)
	}
	ox0, ox1 := over.Min.X-b.Min.X, over.Max.X-b.Min.X
	for y := 0; y < h; y++ {
		d := out.Pix[y*out.Stride : y*out.Stride+4*w]
		py := b.Min.Y + y
		if py < over.Min.Y || py >= over.Max.Y {
			f.span(d, y, 0, w)
			continue
		}
		m := mask.Pix[mask.PixOffset(over.Min.X, py):mask.PixOffset(over.Max.X, py)]
		start := 0 // the background still to make starts here (photo x)
		for x := 0; x < len(m); {
			if x+8 <= len(m) && binary.LittleEndian.Uint64(m[x:]) == 0 {
				x += 8
				continue
			}
			if m[x] != 255 {
				x++
				continue
			}
			e := opaqueEnd(m, x)
			if e-x >= minOpaqueRun {
				f.span(d, y, start, ox0+x)
				start = ox0 + e
			}
			x = e
		}
		f.span(d, y, start, w)
		blendRow(d[4*ox0:4*ox1], src.Pix[y*src.Stride+4*ox0:y*src.Stride+4*ox1], m)
	}
	return out
}

// opaqueEnd returns the end of the run of 255s in m that starts at x.
func opaqueEnd(m []uint8, x int) int {
	for x+8 <= len(m) && binary.LittleEndian.Uint64(m[x:]) == ^uint64(0) {
		x += 8
	}
	for x < len(m) && m[x] == 255 {
		x++
	}
	return x
}

// blendRow blends a row of photo pixels p over background pixels d, in
// place, with the mask values m as weights (len(p) == len(d) == 4*len(m)).
// Runs of 0 are skipped and runs of 255 copied eight pixels at a time.
func blendRow(d, p, m []uint8) {
	for x := 0; x < len(m); {
		switch a8 := m[x]; a8 {
		case 0:
			if x+8 <= len(m) && binary.LittleEndian.Uint64(m[x:]) == 0 {
				x += 8
			} else {
				x++
			}
		case 255:
			e := opaqueEnd(m, x)
			copy(d[4*x:4*e], p[4*x:4*e])
			x = e
		default:
			dd, pp := d[4*x:4*x+4:4*x+4], p[4*x:4*x+4:4*x+4]
			a, na := uint32(a8), 255-uint32(a8)
			dd[0] = uint8((uint32(pp[0])*a + uint32(dd[0])*na + 127) / 255)
			dd[1] = uint8((uint32(pp[1])*a + uint32(dd[1])*na + 127) / 255)
			dd[2] = uint8((uint32(pp[2])*a + uint32(dd[2])*na + 127) / 255)
			dd[3] = uint8((uint32(pp[3])*a + uint32(dd[3])*na + 127) / 255)
			x++
		}
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
