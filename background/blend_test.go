package background

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestVectorPassesMatchPortable checks that the vector kernels, where this
// build has them (AVX2 on amd64), give exactly the bytes of the portable
// passes: rows of every length from 0 to 200 bytes' worth of pixels with
// weights 0, 256 and random ones between; and columns whose taps shrink,
// stretch and repeat, for spans of every length to 70 pixels.
func TestVectorPassesMatchPortable(t *testing.T) {
	if !useAVX2 {
		t.Skip("no vector kernel in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	bytes := func(n int) []uint8 {
		b := make([]uint8, n)
		for i := range b {
			b[i] = uint8(rng.Uint32())
		}
		return b
	}
	for px := 0; px <= 50; px++ {
		for _, fy := range []uint64{0, 256, 1, 255, uint64(rng.IntN(257))} {
			r0, r1 := bytes(4*px), bytes(4*px)
			want, got := bytes(4*px), bytes(4*px)
			blendRows(want, r0, r1, fy)
			k := blendRowsVec(got, r0, r1, fy)
			if k%32 != 0 || k > len(got) || (px >= 8 && k == 0) {
				t.Fatalf("%d pixels: the vector kernel took %d bytes", px, k)
			}
			blendRows(got[k:], r0[k:], r1[k:], fy)
			if string(got) != string(want) {
				t.Fatalf("rows of %d pixels, fy %d: vector %v, portable %v", px, fy, got, want)
			}
		}
	}
	for _, scale := range []float64{0.3, 0.625, 1, 1.7, 2.4} {
		for n := 0; n <= 70; n++ {
			t.Run(fmt.Sprintf("scale %.3g/%d pixels", scale, n), func(t *testing.T) {
				cols := max(1, int(float64(n)*scale))
				row := bytes(4 * (cols + 1))
				xi, _, xf := bilinearTaps(n, 0, cols)
				taps, off, w := make([]uint64, n), make([]int32, n), make([]uint32, 4*n)
				for i := range xf {
					if i%9 == 4 { // weights at the ends too
						xf[i] = uint32(256 * (i / 9 % 2))
					}
					taps[i] = uint64(xi[i])<<48 | uint64(256-xf[i])<<32 | uint64(xf[i])
					off[i] = 4 * xi[i]
					for c := range 4 {
						w[4*i+c] = (256 - xf[i]) | xf[i]<<16
					}
				}
				want, got := bytes(4*n), bytes(4*n)
				blendColumns(want, row, taps)
				k := blendColumnsVec(got, row, off, w)
				if k%8 != 0 || k > n || (n >= 8 && k == 0) {
					t.Fatalf("the vector kernel made %d of %d pixels", k, n)
				}
				blendColumns(got[4*k:], row, taps[k:])
				if string(got) != string(want) {
					t.Fatalf("vector %v\nportable %v", got, want)
				}
			})
		}
	}
}
