package background_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/phantom-vlm/phantom/background"
)

// Put a portrait on white: the mask is the person's alpha.
func ExampleWhite() {
	photo := image.NewRGBA(image.Rect(0, 0, 4, 1))
	for x := 0; x < 4; x++ {
		photo.SetRGBA(x, 0, color.RGBA{200, 0, 0, 255})
	}
	mask := image.NewAlpha(photo.Bounds())
	mask.Pix = []uint8{0, 255, 255, 0} // the person is the middle two pixels
	out := background.White(photo, mask)
	for x := 0; x < 4; x++ {
		fmt.Println(out.RGBAAt(x, 0))
	}
	// Output:
	// {255 255 255 255}
	// {200 0 0 255}
	// {200 0 0 255}
	// {255 255 255 255}
}
