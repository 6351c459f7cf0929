//go:build amd64 && !purego

package background

import (
	"image"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkCoverFitVector times the 1000×1000 cover fit of a 2560×1600
// landscape with the AVX2 kernels and with the portable passes alone,
// interleaved in each iteration, and reports each one's ms per fit and
// their ratio (vector/portable: below 1, the kernels are faster).
func BenchmarkCoverFitVector(b *testing.B) {
	if !useAVX2 {
		b.Skip("this CPU has no AVX2")
	}
	defer func(v bool) { useAVX2 = v }(useAVX2)
	levels := mipLevels(randomRGBA(rand.New(rand.NewPCG(1, 1)), 2560, 1600))
	out := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	fitOnce := func(vec bool) time.Duration {
		useAVX2 = vec
		start := time.Now()
		f := newFit(levels, 1000, 1000)
		for y := range 1000 {
			f.span(out.Pix[y*out.Stride:], y, 0, 1000)
		}
		return time.Since(start)
	}
	var vec, port time.Duration
	for b.Loop() {
		vec += fitOnce(true)
		port += fitOnce(false)
	}
	n := float64(b.N)
	b.ReportMetric(float64(vec.Microseconds())/1000/n, "avx2-ms/op")
	b.ReportMetric(float64(port.Microseconds())/1000/n, "portable-ms/op")
	b.ReportMetric(float64(vec)/float64(port), "avx2/portable")
}
