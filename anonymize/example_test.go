package anonymize_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/phantom-vlm/phantom/anonymize"
)

// Pixelate a face box on the study's 10×10 grid, grown by 10% first.
func ExamplePixelate() {
	img := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for x := 0; x < 200; x++ {
		for y := 0; y < 100; y++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 0, 255})
		}
	}
	face := image.Rect(50, 20, 100, 70)
	region := anonymize.Scale(face, 1.1, img.Bounds())
	anonymize.Pixelate(img, region, anonymize.DefaultGrid)
	fmt.Println("region:", region)
	fmt.Println("first cell:", img.RGBAAt(region.Min.X, region.Min.Y))
	fmt.Println("outside:", img.RGBAAt(10, 10))
	// Output:
	// region: (47,17)-(103,73)
	// first cell: {49 19 0 255}
	// outside: {10 10 0 255}
}
