package anonymize

import (
	"fmt"
	"image"
	"image/color"
	"testing"
)

// Region sizes used by the anonymize benchmarks, shared with the gocv
// comparison in internal/cv: 1 MP (1000×1000) and 12 MP (4000×3000).
var benchSizes = []image.Point{{1000, 1000}, {4000, 3000}}

func BenchmarkPixelate(b *testing.B) {
	for _, sz := range benchSizes {
		img := noisy(sz.X, sz.Y, 9)
		b.Run(fmt.Sprintf("%dMP", sz.X*sz.Y/1e6), func(b *testing.B) {
			b.SetBytes(int64(sz.X * sz.Y * 4))
			for b.Loop() {
				Pixelate(img, img.Rect, DefaultGrid)
			}
		})
	}
}

func BenchmarkBlur(b *testing.B) {
	for _, sz := range benchSizes {
		img := noisy(sz.X, sz.Y, 9)
		b.Run(fmt.Sprintf("%dMP", sz.X*sz.Y/1e6), func(b *testing.B) {
			b.SetBytes(int64(sz.X * sz.Y * 4))
			for b.Loop() {
				Blur(img, img.Rect, DefaultSigma)
			}
		})
	}
}

func BenchmarkFill(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	for b.Loop() {
		Fill(img, img.Rect, color.RGBA{A: 255})
	}
}
