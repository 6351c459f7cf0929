// Command portrait-on-white cuts the people out of a photo and puts them on
// plain white: the study's "white" condition, with phantom's no-weights
// OpenCV detectors (Haar faces, HOG people and bodies below faces, GrabCut
// masks).
//
//	go run ./examples/portrait-on-white in.jpg out.png
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/imageio"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: portrait-on-white IN OUT.png")
	}
	photo, err := imageio.Load(os.Args[1]) // upright, size-checked
	if err != nil {
		log.Fatal(err)
	}
	an, err := detect.NewAnalyzer(detect.NoModels)
	if err != nil {
		log.Fatal(err)
	}
	defer an.Close()
	scene, err := an.Analyze(context.Background(), photo)
	if err != nil {
		log.Fatal(err)
	}
	out := background.White(photo, scene.PersonMask(), background.WithFeather(3))
	if err := imageio.Save(os.Args[2], out); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d people cut out onto white in %s\n", len(scene.People), os.Args[2])
}
