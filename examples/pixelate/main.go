// Command pixelate hides every face in a photo behind the study's 10×10
// mosaic, using phantom's no-weights OpenCV face detector.
//
//	go run ./examples/pixelate in.jpg out.png
package main

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg"
	"image/png"
	"log"
	"os"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/detect"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: pixelate IN OUT.png")
	}
	img, err := load(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	faces, err := detect.NewHaarFaceDetector()
	if err != nil {
		log.Fatal(err)
	}
	defer faces.Close()
	found, err := faces.DetectFaces(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range found {
		anonymize.Pixelate(img, f.Rect(), anonymize.DefaultGrid)
	}
	if err := save(os.Args[2], img); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d faces pixelated into %s\n", len(found), os.Args[2])
}

// load decodes a JPEG or PNG file into an *image.RGBA.
func load(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
	draw.Draw(img, img.Rect, src, src.Bounds().Min, draw.Src)
	return img, nil
}

func save(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
