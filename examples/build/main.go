// Command build is a short program that builds the study's condition
// variants of a photo folder (one sub-folder per person) with phantom's
// library: the no-weights OpenCV detectors, the Tesseract name filter and a
// folder of landscapes.
//
//	go run ./examples/build PHOTOS BACKGROUNDS OUT
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/ocrfilter"
	"github.com/phantom-vlm/phantom/pipeline"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: build PHOTOS BACKGROUNDS OUT")
		os.Exit(2)
	}
	photos, bgDir, out := os.Args[1], os.Args[2], os.Args[3]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	recs, err := pipeline.FolderRecords(photos)
	if err != nil {
		log.Fatal(err)
	}
	bgs, err := background.LoadSet(bgDir)
	if err != nil {
		log.Fatal(err)
	}
	// The builder loads each photo as imageio.Load does (EXIF orientation,
	// pixel limit).
	detectors, err := detect.NewAnalyzer(detect.NoModels)
	if err != nil {
		log.Fatal(err)
	}
	defer detectors.Close()
	ocr, err := ocrfilter.New()
	if err != nil {
		log.Fatal(err)
	}
	defer ocr.Close()

	b, err := pipeline.New(out,
		pipeline.WithAnalyzer(detectors),
		pipeline.WithFilter(pipeline.OCRFilter(ocr)),
		pipeline.WithBackgrounds(bgs),
		pipeline.WithSeed(1),
		pipeline.WithProgress(os.Stderr),
	)
	if err != nil {
		log.Fatal(err)
	}
	sum, err := b.Run(ctx, recs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d photos built, %d filtered, %d failed; variants per condition: %v\n",
		sum.Built, sum.Filtered, sum.Failed, sum.Variants)
}
