// Bilinear resize of an 8-bit, 4-byte-per-pixel image straight into a
// planar float tensor (the input of an image model), written in plain C so
// that the compiler can vectorise it; see planar.go.
#ifndef PHANTOM_CV_PLANAR_H
#define PHANTOM_CV_PLANAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// phantom_planar says where the resized image goes: a three-plane tensor of
// w x h floats per plane, the image scaled to rw x rh with its top-left
// corner at (x, y). Output channel c is byte order[c] of a source pixel
// (0..3) times mul[c] plus add[c].
typedef struct {
    int w, h;
    int x, y;
    int rw, rh;
    int order[3];
    float mul[3];
    float add[3];
} phantom_planar;

// phantom_planar_portable, when set, makes phantom_resize_planar use its
// portable kernel even where the AVX-512 one could run (for tests).
extern int phantom_planar_portable;

// phantom_resize_planar resizes the sw x sh image at pix (stride bytes per
// row, 4 bytes per pixel) to p.rw x p.rh with OpenCV's
// INTER_LINEAR geometry and 11-bit fixed-point weights, and writes rows
// y0 <= y < y1 of the result into dst (3 * p.w * p.h floats). It returns 0,
// or -1 when it could not allocate its scratch rows. The caller checks the
// sizes.
int phantom_resize_planar(const uint8_t* pix, int stride, int sw, int sh,
                          float* dst, phantom_planar p, int y0, int y1);

#ifdef __cplusplus
}
#endif

#endif
