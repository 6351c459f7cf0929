package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"time"
)

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
					return nil, fmt.Errorf("detect: encoding mask %d: %w", i, err)
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
				return fmt.Errorf("detect: decoding mask %d: %w", i, err)
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
