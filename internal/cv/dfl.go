package cv

/*
#cgo CFLAGS: -O3
#include "dfl.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// DFLBins is the number of distance bins per box side in a YOLOv8 head.
const DFLBins = 16

// DFL decodes the box sides of YOLOv8 raw-head cells (distribution focal
// loss): d holds 4·DFLBins planes of hw values each (channel-major, as a
// [1, C, H, W] output with hw = H·W), and for the k-th cell of cells
// out[4k+s] is the softmax-weighted mean bin index of side s (left, top,
// right, bottom), that is Σ b·e^{v_b} / Σ e^{v_b} over v_b =
// d[(DFLBins·s+b)·hw + cells[k]]. The exponential is a float32 polynomial
// (relative error about 2e-7) and the sums are float32, so the results are
// within about 1e-5 bins of a float64 computation; an AVX-512 path does 16
// bins at once and gives the same bits as the portable one.
func DFL(d []float32, hw int, cells []int32, out []float32) error {
	switch {
	case hw <= 0 || len(d) < 4*DFLBins*hw:
		return fmt.Errorf("cv: DFL: %d values for %d planes of %d", len(d), 4*DFLBins, hw)
	case len(out) < 4*len(cells):
		return fmt.Errorf("cv: DFL: %d outputs for %d cells", len(out), len(cells))
	case 4*DFLBins*hw > 1<<31-1:
		return fmt.Errorf("cv: DFL: %d-value planes are too large", hw)
	}
	for _, c := range cells {
		if c < 0 || int(c) >= hw {
			return fmt.Errorf("cv: DFL: cell %d outside 0..%d", c, hw-1)
		}
	}
	if len(cells) == 0 {
		return nil
	}
	C.phantom_dfl((*C.float)(unsafe.Pointer(&d[0])), C.int(hw), (*C.int32_t)(unsafe.Pointer(&cells[0])),
		C.int(len(cells)), (*C.float)(unsafe.Pointer(&out[0])))
	return nil
}

// setPortableDFL makes DFL use its portable path even on a CPU with
// AVX-512, so that tests can compare the two; it returns the previous
// setting. Not safe to call concurrently with DFL.
func setPortableDFL(on bool) bool { return setFlag(&C.phantom_dfl_portable, on) }
