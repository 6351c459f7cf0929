// Command portrait-on-white cuts the people out of a photo and puts them on
// plain white: the study's "white" condition, with phantom's no-weights
// OpenCV detectors (HOG people, GrabCut masks).
//
//	go run ./examples/portrait-on-white in.jpg out.png
package main

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	"image/png"
	"log"
	"os"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: portrait-on-white IN OUT.png")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	photo, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		log.Fatalf("%s: %v", os.Args[1], err)
	}
	an, err := detect.NewDefault()
	if err != nil {
		log.Fatal(err)
	}
	defer an.Close()
	scene, err := an.Analyze(context.Background(), photo)
	if err != nil {
		log.Fatal(err)
	}
	out := background.White(photo, scene.PersonMask(), background.WithFeather(3))
	o, err := os.Create(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(o, out); err != nil {
		log.Fatal(err)
	}
	if err := o.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d people cut out onto white in %s\n", len(scene.People), os.Args[2])
}
