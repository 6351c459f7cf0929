package scene

import (
	"encoding/json"
	"image"
	"image/color"
	"testing"
)

func TestSceneJSONRoundTrip(t *testing.T) {
	m1 := image.NewAlpha(image.Rect(0, 0, 40, 30))
	m2 := image.NewAlpha(image.Rect(0, 0, 40, 30))
	for y := 5; y < 20; y++ {
		for x := 3; x < 12; x++ {
			m1.SetAlpha(x, y, color.Alpha{uint8(10 * x)}) // soft values survive
		}
	}
	m2.SetAlpha(39, 29, color.Alpha{255})
	s := Scene{
		Width: 40, Height: 30,
		Faces:     []Face{{Box: Box{1, 2, 3, 4, 0.9}, Landmarks: []Point{{1.5, 2.5}}}},
		People:    []Person{{Box: Box{0, 0, 20, 30, 0.8}, Label: "person"}, {Box: Box{30, 20, 40, 30, 0.5}}, {Box: Box{0, 0, 1, 1, 0.4}}},
		Masks:     []Mask{{Alpha: m1, Score: 0.7}, {Alpha: m2}, {Alpha: image.NewAlpha(image.Rect(0, 0, 40, 30))}},
		Detectors: Detectors{Face: "f", Person: "p"},
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got Scene
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Width != 40 || len(got.Faces) != 1 || got.Faces[0].Landmarks[0] != (Point{1.5, 2.5}) || got.People[0].Label != "person" || got.Detectors != (Detectors{Face: "f", Person: "p"}) {
		t.Errorf("round trip lost fields: %+v", got)
	}
	if len(got.Masks) != 3 || got.Masks[0].Score != 0.7 {
		t.Fatalf("masks: %+v", got.Masks)
	}
	for i, want := range []*image.Alpha{m1, m2, s.Masks[2].Alpha} {
		if got.Masks[i].Rect != want.Rect || string(got.Masks[i].Pix) != string(want.Pix) {
			t.Errorf("mask %d differs after the round trip", i)
		}
	}
}

func TestPersonMaskIsTheUnion(t *testing.T) {
	a := image.NewAlpha(image.Rect(0, 0, 4, 1))
	b := image.NewAlpha(image.Rect(0, 0, 4, 1))
	a.Pix = []uint8{255, 100, 0, 0}
	b.Pix = []uint8{0, 200, 50, 0}
	s := Scene{Width: 4, Height: 1, Masks: []Mask{{Alpha: a}, {Alpha: b}}}
	if got := s.PersonMask().Pix; string(got) != string([]uint8{255, 200, 50, 0}) {
		t.Errorf("PersonMask = %v", got)
	}
	if got := (&Scene{Width: 2, Height: 2}).PersonMask(); len(got.Pix) != 4 || got.Pix[0] != 0 {
		t.Errorf("no people: %v", got.Pix)
	}
}

func TestBoxGeometry(t *testing.T) {
	a, b := Box{X1: 0, Y1: 0, X2: 10, Y2: 10}, Box{X1: 5, Y1: 0, X2: 15, Y2: 10}
	if got := a.IoU(b); got < 0.333 || got > 0.334 {
		t.Errorf("IoU = %v, want 1/3", got)
	}
	if got := a.IoU(Box{X1: 20, Y1: 20, X2: 30, Y2: 30}); got != 0 {
		t.Errorf("disjoint IoU = %v", got)
	}
	if got := (Box{X1: 0.5, Y1: 1.2, X2: 9.1, Y2: 9.9}).Rect(); got != image.Rect(0, 1, 10, 10) {
		t.Errorf("Rect = %v", got)
	}
	if got := (Box{X1: -5, Y1: 2, X2: 50, Y2: 8}).Clip(image.Rect(0, 0, 20, 20)); got != (Box{X1: 0, Y1: 2, X2: 20, Y2: 8}) {
		t.Errorf("Clip = %v", got)
	}
}
