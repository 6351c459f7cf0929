package ocrfilter_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/phantom-vlm/phantom/ocrfilter"
)

// photo paints a 640×480 picture with a gradient sky and, when caption is not
// empty, a news caption bar.
func photo(caption string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(60 + y/4), uint8(100 + x/8), 200, 255})
		}
	}
	if caption != "" {
		f, _ := opentype.Parse(gobold.TTF)
		face, _ := opentype.NewFace(f, &opentype.FaceOptions{Size: 34, DPI: 72})
		defer face.Close()
		draw.Draw(img, image.Rect(0, 380, 640, 440), image.NewUniform(color.RGBA{150, 0, 20, 255}), image.Point{}, draw.Src)
		d := font.Drawer{Dst: img, Src: image.White, Face: face, Dot: fixed.P(40, 423)}
		d.DrawString(caption)
	}
	return img
}

func ExampleFilter_Decide() {
	f, err := ocrfilter.New()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()

	d, err := f.Decide(ctx, photo("LIONEL MESSI"), "Lionel Messi", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("captioned photo, keep:", d.Keep)
	for _, ev := range d.Evidence {
		var words []string
		for _, w := range ev.Words {
			words = append(words, fmt.Sprintf("%s at %v", w.Text, w.Box.Min))
		}
		fmt.Printf("  run %q in %s\n", ev.Run, strings.Join(words, ", "))
	}

	d, err = f.Decide(ctx, photo(""), "Lionel Messi", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same photo without the caption, keep:", d.Keep)
	// Output:
	// captioned photo, keep: false
	//   run "lionel messi" in LIONEL at (43,398), MESSI at (183,398)
	// same photo without the caption, keep: true
}

func ExampleMatch() {
	words := []ocrfilter.Word{
		{Text: "Welcome", Confidence: 95, Line: 1},
		{Text: "BEYONCÉ", Confidence: 91, Line: 2},
		{Text: "KNOW-", Confidence: 88, Line: 2},
		{Text: "LES", Confidence: 90, Line: 2},
	}
	for _, ev := range ocrfilter.Match("Beyoncé Knowles", nil, words) {
		fmt.Printf("%q in %d words\n", ev.Run, len(ev.Words))
	}
	fmt.Println(ocrfilter.Match("Sia", nil, []ocrfilter.Word{{Text: "ASIAN", Confidence: 90}}) == nil)
	// Output:
	// "beyonce knowles" in 3 words
	// true
}
