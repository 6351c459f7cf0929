package detect

import (
	"context"
	"fmt"
	"image"
	"io"
	"time"
)

// Analyzer runs the configured detectors once on a photo and returns the
// Scene. Make one with NewAnalyzer (the best models found in a folder) or
// Compose (detectors of the caller's choosing). A nil detector skips its
// stage; the segmenter runs only when people were found. An Analyzer is
// safe for concurrent use when its detectors are.
type Analyzer struct {
	faces           FaceDetector
	people          PersonDetector
	segmenter       Segmenter
	peopleFromFaces bool
}

// Compose returns an Analyzer over detectors of the caller's choosing; a
// nil one skips its stage. The Analyzer owns them: its Close closes them.
// Of opts it reads WithPeopleFromFaces (off by default here), the others
// being settings of the detectors themselves.
func Compose(faces FaceDetector, people PersonDetector, seg Segmenter, opts ...Option) *Analyzer {
	o := newOptions(opts)
	return &Analyzer{faces: faces, people: people, segmenter: seg, peopleFromFaces: o.peopleFromFaces != nil && *o.peopleFromFaces}
}

// Faces returns the Analyzer's face detector, or nil when it finds no
// faces.
func (a *Analyzer) Faces() FaceDetector { return a.faces }

// People returns the Analyzer's person detector, or nil when it finds no
// people (it may still add bodies below faces: see PeopleFromFaces).
func (a *Analyzer) People() PersonDetector { return a.people }

// Segmenter returns the Analyzer's segmenter, or nil when it makes no
// masks.
func (a *Analyzer) Segmenter() Segmenter { return a.segmenter }

// PeopleFromFaces reports whether the Analyzer adds a person below every
// face that no person holds (see WithPeopleFromFaces).
func (a *Analyzer) PeopleFromFaces() bool { return a.peopleFromFaces }

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
	if a.faces != nil {
		s.Detectors.Face = a.faces.Name()
		if s.Faces, err = a.faces.DetectFaces(ctx, img); err != nil {
			return nil, fmt.Errorf("detect: faces (%s): %w", a.faces.Name(), err)
		}
	}
	s.Times.Faces = lap()
	if a.people != nil {
		s.Detectors.Person = a.people.Name()
		if s.People, err = a.people.DetectPeople(ctx, img); err != nil {
			return nil, fmt.Errorf("detect: people (%s): %w", a.people.Name(), err)
		}
	}
	if a.peopleFromFaces {
		if extra := bodiesFromFaces(s.Faces, s.People, b); len(extra) > 0 {
			s.People = append(s.People, extra...)
			if s.Detectors.Person != "" {
				s.Detectors.Person += "+"
			}
			s.Detectors.Person += "face-body"
		}
	}
	s.Times.People = lap()
	if a.segmenter != nil && len(s.People) > 0 {
		s.Detectors.Segmenter = a.segmenter.Name()
		boxes := make([]Box, len(s.People))
		for i, p := range s.People {
			boxes[i] = p.Box
		}
		if s.Masks, err = a.segmenter.Segment(ctx, img, boxes); err != nil {
			return nil, fmt.Errorf("detect: segment (%s): %w", a.segmenter.Name(), err)
		}
		if len(s.Masks) != len(boxes) {
			return nil, fmt.Errorf("detect: segmenter %s returned %d masks for %d people", a.segmenter.Name(), len(s.Masks), len(boxes))
		}
	}
	s.Times.Segment = lap()
	return s, nil
}

// Close closes every detector of the Analyzer that is set, and returns the
// first error.
func (a *Analyzer) Close() error {
	var first error
	for _, c := range []io.Closer{a.faces, a.people, a.segmenter} {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
