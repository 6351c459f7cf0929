// Command pixelate hides every face in a photo behind the study's 10×10
// mosaic, using phantom's no-weights OpenCV face detector.
//
//	go run ./examples/pixelate in.jpg out.png
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/imageio"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: pixelate IN OUT.png")
	}
	// Upright (EXIF orientation applied) and size-checked, as phantom build
	// reads it.
	img, err := imageio.Load(os.Args[1])
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
	if err := imageio.Save(os.Args[2], img); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d faces pixelated into %s\n", len(found), os.Args[2])
}
