package anonymize

import (
	"image"
	"math"
)

// Blur applies a Gaussian blur to r (clipped to img) in place, with sigma
// given as a fraction of the region's longer side (0.1 when ≤ 0). Only pixels
// inside r are read and written: the region's edge is extended by clamping,
// so nothing from outside bleeds in and nothing outside changes.
//
// The Gaussian is approximated by three successive box filters whose widths
// are chosen for the requested sigma, a standard approximation whose cost
// does not grow with sigma (each pass is a running sum).
func Blur(img *image.RGBA, r image.Rectangle, sigma float64) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	if sigma <= 0 {
		sigma = DefaultSigma
	}
	s := sigma * float64(max(r.Dx(), r.Dy()))
	if s < 0.5 {
		return
	}
	w, h := r.Dx(), r.Dy()
	a := make([]uint8, w*h*4)
	b := make([]uint8, w*h*4)
	for y := 0; y < h; y++ {
		copy(a[y*w*4:(y+1)*w*4], img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	acc := make([]int, w*4)
	for _, size := range boxSizes(s, 3) {
		rad := (size - 1) / 2
		boxH(a, b, w, h, rad)
		boxV(b, a, w, h, rad, acc)
	}
	for y := 0; y < h; y++ {
		copy(img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):img.PixOffset(r.Max.X, r.Min.Y+y)], a[y*w*4:])
	}
}

// boxSizes returns n odd box widths whose successive application has about
// the variance of a Gaussian with the given sigma.
func boxSizes(sigma float64, n int) []int {
	ideal := math.Sqrt(12*sigma*sigma/float64(n) + 1)
	wl := int(math.Floor(ideal))
	if wl%2 == 0 {
		wl--
	}
	wu := wl + 2
	fl := float64(wl)
	m := int(math.Round((12*sigma*sigma - float64(n)*fl*fl - 4*float64(n)*fl - 3*float64(n)) / (-4*fl - 4)))
	out := make([]int, n)
	for i := range out {
		if i < m {
			out[i] = wl
		} else {
			out[i] = wu
		}
	}
	return out
}

func clampi(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// divider divides running sums of d values of 0–255 by d, rounded, with a
// multiply and a shift instead of a division.
type divider struct{ mul, half int }

func newDivider(d int) divider { return divider{mul: (1<<24 + d - 1) / d, half: d / 2} }

func (v divider) div(acc int) uint8 { return uint8(((acc + v.half) * v.mul) >> 24) }

// boxH box-filters each row of src (w×h, 4 channels) with radius rad into dst.
func boxH(src, dst []uint8, w, h, rad int) {
	dv := newDivider(2*rad + 1)
	for y := 0; y < h; y++ {
		row := src[y*w*4 : (y+1)*w*4]
		out := dst[y*w*4 : (y+1)*w*4]
		var a0, a1, a2, a3 int
		for i := -rad; i <= rad; i++ {
			j := clampi(i, 0, w-1) * 4
			a0, a1, a2, a3 = a0+int(row[j]), a1+int(row[j+1]), a2+int(row[j+2]), a3+int(row[j+3])
		}
		for x := 0; x < w; x++ {
			o := out[x*4 : x*4+4 : x*4+4]
			o[0], o[1], o[2], o[3] = dv.div(a0), dv.div(a1), dv.div(a2), dv.div(a3)
			ai := x + rad + 1
			if ai > w-1 {
				ai = w - 1
			}
			si := x - rad
			if si < 0 {
				si = 0
			}
			p, q := row[ai*4:ai*4+4:ai*4+4], row[si*4:si*4+4:si*4+4]
			a0 += int(p[0]) - int(q[0])
			a1 += int(p[1]) - int(q[1])
			a2 += int(p[2]) - int(q[2])
			a3 += int(p[3]) - int(q[3])
		}
	}
}

// boxV box-filters each column of src with radius rad into dst, a row at a
// time so that memory is read in order; acc has w*4 entries.
func boxV(src, dst []uint8, w, h, rad int, acc []int) {
	dv := newDivider(2*rad + 1)
	stride := w * 4
	clear(acc)
	for j := -rad; j <= rad; j++ {
		row := src[clampi(j, 0, h-1)*stride:]
		for k := range acc {
			acc[k] += int(row[k])
		}
	}
	for y := 0; y < h; y++ {
		out := dst[y*stride : (y+1)*stride]
		add := src[clampi(y+rad+1, 0, h-1)*stride:][:len(acc)]
		sub := src[clampi(y-rad, 0, h-1)*stride:][:len(acc)]
		for k := range acc {
			out[k] = dv.div(acc[k])
			acc[k] += int(add[k]) - int(sub[k])
		}
	}
}
