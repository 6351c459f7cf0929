package cv

import (
	"fmt"
	"image"
	"math"
	"runtime"

	"gocv.io/x/gocv"
)

// GrabCutParams configures GrabCut.
type GrabCutParams struct {
	// Iterations of GrabCut (0: 3).
	Iterations int
	// MaxSide bounds the longer side of the crop that GrabCut works on; a
	// larger crop is shrunk first and the mask scaled back (0: no bound).
	MaxSide int
	// Margin widens the crop around the box on each side, as a fraction of
	// the box's width and height, so that GrabCut sees background to learn
	// from (0: 0.1).
	Margin float64
	// Core, when > 0, marks a central part of the box as certainly the
	// object rather than leaving the whole box to be learnt: a column Core
	// of the box's width wide, centred, from 15% to 90% of its height. For
	// a person box this is the torso, which GrabCut otherwise tends to give
	// to the background when clothes and background look alike.
	Core float64
	// Seed seeds the random generator that GrabCut's k-means initialisation
	// draws from, right before the call: the same image, box and seed give
	// the same mask, whatever thread or earlier calls (OpenCV's generator is
	// per thread and otherwise never reset).
	Seed uint64
}

// GrabCut segments the object in rect (img's coordinates) from its
// surroundings and returns a mask with img's bounds: 255 for the object,
// 0 elsewhere. Everything outside rect is background by construction.
func GrabCut(img image.Image, rect image.Rectangle, p GrabCutParams) (*image.Alpha, error) {
	b := img.Bounds()
	rect = rect.Intersect(b)
	out := image.NewAlpha(b)
	if rect.Empty() {
		return out, nil
	}
	iter := p.Iterations
	if iter <= 0 {
		iter = 3
	}
	margin := p.Margin
	if margin <= 0 {
		margin = 0.1
	}
	mx := int(math.Ceil(float64(rect.Dx()) * margin))
	my := int(math.Ceil(float64(rect.Dy()) * margin))
	crop := image.Rect(rect.Min.X-mx, rect.Min.Y-my, rect.Max.X+mx, rect.Max.Y+my).Intersect(b)
	scale := 1.0
	if side := max(crop.Dx(), crop.Dy()); p.MaxSide > 0 && side > p.MaxSide {
		scale = float64(p.MaxSide) / float64(side)
	}
	bgr, err := bgrFromImage(img, crop, scale)
	if err != nil {
		return nil, err
	}
	defer bgr.Close()
	w, h := bgr.Cols(), bgr.Rows()
	// The box in the (scaled) crop, kept one pixel inside the crop so that
	// GrabCut always has background samples to fit its model to.
	in := image.Rect(
		int(float64(rect.Min.X-crop.Min.X)*scale), int(float64(rect.Min.Y-crop.Min.Y)*scale),
		int(math.Ceil(float64(rect.Max.X-crop.Min.X)*scale)), int(math.Ceil(float64(rect.Max.Y-crop.Min.Y)*scale)),
	).Intersect(image.Rect(1, 1, w-1, h-1))
	if in.Dx() < 3 || in.Dy() < 3 {
		// Too small to model: the box itself is the best mask there is.
		fillAlpha(out, rect)
		return out, nil
	}
	mask := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
	defer mask.Close()
	bgd, fgd := gocv.NewMat(), gocv.NewMat()
	defer bgd.Close()
	defer fgd.Close()
	mode := gocv.GCInitWithRect
	if p.Core > 0 {
		// Labels: 0 background, 1 object, 3 probably object.
		px, err := mask.DataPtrUint8()
		if err != nil {
			return nil, fmt.Errorf("cv: grabcut mask: %w", err)
		}
		cw := int(float64(in.Dx()) * min(p.Core, 1))
		core := image.Rect(in.Min.X+(in.Dx()-cw)/2, in.Min.Y+in.Dy()*15/100, in.Min.X+(in.Dx()+cw)/2, in.Min.Y+in.Dy()*90/100)
		for y := in.Min.Y; y < in.Max.Y; y++ {
			for x := in.Min.X; x < in.Max.X; x++ {
				v := uint8(3)
				if (image.Point{x, y}).In(core) {
					v = 1
				}
				px[y*w+x] = v
			}
		}
		mode = gocv.GCInitWithMask
	}
	// OpenCV's generator is thread-local: seed it and run GrabCut on one
	// OS thread.
	runtime.LockOSThread()
	seedRNG(p.Seed)
	gocv.GrabCut(bgr, &mask, in, &bgd, &fgd, iter, mode)
	runtime.UnlockOSThread()

	// Foreground labels are odd (GC_FGD = 1, GC_PR_FGD = 3).
	small, err := mask.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("cv: grabcut mask: %w", err)
	}
	for i, v := range small {
		small[i] = (v & 1) * 255
	}
	full := mask
	if scale != 1 {
		full = gocv.NewMat()
		defer full.Close()
		gocv.Resize(mask, &full, image.Pt(crop.Dx(), crop.Dy()), 0, 0, gocv.InterpolationLinear)
	}
	px, err := full.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("cv: grabcut mask: %w", err)
	}
	cw := crop.Dx()
	for y := 0; y < crop.Dy(); y++ {
		row := px[y*cw : (y+1)*cw]
		o := out.PixOffset(crop.Min.X, crop.Min.Y+y)
		dst := out.Pix[o : o+cw]
		for x, v := range row {
			if v >= 128 && (image.Point{crop.Min.X + x, crop.Min.Y + y}).In(rect) {
				dst[x] = 255
			}
		}
	}
	return out, nil
}

func fillAlpha(a *image.Alpha, r image.Rectangle) {
	r = r.Intersect(a.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := a.PixOffset(r.Min.X, y)
		row := a.Pix[o : o+r.Dx()]
		for i := range row {
			row[i] = 255
		}
	}
}
