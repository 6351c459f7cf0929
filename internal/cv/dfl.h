// Distribution focal loss (DFL) box decoding of YOLOv8 raw-head outputs, in
// plain C with an AVX-512 path; see dfl.go.
#ifndef PHANTOM_CV_DFL_H
#define PHANTOM_CV_DFL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// phantom_dfl_portable, when set, makes phantom_dfl use its portable path
// even where the AVX-512 one could run (for tests).
extern int phantom_dfl_portable;

// phantom_dfl writes, for each of the n cells, the expected bin of each of
// the four sides: out[4*k+s] is the softmax-weighted mean of the 16 values
// d[(16*s+b)*hw + cells[k]], b = 0..15. The caller checks the sizes.
void phantom_dfl(const float* d, int hw, const int32_t* cells, int n, float* out);

#ifdef __cplusplus
}
#endif

#endif
