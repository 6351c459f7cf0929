package detect

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math"
	"path/filepath"
	"testing"
)

// The tiny models in testdata are made by tools/onnxgen/yolo_face.py: their
// outputs hold known boxes in input pixels, and box A's score is mean(R) -
// mean(B) of the input tensor. The photo here is a uniform 1280×720 colour:
// letterboxed to 640×640 it is scaled by 0.5 and centred with 140 rows of
// grey above and below, so input (x, y) is photo (2x, 2(y-140)), and for pure
// red box A scores 360/640 = 0.5625.

func uniformPhoto(c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(img, img.Rect, &image.Uniform{c}, image.Point{}, draw.Src)
	return img
}

var (
	red  = color.RGBA{255, 0, 0, 255}
	blue = color.RGBA{0, 0, 255, 255}
)

// in2photo maps an input-pixel box to the photo, clipped to it.
func in2photo(x1, y1, x2, y2, score float64) Box {
	return Box{X1: 2 * x1, Y1: 2 * (y1 - 140), X2: 2 * x2, Y2: 2 * (y2 - 140), Score: score}.Clip(image.Rect(0, 0, 1280, 720))
}

func TestYOLOFaceTinyLayouts(t *testing.T) {
	needORT(t)
	boxA := in2photo(160, 250, 240, 350, 0.5625)
	boxA2 := in2photo(165, 255, 245, 355, 0.5)
	boxB := in2photo(370, 220, 430, 280, 0.3)
	boxE := in2photo(50, 450, 150, 510, 0.4) // clipped at the photo's bottom
	tests := []struct {
		model     string
		layout    string
		photo     color.RGBA
		opts      []Option
		want      []Box
		landmarks bool
	}{
		{"yolo_face_std.onnx", "standard", red, nil, []Box{boxA, boxE, boxB}, true},
		{"yolo_face_std5.onnx", "standard", red, nil, []Box{boxA, boxE, boxB}, false},
		{"yolo_face_e2e.onnx", "end-to-end", red, nil, []Box{boxA, boxA2, boxE, boxB}, true},
		// Channel order matters: on a blue photo box A scores below zero.
		{"yolo_face_std.onnx", "standard", blue, nil, []Box{boxA2, boxE, boxB}, true},
		// Thresholds are options.
		{"yolo_face_std.onnx", "standard", red, []Option{WithConfidence(0.35)}, []Box{boxA, boxE}, true},
		{"yolo_face_std.onnx", "standard", red, []Option{WithIoU(0.9)}, []Box{boxA, boxA2, boxE, boxB}, true},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			d, err := NewYOLOFace(filepath.Join("testdata", tc.model), append([]Option{WithDevice(DeviceCPU)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Layout() != tc.layout {
				t.Errorf("layout %s, want %s", d.Layout(), tc.layout)
			}
			faces, err := d.DetectFaces(context.Background(), uniformPhoto(tc.photo))
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != len(tc.want) {
				t.Fatalf("%d faces, want %d: %+v", len(faces), len(tc.want), faces)
			}
			for i, f := range faces {
				if !boxNear(f.Box, tc.want[i], 0.01) {
					t.Errorf("face %d = %+v, want %+v", i, f.Box, tc.want[i])
				}
				if !tc.landmarks {
					if f.Landmarks != nil {
						t.Errorf("face %d has landmarks", i)
					}
					continue
				}
				if len(f.Landmarks) != 5 {
					t.Fatalf("face %d: %d landmarks", i, len(f.Landmarks))
				}
				// The generator puts the nose 5 input px (10 photo px) below
				// the box centre, the eyes 15 input px either side.
				cx, cy := (f.X1+f.X2)/2, (f.Y1+f.Y2)/2
				if f.Y2 < 720 {
					if nose := f.Landmarks[2]; math.Abs(nose.X-cx) > 0.01 || math.Abs(nose.Y-(cy+10)) > 0.01 {
						t.Errorf("face %d nose %v, want (%v, %v)", i, nose, cx, cy+10)
					}
					if re := f.Landmarks[0]; math.Abs(re.X-(cx-30)) > 0.01 || math.Abs(re.Y-(cy-20)) > 0.01 {
						t.Errorf("face %d right eye %v", i, re)
					}
				}
			}
		})
	}
}

func TestYOLOPersonTinyLayouts(t *testing.T) {
	needORT(t)
	p1 := in2photo(140, 170, 260, 470, 0.5625)
	p3 := in2photo(400, 195, 500, 445, 0.3)
	for _, model := range []string{"yolo_coco_std.onnx", "yolo_coco_e2e.onnx"} {
		t.Run(model, func(t *testing.T) {
			d, err := NewYOLOPerson(filepath.Join("testdata", model), WithDevice(DeviceCPU))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			people, err := d.DetectPeople(context.Background(), uniformPhoto(red))
			if err != nil {
				t.Fatal(err)
			}
			if len(people) != 2 || !boxNear(people[0].Box, p1, 0.01) || !boxNear(people[1].Box, p3, 0.01) {
				t.Fatalf("people %+v, want %+v and %+v", people, p1, p3)
			}
		})
	}
}

func TestYOLOWrongSignature(t *testing.T) {
	needORT(t)
	tests := []struct {
		name string
		open func(string) error
		file string
	}{
		{"face on a 7-row output", func(p string) error { _, err := NewYOLOFace(p, WithDevice(DeviceCPU)); return err }, "yolo_wrong.onnx"},
		{"person on a face model", func(p string) error { _, err := NewYOLOPerson(p, WithDevice(DeviceCPU)); return err }, "yolo_face_std.onnx"},
		{"face on a COCO model", func(p string) error { _, err := NewYOLOFace(p, WithDevice(DeviceCPU)); return err }, "yolo_coco_std.onnx"},
		{"yunet on a YOLO model", func(p string) error { _, err := NewYuNet(p, WithDevice(DeviceCPU)); return err }, "yolo_face_std.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.open(filepath.Join("testdata", tc.file))
			if !errors.Is(err, ErrModelSignature) {
				t.Fatalf("err = %v, want ErrModelSignature", err)
			}
			t.Log(err)
		})
	}
	// A file that is not a model at all is an error naming it, not a crash.
	_, err := NewYOLOFace(filepath.Join("testdata", "gdino_vocab.txt"))
	if err == nil {
		t.Fatal("a text file loaded as a model")
	}
	t.Log(err)
}

func boxNear(a, b Box, tol float64) bool {
	return math.Abs(a.X1-b.X1) <= tol*math.Max(1, math.Abs(b.X1)) &&
		math.Abs(a.Y1-b.Y1) <= tol*math.Max(1, math.Abs(b.Y1)) &&
		math.Abs(a.X2-b.X2) <= tol*math.Max(1, math.Abs(b.X2)) &&
		math.Abs(a.Y2-b.Y2) <= tol*math.Max(1, math.Abs(b.Y2)) &&
		math.Abs(a.Score-b.Score) <= 0.005
}

// TestYOLOConcurrentAndCancelled: one detector serves many goroutines with
// the same results, and a cancelled context stops a detection.
func TestYOLOConcurrentAndCancelled(t *testing.T) {
	needORT(t)
	d, err := NewYOLOFace(filepath.Join("testdata", "yolo_face_std.onnx"), WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img := uniformPhoto(red)
	want, err := d.DetectFaces(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 5 {
				got, err := d.DetectFaces(context.Background(), img)
				if err == nil && (len(got) != len(want) || got[0].Box != want[0].Box) {
					err = errors.New("different result under concurrency")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.DetectFaces(ctx, img); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DetectFaces(context.Background(), img); err == nil {
		t.Error("detect after Close succeeded")
	}
}

// TestYOLOSubImage: boxes come back in the coordinates of the image given,
// also when its bounds do not start at (0, 0).
func TestYOLOSubImage(t *testing.T) {
	needORT(t)
	d, err := NewYOLOFace(filepath.Join("testdata", "yolo_face_std.onnx"), WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	big := image.NewRGBA(image.Rect(0, 0, 1480, 820))
	draw.Draw(big, big.Rect, &image.Uniform{red}, image.Point{}, draw.Src)
	sub := big.SubImage(image.Rect(100, 50, 1380, 770)) // 1280×720 at (100, 50)
	faces, err := d.DetectFaces(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	want := in2photo(160, 250, 240, 350, 0.5625)
	want.X1, want.X2, want.Y1, want.Y2 = want.X1+100, want.X2+100, want.Y1+50, want.Y2+50
	if len(faces) != 3 || !boxNear(faces[0].Box, want, 0.01) {
		t.Fatalf("faces %+v, want the first at %+v", faces, want)
	}
	if lm := faces[0].Landmarks[2]; math.Abs(lm.X-400-100) > 0.01 || math.Abs(lm.Y-330-50) > 0.01 {
		t.Errorf("nose at %v, want (500, 380)", lm)
	}
	// Clipping happens at the sub-image's bottom edge (box E).
	if faces[1].Y2 != 770 {
		t.Errorf("box E %+v not clipped at y=770", faces[1].Box)
	}
}
