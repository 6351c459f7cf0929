//go:build amd64 && !purego

package background

import "golang.org/x/sys/cpu"

// useAVX2 says whether the bilinear passes run the AVX2 kernels of
// blend_amd64.s. They give the same bytes as the portable code.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func blendRowsAVX2(t, r0, r1 *byte, n int, fy uint64)

//go:noescape
func blendColumnsAVX2(out, t *byte, off *int32, w *uint32, n int)

// blendRowsVec does blendRows's work on the longest prefix of the rows that
// the vector kernel takes (a multiple of 32 bytes) and returns its length:
// 0 when there is no vector kernel.
func blendRowsVec(t, r0, r1 []uint8, fy uint64) int {
	n := min(len(t), len(r0), len(r1)) &^ 31
	if !useAVX2 || n == 0 {
		return 0
	}
	blendRowsAVX2(&t[0], &r0[0], &r1[0], n, fy)
	return n
}

// blendColumnsVec does blendColumns's work for the longest prefix of the
// output pixels that the vector kernel takes (a multiple of 8) and returns
// how many it made: 0 when there is no vector kernel. off holds each
// output pixel's byte offset in t, non-decreasing, and w its four weight
// words (see blendColumnsAVX2).
func blendColumnsVec(out, t []uint8, off []int32, w []uint32) int {
	n := min(len(out)/4, len(off), len(w)/4) &^ 7
	if !useAVX2 || n == 0 {
		return 0
	}
	// The offsets do not decrease, so these two bound them all.
	if off[0] < 0 || int(off[n-1])+8 > len(t) {
		panic("background: column offset outside the row")
	}
	blendColumnsAVX2(&out[0], &t[0], &off[0], &w[0], n)
	return n
}
