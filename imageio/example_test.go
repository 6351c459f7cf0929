package imageio_test

import (
	"fmt"

	"github.com/phantom-vlm/phantom/imageio"
)

// A phone photo taken on its side: stored 4×2 with EXIF orientation 6, it
// loads upright.
func ExampleLoad() {
	img, err := imageio.Load("testdata/rotated.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Dx(), "×", img.Bounds().Dy())
	// Output: 2 × 4
}
