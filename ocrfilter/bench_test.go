package ocrfilter

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/tess"
)

// benchPhoto is a w×h photo (a real landscape when PHANTOM_DATA is set) with
// a caption bar and a sign, as a typical photo with some text.
func benchPhoto(b *testing.B, w, h int) *image.RGBA {
	bg := busyBackground(3, w, h)
	if dir := os.Getenv("PHANTOM_DATA"); dir != "" {
		img, err := imageio.Load(filepath.Join(dir, "backgrounds", "city-street.jpg"))
		if err != nil {
			b.Fatal(err)
		}
		bg = img
	}
	img := fitCanvas(bg, w, h)
	px := float64(h) / 16
	cap := patch(b, []textLine{{"LIONEL MESSI", "bold", px}}, color.RGBA{255, 255, 255, 255}, color.RGBA{0, 30, 90, 235}, int(px/2), false)
	draw.Draw(img, cap.Bounds().Add(image.Pt(w/20, h*3/4)), cap, image.Point{}, draw.Over)
	sign := patch(b, []textLine{{"Welcome to the stadium", "regular", px / 2}}, color.RGBA{20, 20, 20, 255}, color.RGBA{245, 240, 225, 255}, 6, false)
	draw.Draw(img, sign.Bounds().Add(image.Pt(w/2, h/8)), sign, image.Point{}, draw.Over)
	return img
}

// BenchmarkDecide measures per-image time of the default Filter at 640×480
// and 1920×1080: "serial" is one engine reading one photo after another,
// "pool" is GOMAXPROCS engines reading photos in parallel (ns/op is then
// wall time per photo across the pool).
func BenchmarkDecide(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {1920, 1080}} {
		img := benchPhoto(b, size.X, size.Y)
		for _, mode := range []string{"serial", "pool"} {
			b.Run(fmt.Sprintf("%dx%d/%s", size.X, size.Y, mode), func(b *testing.B) {
				n := 1
				if mode == "pool" {
					n = runtime.GOMAXPROCS(0)
				}
				f, err := New(WithPoolSize(n))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				ctx := context.Background()
				if d, err := f.Decide(ctx, img, "Lionel Messi", nil); err != nil {
					b.Fatal(err)
				} else if d.Keep {
					b.Logf("%dx%d: the caption was not read", size.X, size.Y)
				}
				b.ResetTimer()
				if mode == "serial" {
					for i := 0; i < b.N; i++ {
						if _, err := f.Decide(ctx, img, "Lionel Messi", nil); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(1) // GOMAXPROCS goroutines, one per engine
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := f.Decide(ctx, img, "Lionel Messi", nil); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkPass measures each default pass alone, and the passes the
// defaults dropped, on the photo BenchmarkDecide reads, with one engine
// (the upscaled pass is timed even where the Reader would skip it).
func BenchmarkPass(b *testing.B) {
	passes := append(DefaultPasses(), Pass{Chroma: true, PSM: PSMSingleBlock}, Pass{Scale: 2, MaxSide: 1000},
		Pass{Grid: 3, Rotate: 15}, Pass{Grid: 3, Rotate: -15})
	for _, size := range []image.Point{{640, 480}, {1920, 1080}} {
		img := benchPhoto(b, size.X, size.Y)
		for _, p := range passes {
			b.Run(fmt.Sprintf("%dx%d/%s", size.X, size.Y, p), func(b *testing.B) {
				cl, err := tess.New(tess.Config{PSM: int(PSMSparseText), Vars: binarizationVars})
				if err != nil {
					b.Fatal(err)
				}
				defer cl.Close()
				var n int
				for i := 0; i < b.N; i++ {
					w, err := p.read(cl, &prepared{img: img}, nil, PSMSparseText)
					if err != nil {
						b.Fatal(err)
					}
					n = len(w)
				}
				b.ReportMetric(float64(n), "words")
			})
		}
	}
}
