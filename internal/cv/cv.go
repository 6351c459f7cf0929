// Package cv is phantom's narrow seam over OpenCV (through gocv). It is the
// only package of the module that imports gocv.io/x/gocv; every function
// here takes and returns plain Go types (image.Image, *image.RGBA,
// *image.Alpha, image.Rectangle), so that no cgo type escapes it.
//
// Pixels cross the seam by copying rows of bytes into OpenCV-allocated
// memory and back (never pixel by pixel, and never by handing Go memory to
// C to keep). Every Mat made here is closed before the function returns.
//
// Two pieces are not OpenCV but small C kernels, vectorised for AVX-512
// where the CPU has it: ResizePlanar (planar.c), the letterbox of the ONNX
// detectors, which resizes straight into a planar float tensor, and DFL
// (dfl.c), the box decoding of YOLOv8 raw-head outputs.
//
// Cascade and HOG hold OpenCV objects: they are not safe for concurrent use;
// callers pool them (see package detect). The free functions are safe for
// concurrent use.
package cv

import (
	"errors"
	"fmt"
	"image"
	"image/draw"

	"gocv.io/x/gocv"
)

// ErrEmpty is returned for an image or rectangle with no pixels.
var ErrEmpty = errors.New("cv: empty image or region")

// MatFromImage copies the pixels of img inside r (clipped to img's bounds)
// into a new 4-channel RGBA Mat (CV_8UC4, premultiplied as *image.RGBA is).
// *image.RGBA and *image.NRGBA are copied row by row with no conversion;
// other image types are first drawn into an *image.RGBA. The caller closes
// the Mat.
func MatFromImage(img image.Image, r image.Rectangle) (gocv.Mat, error) {
	r = r.Intersect(img.Bounds())
	if r.Empty() {
		return gocv.Mat{}, ErrEmpty
	}
	var pix []byte
	var stride, off int
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride, off = m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y)
	case *image.NRGBA:
		// Opaque photos are the same in both forms; alpha stays unmultiplied,
		// which only matters for translucent pixels.
		pix, stride, off = m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y)
	default:
		tmp := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
		draw.Draw(tmp, tmp.Rect, img, r.Min, draw.Src)
		pix, stride, off = tmp.Pix, tmp.Stride, 0
	}
	w, h := r.Dx(), r.Dy()
	mat := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC4)
	dst, err := mat.DataPtrUint8()
	if err != nil {
		mat.Close()
		return gocv.Mat{}, fmt.Errorf("cv: %w", err)
	}
	row := 4 * w
	if stride == row && off == 0 && len(pix) >= row*h {
		copy(dst, pix[:row*h])
		return mat, nil
	}
	for y := 0; y < h; y++ {
		copy(dst[y*row:(y+1)*row], pix[off+y*stride:off+y*stride+row])
	}
	return mat, nil
}

// copyMatInto copies a continuous CV_8UC4 Mat of r's size into dst at r.
func copyMatInto(dst *image.RGBA, r image.Rectangle, m gocv.Mat) error {
	if m.Type() != gocv.MatTypeCV8UC4 || m.Cols() != r.Dx() || m.Rows() != r.Dy() {
		return fmt.Errorf("cv: mat %dx%d type %v does not fit %v", m.Cols(), m.Rows(), m.Type(), r)
	}
	src, err := m.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("cv: %w", err)
	}
	row := 4 * r.Dx()
	for y := 0; y < r.Dy(); y++ {
		o := dst.PixOffset(r.Min.X, r.Min.Y+y)
		copy(dst.Pix[o:o+row], src[y*row:(y+1)*row])
	}
	return nil
}

// ImageFromMat copies a CV_8UC4 (RGBA order), CV_8UC3 (BGR order) or
// CV_8UC1 Mat into a new *image.RGBA with bounds at (0,0).
func ImageFromMat(m gocv.Mat) (*image.RGBA, error) {
	if m.Empty() {
		return nil, ErrEmpty
	}
	src := m
	switch m.Type() {
	case gocv.MatTypeCV8UC4:
		if !m.IsContinuous() {
			src = m.Clone()
			defer src.Close()
		}
	case gocv.MatTypeCV8UC3:
		src = gocv.NewMat()
		defer src.Close()
		gocv.CvtColor(m, &src, gocv.ColorBGRToRGBA)
	case gocv.MatTypeCV8UC1:
		src = gocv.NewMat()
		defer src.Close()
		gocv.CvtColor(m, &src, gocv.ColorGrayToBGRA)
	default:
		return nil, fmt.Errorf("cv: unsupported mat type %v", m.Type())
	}
	out := image.NewRGBA(image.Rect(0, 0, m.Cols(), m.Rows()))
	if err := copyMatInto(out, out.Rect, src); err != nil {
		return nil, err
	}
	return out, nil
}

// grayFromImage returns img inside r as an 8-bit grey Mat, optionally
// resized by scale (< 1 shrinks, with area interpolation).
func grayFromImage(img image.Image, r image.Rectangle, scale float64) (gocv.Mat, error) {
	rgba, err := MatFromImage(img, r)
	if err != nil {
		return gocv.Mat{}, err
	}
	defer rgba.Close()
	gray := gocv.NewMat()
	gocv.CvtColor(rgba, &gray, gocv.ColorRGBAToGray)
	if scale != 1 {
		return resized(gray, scale), nil
	}
	return gray, nil
}

// bgrFromImage returns img inside r as an 8-bit BGR Mat, optionally resized
// by scale.
func bgrFromImage(img image.Image, r image.Rectangle, scale float64) (gocv.Mat, error) {
	rgba, err := MatFromImage(img, r)
	if err != nil {
		return gocv.Mat{}, err
	}
	defer rgba.Close()
	bgr := gocv.NewMat()
	gocv.CvtColor(rgba, &bgr, gocv.ColorRGBAToBGR)
	if scale != 1 {
		return resized(bgr, scale), nil
	}
	return bgr, nil
}

// resized returns m scaled by scale and closes m.
func resized(m gocv.Mat, scale float64) gocv.Mat {
	defer m.Close()
	w := max(1, int(float64(m.Cols())*scale+0.5))
	h := max(1, int(float64(m.Rows())*scale+0.5))
	interp := gocv.InterpolationArea
	if scale > 1 {
		interp = gocv.InterpolationLinear
	}
	out := gocv.NewMat()
	gocv.Resize(m, &out, image.Pt(w, h), 0, 0, interp)
	return out
}

// scaleRect maps a rectangle found in an image scaled by scale and offset by
// origin back to the source image.
func scaleRect(r image.Rectangle, scale float64, origin image.Point) image.Rectangle {
	f := func(v int) int { return int(float64(v)/scale + 0.5) }
	return image.Rect(f(r.Min.X), f(r.Min.Y), f(r.Max.X), f(r.Max.Y)).Add(origin)
}
