package detect_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log"

	"github.com/phantom-vlm/phantom/detect"
)

// A YOLOv8 face model finds faces with five landmarks. The model here is a
// tiny generated one (tools/onnxgen/yolo_face.py) with the signature of an
// Ultralytics standard export; a real yolov8n-face.onnx is used the same way.
func ExampleNewYOLOFace() {
	d, err := detect.NewYOLOFace("testdata/yolo_face_std.onnx", detect.WithDevice(detect.DeviceCPU))
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	photo := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(photo, photo.Rect, &image.Uniform{color.RGBA{255, 0, 0, 255}}, image.Point{}, draw.Src)
	faces, err := d.DetectFaces(context.Background(), photo)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Layout())
	for _, f := range faces {
		fmt.Printf("%.0f,%.0f-%.0f,%.0f score %.2f, %d landmarks\n", f.X1, f.Y1, f.X2, f.Y2, f.Score, len(f.Landmarks))
	}
	// Output:
	// standard
	// 320,220-480,420 score 0.56, 5 landmarks
	// 100,620-300,720 score 0.40, 5 landmarks
	// 740,160-860,280 score 0.30, 5 landmarks
}

// NewAnalyzer picks the best model of each stage present in a folder and
// the OpenCV default for the others.
func ExampleNewAnalyzer() {
	a, err := detect.NewAnalyzer(detect.NoModels)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	fmt.Println(a.Faces().Name(), a.People().Name(), a.Segmenter().Name())
	// Output: opencv-haar opencv-hog opencv-grabcut
}
