package anonymize

import (
	"fmt"
	"image"
	"testing"

	"github.com/disintegration/imaging"
)

// BenchmarkPeerImaging times Blur against imaging.Blur in the same run, on
// a face-sized region (300×300) and on 1 MP, at the study's σ (0.1 × the
// region's longer side: 30 and 100 px). imaging.Blur is an exact separable
// Gaussian (2⌈3σ⌉+1 taps per pass, rows spread over GOMAXPROCS goroutines);
// Blur is three box passes on one goroutine, whatever σ.
//
//	go test ./anonymize -run '^$' -bench PeerImaging -benchtime 5x -count 3
func BenchmarkPeerImaging(b *testing.B) {
	for _, side := range []int{300, 1000} {
		img := noisy(side, side, 9)
		sigma := DefaultSigma * float64(side)
		b.Run(fmt.Sprintf("Blur/%dx%d/phantom", side, side), func(b *testing.B) {
			for b.Loop() {
				Blur(img, img.Rect, DefaultSigma)
			}
		})
		b.Run(fmt.Sprintf("Blur/%dx%d/imaging", side, side), func(b *testing.B) {
			for b.Loop() {
				imaging.Blur(img.SubImage(image.Rect(0, 0, side, side)), sigma)
			}
		})
	}
}
