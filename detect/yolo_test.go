package detect

import (
	"context"
	"errors"
	"image"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/ort"
	"github.com/phantom-vlm/phantom/internal/testenv"
)

// realModel returns $PHANTOM_MODELS/name, or skips the test.
func realModel(t testing.TB, name string) string {
	t.Helper()
	p := testenv.Model(t, name)
	needORT(t)
	return p
}

// needORT skips when no ONNX Runtime library is installed.
func needORT(t testing.TB) {
	t.Helper()
	if _, err := ort.FindLibrary(""); err != nil {
		t.Skip(err)
	}
}

// realPhoto loads $PHANTOM_DATA/rel, or skips the test.
func realPhoto(t testing.TB, rel string) *image.RGBA {
	t.Helper()
	img, err := imageio.Load(testenv.Data(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Shared detectors, opened once per test binary.
var testDetectors = map[string]any{}

func sharedYOLOFace(t testing.TB, file string) *YOLOFace {
	p := realModel(t, file)
	if d, ok := testDetectors[p].(*YOLOFace); ok {
		return d
	}
	d, err := NewYOLOFace(p, WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	testDetectors[p] = d
	return d
}

func sharedYuNet(t testing.TB) *YuNet {
	p := realModel(t, "yunet-face.onnx")
	if d, ok := testDetectors[p].(*YuNet); ok {
		return d
	}
	d, err := NewYuNet(p, WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	testDetectors[p] = d
	return d
}

func sharedYOLOPerson(t testing.TB) *YOLOPerson {
	p := realModel(t, "yolov8n-coco.onnx")
	if d, ok := testDetectors[p].(*YOLOPerson); ok {
		return d
	}
	d, err := NewYOLOPerson(p, WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	testDetectors[p] = d
	return d
}

func TestYOLOFaceLiteLayout(t *testing.T) {
	d := sharedYOLOFace(t, "yolov8-lite-t-face.onnx")
	if d.Layout() != "raw-head" {
		t.Errorf("layout %s, want raw-head", d.Layout())
	}
	if d.Name() != "yolov8-face:yolov8-lite-t-face.onnx" {
		t.Errorf("name %q", d.Name())
	}
}

// TestRealFaces runs both real face models on the shared photos.
func TestRealFaces(t *testing.T) {
	type detector interface {
		DetectFaces(context.Context, image.Image) ([]Face, error)
		Name() string
	}
	var dets []detector
	for _, f := range []func() detector{
		func() detector { return sharedYOLOFace(t, "yolov8-lite-t-face.onnx") },
		func() detector { return sharedYuNet(t) },
	} {
		dets = append(dets, f())
	}
	// The face of Eileen Collins, read off the photo by eye: from the
	// eyebrows to the chin, cheek to cheek.
	face := Box{X1: 190, Y1: 85, X2: 258, Y2: 168}
	tests := []struct {
		photo    string
		min, max int
		check    func(t *testing.T, faces []Face)
	}{
		{"photos/eileen-collins.png", 1, 1, func(t *testing.T, faces []Face) {
			b := faces[0].Box
			if b.X1 > face.X1 || b.Y1 > face.Y1 || b.X2 < face.X2 || b.Y2 < face.Y2 {
				t.Errorf("box %+v does not cover the face %+v", b, face)
			}
			if b.Area() > 3*face.Area() {
				t.Errorf("box %+v is much larger than the face", b)
			}
			if len(faces[0].Landmarks) != 5 {
				t.Fatalf("%d landmarks", len(faces[0].Landmarks))
			}
			for _, p := range faces[0].Landmarks {
				if p.X < b.X1 || p.X > b.X2 || p.Y < b.Y1 || p.Y > b.Y2 {
					t.Errorf("landmark %v outside the box %+v", p, b)
				}
			}
			// Right eye (viewer's left) left of the left eye, eyes above the mouth.
			lm := faces[0].Landmarks
			if lm[0].X >= lm[1].X || lm[0].Y >= lm[3].Y || lm[1].Y >= lm[4].Y {
				t.Errorf("landmarks out of order: %v", lm)
			}
		}},
		{"photos/crowd-selfie.jpg", 24, 1000, nil},
		{"photos/portrait-outdoor.jpg", 1, 1, nil},
		{"faces/face_recognition_examples/test_obama_and_biden.jpg", 3, 3, nil},
	}
	for _, d := range dets {
		for _, tc := range tests {
			t.Run(d.Name()+"/"+filepath.Base(tc.photo), func(t *testing.T) {
				faces, err := d.DetectFaces(context.Background(), realPhoto(t, tc.photo))
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%d faces", len(faces))
				if len(faces) < tc.min || len(faces) > tc.max {
					t.Fatalf("%d faces, want %d..%d: %+v", len(faces), tc.min, tc.max, faces[:min(len(faces), 5)])
				}
				for i := 1; i < len(faces); i++ {
					if faces[i].Score > faces[i-1].Score {
						t.Fatalf("faces not sorted by score at %d", i)
					}
				}
				if tc.check != nil {
					tc.check(t, faces)
				}
			})
		}
	}
}

// TestRealPeople checks the COCO person detector. Counts are of people
// found with a score of at least 0.5: two-people-night.jpg also shows the
// back of a third head at the bottom edge, which the model reports at about
// 0.4, rightly.
func TestRealPeople(t *testing.T) {
	d := sharedYOLOPerson(t)
	tests := []struct {
		photo string
		want  int
	}{
		{"photos/two-people-night.jpg", 2},
		{"photos/gorilla.png", 0},
		{"photos/eileen-collins.png", 1},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.photo), func(t *testing.T) {
			img := realPhoto(t, tc.photo)
			all, err := d.DetectPeople(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			var people []Person
			for _, p := range all {
				if p.Label != "person" || p.Score < 0.25 {
					t.Errorf("person %+v", p)
				}
				if p.Score >= 0.5 {
					people = append(people, p)
				}
			}
			if len(people) != tc.want {
				t.Fatalf("%d people at >= 0.5, want %d: %+v", len(people), tc.want, all)
			}
			for _, p := range people {
				// A real person here is a large part of the photo.
				if p.Area() < 0.1*float64(img.Rect.Dx()*img.Rect.Dy()) {
					t.Errorf("person box %+v is small", p.Box)
				}
			}
			if tc.want < 2 {
				return
			}
			if people[0].IoU(people[1].Box) > 0.5 {
				t.Errorf("the two people overlap: %+v", people)
			}
			// Each of the two faces lies in the upper part of its own person box.
			faces, err := sharedYuNet(t).DetectFaces(context.Background(), img)
			if err != nil || len(faces) != 2 {
				t.Fatalf("faces: %v, %v", faces, err)
			}
			for _, f := range faces {
				n := 0
				for _, p := range people {
					in := f.X1 >= p.X1-5 && f.X2 <= p.X2+5 && f.Y1 >= p.Y1-5 && f.Y2 <= p.Y1+0.4*p.Height()
					if in {
						n++
					}
				}
				if n == 0 {
					t.Errorf("face %+v is in no person's head area: %+v", f.Box, people)
				}
			}
		})
	}
}

func TestYOLOPersonRejectsFaceModel(t *testing.T) {
	p := realModel(t, "yolov8-lite-t-face.onnx")
	_, err := NewYOLOPerson(p, WithDevice(DeviceCPU))
	if !errors.Is(err, ErrModelSignature) {
		t.Fatalf("err = %v, want ErrModelSignature", err)
	}
	t.Log(err)
}

func TestYOLOFaceRejectsCOCOModel(t *testing.T) {
	p := realModel(t, "yolov8n-coco.onnx")
	_, err := NewYOLOFace(p, WithDevice(DeviceCPU))
	if !errors.Is(err, ErrModelSignature) {
		t.Fatalf("err = %v, want ErrModelSignature", err)
	}
	t.Log(err)
}
