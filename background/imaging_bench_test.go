package background

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// BenchmarkPeerImaging times phantom's cover fit against
// github.com/disintegration/imaging in the same run, from a 2560×1600
// landscape: Fill (scale to cover, centre-crop: what CoverFit does) and
// Resize (a same-aspect scale, which CoverFit also is). imaging runs with its
// Linear filter (a triangle filter widened for downscaling), the class of
// CoverFit's halvings plus bilinear; imaging spreads rows over GOMAXPROCS
// goroutines, CoverFit runs on one.
//
//	go test ./background -run '^$' -bench PeerImaging -benchtime 10x -count 3
func BenchmarkPeerImaging(b *testing.B) {
	bg := randomRGBA(rand.New(rand.NewPCG(1, 1)), 2560, 1600)
	for _, tc := range []struct {
		op   string
		w, h int
		peer func(w, h int) image.Image
	}{
		{"Fill", 1000, 1000, func(w, h int) image.Image { return imaging.Fill(bg, w, h, imaging.Center, imaging.Linear) }},
		{"Resize", 1280, 800, func(w, h int) image.Image { return imaging.Resize(bg, w, h, imaging.Linear) }},
	} {
		b.Run(fmt.Sprintf("%s/%dx%d/phantom", tc.op, tc.w, tc.h), func(b *testing.B) {
			for b.Loop() {
				CoverFit(bg, tc.w, tc.h)
			}
		})
		b.Run(fmt.Sprintf("%s/%dx%d/imaging", tc.op, tc.w, tc.h), func(b *testing.B) {
			for b.Loop() {
				tc.peer(tc.w, tc.h)
			}
		})
	}
}
