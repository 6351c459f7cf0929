package cv

/*
#cgo CFLAGS: -O3
#include "planar.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// Planar describes a planar (CHW) float tensor and where ResizePlanar puts
// an image in it: three planes of W×H values, the image scaled to RW×RH
// with its top-left corner at (X, Y). Output channel c is byte Order[c] of
// each 4-byte source pixel (0 R, 1 G, 2 B for *image.RGBA) times Mul[c] plus
// Add[c].
type Planar struct {
	W, H     int
	X, Y     int
	RW, RH   int
	Order    [3]int
	Mul, Add [3]float32
}

// ResizePlanar scales src bilinearly to p.RW×p.RH, with OpenCV's
// INTER_LINEAR geometry (pixel centres aligned, edges clamped) and 11-bit
// fixed-point weights, and writes rows y0 ≤ y < y1 of the scaled image
// (0 ≤ y0 ≤ y1 ≤ p.RH) into dst, which holds at least 3·p.W·p.H floats.
// Only those rows of the image's rectangle are written: the rest of dst,
// the padding, is left as it is. Disjoint row ranges may be filled
// concurrently. Interpolated values are kept in float (not rounded to 8
// bits); the kernel is plain C that the compiler vectorises.
func ResizePlanar(dst []float32, src *image.RGBA, p Planar, y0, y1 int) error {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	switch {
	case sw <= 0 || sh <= 0:
		return ErrEmpty
	case p.RW <= 0 || p.RH <= 0 || p.X < 0 || p.Y < 0 || p.X+p.RW > p.W || p.Y+p.RH > p.H:
		return fmt.Errorf("cv: %d×%d image at (%d,%d) does not fit a %d×%d plane", p.RW, p.RH, p.X, p.Y, p.W, p.H)
	case len(dst) < 3*p.W*p.H:
		return fmt.Errorf("cv: planar tensor has %d floats, want %d", len(dst), 3*p.W*p.H)
	case y0 < 0 || y1 > p.RH || y0 > y1:
		return fmt.Errorf("cv: rows %d..%d outside 0..%d", y0, y1, p.RH)
	case src.Stride < 4*sw:
		return fmt.Errorf("cv: stride %d of a %d-pixel row", src.Stride, sw)
	}
	for _, o := range p.Order {
		if o < 0 || o > 3 {
			return fmt.Errorf("cv: channel order %v", p.Order)
		}
	}
	if y0 == y1 {
		return nil
	}
	off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y)
	if off < 0 || off+(sh-1)*src.Stride+4*sw > len(src.Pix) {
		return fmt.Errorf("cv: %v image with %d bytes of pixels", src.Rect, len(src.Pix))
	}
	pix := src.Pix[off:]
	cp := C.phantom_planar{
		w: C.int(p.W), h: C.int(p.H), x: C.int(p.X), y: C.int(p.Y), rw: C.int(p.RW), rh: C.int(p.RH),
	}
	for c := range 3 {
		cp.order[c] = C.int(p.Order[c])
		cp.mul[c] = C.float(p.Mul[c])
		cp.add[c] = C.float(p.Add[c])
	}
	if C.phantom_resize_planar((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(src.Stride), C.int(sw), C.int(sh),
		(*C.float)(unsafe.Pointer(&dst[0])), cp, C.int(y0), C.int(y1)) != 0 {
		return errors.New("cv: out of memory")
	}
	return nil
}

// setPortablePlanar makes ResizePlanar use its portable kernel even on a
// CPU with AVX-512, so that tests can compare the two; it returns the
// previous setting. Not safe to call concurrently with ResizePlanar.
func setPortablePlanar(on bool) bool { return setFlag(&C.phantom_planar_portable, on) }

// setFlag sets a C int flag to on and returns its previous value.
func setFlag(f *C.int, on bool) bool {
	old := *f != 0
	*f = 0
	if on {
		*f = 1
	}
	return old
}
