package detect

import (
	"context"
	"fmt"
	"image"
	"io"
	"time"
)

// Analyzer runs the configured detectors once on a photo and returns the
// Scene. A nil detector skips its stage; Segmenter runs only when People is
// set and found someone. An Analyzer is safe for concurrent use when its
// detectors are.
type Analyzer struct {
	Faces     FaceDetector
	People    PersonDetector
	Segmenter Segmenter
	// PeopleFromFaces, when set, adds a person box for every face whose
	// centre lies in none of the people found: the face widened to the
	// shoulders (3.2 face widths) and extended down to 6 face heights below
	// the chin, with half the face's score. Classical pedestrian detectors
	// (HOG) find only whole upright bodies and miss the head-and-shoulders
	// portraits that most photos of known people are; this keeps the cut-out
	// conditions from losing the person. Such people are labelled
	// "person-from-face". NewAnalyzer sets it with the OpenCV person default.
	PeopleFromFaces bool
}

// bodiesFromFaces returns a person box for each face whose centre lies in
// none of the people already found.
func bodiesFromFaces(faces []Face, people []Person, b image.Rectangle) []Person {
	var out []Person
	for _, f := range faces {
		cx, cy := (f.X1+f.X2)/2, (f.Y1+f.Y2)/2
		held := false
		for _, p := range people {
			if cx >= p.X1 && cx < p.X2 && cy >= p.Y1 && cy < p.Y2 {
				held = true
				break
			}
		}
		if held {
			continue
		}
		w, h := f.Width(), f.Height()
		box := Box{X1: cx - 1.6*w, X2: cx + 1.6*w, Y1: f.Y1 - 0.6*h, Y2: f.Y2 + 6*h, Score: f.Score / 2}
		out = append(out, Person{Box: box.Clip(b), Label: "person-from-face"})
	}
	return out
}

// Analyze detects faces, then people, then segments the people. img's
// bounds must start at (0, 0), as those of imageio.Load's images do (the
// Scene's coordinates and masks are the photo's); a SubImage elsewhere gives
// an error: copy it to the origin first. Scene.Times says how long each
// stage took.
func (a *Analyzer) Analyze(ctx context.Context, img image.Image) (*Scene, error) {
	b := img.Bounds()
	s := &Scene{Width: b.Dx(), Height: b.Dy()}
	if b.Min != (image.Point{}) {
		return nil, fmt.Errorf("detect: image bounds must start at (0,0), got %v", b)
	}
	var err error
	clock := time.Now()
	lap := func() time.Duration {
		now := time.Now()
		d := now.Sub(clock)
		clock = now
		return d
	}
	if a.Faces != nil {
		s.Detectors.Face = a.Faces.Name()
		if s.Faces, err = a.Faces.DetectFaces(ctx, img); err != nil {
			return nil, fmt.Errorf("detect: faces (%s): %w", a.Faces.Name(), err)
		}
	}
	s.Times.Faces = lap()
	if a.People != nil {
		s.Detectors.Person = a.People.Name()
		if s.People, err = a.People.DetectPeople(ctx, img); err != nil {
			return nil, fmt.Errorf("detect: people (%s): %w", a.People.Name(), err)
		}
	}
	if a.PeopleFromFaces {
		if extra := bodiesFromFaces(s.Faces, s.People, b); len(extra) > 0 {
			s.People = append(s.People, extra...)
			if s.Detectors.Person != "" {
				s.Detectors.Person += "+"
			}
			s.Detectors.Person += "face-body"
		}
	}
	s.Times.People = lap()
	if a.Segmenter != nil && len(s.People) > 0 {
		s.Detectors.Segmenter = a.Segmenter.Name()
		boxes := make([]Box, len(s.People))
		for i, p := range s.People {
			boxes[i] = p.Box
		}
		if s.Masks, err = a.Segmenter.Segment(ctx, img, boxes); err != nil {
			return nil, fmt.Errorf("detect: segment (%s): %w", a.Segmenter.Name(), err)
		}
		if len(s.Masks) != len(boxes) {
			return nil, fmt.Errorf("detect: segmenter %s returned %d masks for %d people", a.Segmenter.Name(), len(s.Masks), len(boxes))
		}
	}
	s.Times.Segment = lap()
	return s, nil
}

// Close closes every detector of the Analyzer that is set, and returns the
// first error.
func (a *Analyzer) Close() error {
	var first error
	for _, c := range []io.Closer{a.Faces, a.People, a.Segmenter} {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
