// Package scene holds what phantom's detectors find in a photo, in plain Go
// with no cgo. It has:
//
//   - the detections: Box, Point, Face, Person, Mask and Scene (those of one
//     photo, with its JSON sidecar), StageTimes and Detectors (what ran);
//   - the interfaces the detectors implement: FaceDetector, PersonDetector,
//     Segmenter, and Analyzer, which makes a Scene;
//   - which stages to run: Stages (StageFaces, StagePeople, StageMasks) and
//     StageLimiter, an Analyzer that can skip the stages no condition needs;
//   - the per-photo seed a randomised detector reads from its context
//     (WithSeed, Seed), and the face-detector families a build records
//     (FaceFamily, HaarName, the Family constants).
//
// A program that only reads scenes (a sidecar from a build's scenes/ folder,
// a metadata row's boxes) imports this package and needs neither OpenCV nor
// ONNX Runtime; package detect makes scenes and re-exports these names, and
// package pipeline depends on this package, not on detect.
package scene

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"math"
	"time"
)

// Box is an axis-aligned box in the pixel coordinates of the photo it was
// found in, with the detector's confidence in [0, 1]. (X1, Y1) is the top-left
// corner and (X2, Y2) the bottom-right one; X2 > X1 and Y2 > Y1 for a
// non-empty box.
type Box struct {
	X1    float64 `json:"x1"`
	Y1    float64 `json:"y1"`
	X2    float64 `json:"x2"`
	Y2    float64 `json:"y2"`
	Score float64 `json:"score"`
}

// Width returns the box's width, or 0 for an empty box.
func (b Box) Width() float64 { return math.Max(0, b.X2-b.X1) }

// Height returns the box's height, or 0 for an empty box.
func (b Box) Height() float64 { return math.Max(0, b.Y2-b.Y1) }

// Area returns the box's area.
func (b Box) Area() float64 { return b.Width() * b.Height() }

// Rect returns the smallest integer rectangle that holds the box.
func (b Box) Rect() image.Rectangle {
	return image.Rect(int(math.Floor(b.X1)), int(math.Floor(b.Y1)), int(math.Ceil(b.X2)), int(math.Ceil(b.Y2)))
}

// IoU returns the intersection over union of two boxes, in [0, 1].
func (b Box) IoU(o Box) float64 {
	ix := math.Min(b.X2, o.X2) - math.Max(b.X1, o.X1)
	iy := math.Min(b.Y2, o.Y2) - math.Max(b.Y1, o.Y1)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	union := b.Area() + o.Area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// Clip returns the box clipped to r.
func (b Box) Clip(r image.Rectangle) Box {
	b.X1 = math.Min(math.Max(b.X1, float64(r.Min.X)), float64(r.Max.X))
	b.X2 = math.Min(math.Max(b.X2, float64(r.Min.X)), float64(r.Max.X))
	b.Y1 = math.Min(math.Max(b.Y1, float64(r.Min.Y)), float64(r.Max.Y))
	b.Y2 = math.Min(math.Max(b.Y2, float64(r.Min.Y)), float64(r.Max.Y))
	return b
}

// Point is a position in photo pixel coordinates.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Face is one detected face. Landmarks, when the detector gives them, are the
// five points right eye, left eye, nose tip, right and left mouth corner (as
// seen from the viewer: left to right in the image for a frontal face).
type Face struct {
	Box
	Landmarks []Point `json:"landmarks,omitempty"`
}

// Person is one detected person.
type Person struct {
	Box
	// Label is what the detector called it ("person").
	Label string `json:"label,omitempty"`
}

// Mask is a soft segmentation mask of one person over the whole photo: it has
// the photo's bounds, 255 where the person is, 0 where the person is not.
type Mask struct {
	*image.Alpha
	// Score is the segmenter's own quality estimate (SAM's predicted IoU),
	// or 0 when it gives none.
	Score float64
}

// FaceDetector finds faces in a photo. Close releases its model; the
// detector is not to be used after it.
type FaceDetector interface {
	io.Closer
	// DetectFaces returns the faces found in img, in img's coordinates,
	// highest score first. A photo with no face gives an empty slice and a
	// nil error.
	DetectFaces(ctx context.Context, img image.Image) ([]Face, error)
	// Name identifies the detector and its model for metadata ("haar",
	// "yolov8-face:yolov8-lite-t-face.onnx").
	Name() string
}

// PersonDetector finds people in a photo. Close releases its model.
type PersonDetector interface {
	io.Closer
	// DetectPeople returns the people found in img, in img's coordinates,
	// highest score first.
	DetectPeople(ctx context.Context, img image.Image) ([]Person, error)
	// Name identifies the detector and its model for metadata.
	Name() string
}

// Segmenter cuts people out of a photo. Close releases its model.
type Segmenter interface {
	io.Closer
	// Segment returns one mask per box, in the same order, each with img's
	// bounds. All boxes of one photo are given in one call so that a
	// segmenter can share work between them (SAM encodes the photo once).
	Segment(ctx context.Context, img image.Image, boxes []Box) ([]Mask, error)
	// Name identifies the segmenter and its model for metadata.
	Name() string
}

// Scene is everything detected in one photo: faces, people and one mask per
// person. The builder detects once per photo and renders every condition
// variant from the same Scene; it serialises to a JSON sidecar.
type Scene struct {
	// Width and Height are the photo's size after EXIF orientation.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Faces, People and Masks as found; Masks[i] belongs to People[i].
	Faces  []Face   `json:"faces"`
	People []Person `json:"people"`
	Masks  []Mask   `json:"-"`
	// Detectors names the detectors used.
	Detectors Detectors `json:"detectors"`
	// Times is how long each stage of Analyze took. It is not serialised:
	// a scene read back from its sidecar has zero times.
	Times StageTimes `json:"-"`
}

// Detectors names the face detector, person detector and segmenter that
// made a Scene, as their Name methods do ("opencv-haar",
// "yolov8-face:yolov8n-face.onnx"); a stage that did not run is "". In JSON
// (the sidecar, phantom detect) a stage that did not run is absent.
type Detectors struct {
	Face      string `json:"face,omitempty"`
	Person    string `json:"person,omitempty"`
	Segmenter string `json:"segmenter,omitempty"`
}

// StageTimes is the wall time of each stage of one Analyze call. A stage
// that did not run takes zero.
type StageTimes struct {
	Faces   time.Duration // the face detector
	People  time.Duration // the person detector and, when set, bodies from faces
	Segment time.Duration // the segmenter
}

// Total returns the sum of the stages.
func (t StageTimes) Total() time.Duration { return t.Faces + t.People + t.Segment }

// PersonMask returns the union of all person masks at the photo's size: the
// alpha of the cut-out. It is fully transparent when no person was found.
func (s *Scene) PersonMask() *image.Alpha {
	out := image.NewAlpha(image.Rect(0, 0, s.Width, s.Height))
	for _, m := range s.Masks {
		if m.Alpha == nil {
			continue
		}
		r := m.Rect.Intersect(out.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			src := m.Pix[m.PixOffset(r.Min.X, y):m.PixOffset(r.Max.X, y)]
			dst := out.Pix[out.PixOffset(r.Min.X, y):out.PixOffset(r.Max.X, y)]
			for i, a := range src {
				if a > dst[i] {
					dst[i] = a
				}
			}
		}
	}
	return out
}

// FaceBoxes returns the boxes of the scene's faces.
func (s *Scene) FaceBoxes() []Box {
	out := make([]Box, len(s.Faces))
	for i, f := range s.Faces {
		out[i] = f.Box
	}
	return out
}

// maskJSON is a Mask on the wire: the PNG-encoded crop of its non-zero
// bounding box, which keeps soft edges and stays small.
type maskJSON struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	W     int     `json:"w"`
	H     int     `json:"h"`
	Score float64 `json:"score"`
	PNG   []byte  `json:"png,omitempty"`
}

type sceneAlias Scene // no MarshalJSON: breaks the recursion

// MarshalJSON encodes the scene with its masks as PNG crops.
func (s Scene) MarshalJSON() ([]byte, error) {
	w := struct {
		sceneAlias
		Masks []maskJSON `json:"masks"`
	}{sceneAlias: sceneAlias(s), Masks: make([]maskJSON, 0, len(s.Masks))}
	if w.Faces == nil {
		w.Faces = []Face{}
	}
	if w.People == nil {
		w.People = []Person{}
	}
	for i, m := range s.Masks {
		mj := maskJSON{Score: m.Score}
		if m.Alpha != nil {
			r := nonZeroBounds(m.Alpha)
			mj.X, mj.Y, mj.W, mj.H = r.Min.X, r.Min.Y, r.Dx(), r.Dy()
			if !r.Empty() {
				var buf bytes.Buffer
				if err := png.Encode(&buf, m.SubImage(r)); err != nil {
					return nil, fmt.Errorf("scene: encoding mask %d: %w", i, err)
				}
				mj.PNG = buf.Bytes()
			}
		}
		w.Masks = append(w.Masks, mj)
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a scene written by MarshalJSON.
func (s *Scene) UnmarshalJSON(data []byte) error {
	var w struct {
		sceneAlias
		Masks []maskJSON `json:"masks"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*s = Scene(w.sceneAlias)
	s.Masks = make([]Mask, len(w.Masks))
	full := image.Rect(0, 0, s.Width, s.Height)
	for i, mj := range w.Masks {
		a := image.NewAlpha(full)
		if len(mj.PNG) > 0 {
			img, err := png.Decode(bytes.NewReader(mj.PNG))
			if err != nil {
				return fmt.Errorf("scene: decoding mask %d: %w", i, err)
			}
			dst := image.Rect(mj.X, mj.Y, mj.X+mj.W, mj.Y+mj.H)
			draw.Draw(a, dst, img, img.Bounds().Min, draw.Src)
		}
		s.Masks[i] = Mask{Alpha: a, Score: mj.Score}
	}
	return nil
}

func nonZeroBounds(a *image.Alpha) image.Rectangle {
	r := a.Rect
	minX, minY, maxX, maxY := r.Max.X, r.Max.Y, r.Min.X-1, r.Min.Y-1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := a.Pix[a.PixOffset(r.Min.X, y):a.PixOffset(r.Max.X, y)]
		for i, v := range row {
			if v == 0 {
				continue
			}
			x := r.Min.X + i
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	if maxX < minX {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}
