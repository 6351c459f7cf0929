// Package detect finds faces and people in photos and segments people with
// masks. It defines the plain-Go types every detector returns (Box, Face,
// Person, Mask), the interfaces that detectors implement (FaceDetector,
// PersonDetector, Segmenter) and Scene, the result of running them once on a
// photo so that every condition variant can reuse it.
//
// Implementations live beside the interfaces: a classical OpenCV default that
// needs no model files, and ONNX Runtime detectors for real model weights.
// No cgo type appears in this package's API.
package detect

import (
	"context"
	"errors"
	"image"
	"io"
	"math"
)

// ErrNoModel is returned (wrapped) when a detector's model file cannot be
// found: by every ONNX constructor for a missing file (the error then also
// matches fs.ErrNotExist and names the path), and by NewHaarFaceDetector when
// no cascade is found (the error lists the paths tried).
var ErrNoModel = errors.New("detect: model file not found")

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
