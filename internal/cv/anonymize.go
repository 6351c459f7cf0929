package cv

import (
	"image"
	"math"

	"gocv.io/x/gocv"
)

// These two primitives exist so that the pure-Go versions in package
// anonymize can be measured against OpenCV; the pipeline does not use them.

// Pixelate divides r (clipped to img's bounds) into grid×grid cells and
// fills each cell with its mean colour, in place. Cell edges are those of
// integer division: with w = r.Dx(), cell i spans columns
// [r.Min.X + i*w/grid, r.Min.X + (i+1)*w/grid), and likewise for rows. A
// region narrower than grid has empty cells, which are skipped.
func Pixelate(img *image.RGBA, r image.Rectangle, grid int) error {
	r = r.Intersect(img.Rect)
	if r.Empty() || grid <= 0 {
		return nil
	}
	m, err := MatFromImage(img, r)
	if err != nil {
		return err
	}
	defer m.Close()
	w, h := r.Dx(), r.Dy()
	for j := 0; j < grid; j++ {
		y0, y1 := j*h/grid, (j+1)*h/grid
		if y1 == y0 {
			continue
		}
		for i := 0; i < grid; i++ {
			x0, x1 := i*w/grid, (i+1)*w/grid
			if x1 == x0 {
				continue
			}
			cell := m.Region(image.Rect(x0, y0, x1, y1))
			mean := cell.Mean()
			cell.SetTo(mean)
			cell.Close()
		}
	}
	return copyMatInto(img, r, m)
}

// GaussianBlur blurs r (clipped to img's bounds) in place with a Gaussian
// of standard deviation sigma pixels and a kernel of 2⌈3σ⌉+1 taps. Pixels
// within the kernel's reach outside r feed the blur (as if the whole image
// were blurred and only r kept), and pixels outside r are left as they are;
// at the image's edge the border is reflected.
func GaussianBlur(img *image.RGBA, r image.Rectangle, sigma float64) error {
	r = r.Intersect(img.Rect)
	if r.Empty() || sigma <= 0 {
		return nil
	}
	rad := int(math.Ceil(3 * sigma))
	src := r.Inset(-rad).Intersect(img.Rect)
	m, err := MatFromImage(img, src)
	if err != nil {
		return err
	}
	defer m.Close()
	k := 2*rad + 1
	gocv.GaussianBlur(m, &m, image.Pt(k, k), sigma, sigma, gocv.BorderReflect101)
	inner := m.Region(r.Sub(src.Min))
	defer inner.Close()
	if inner.IsContinuous() {
		return copyMatInto(img, r, inner)
	}
	c := inner.Clone()
	defer c.Close()
	return copyMatInto(img, r, c)
}
