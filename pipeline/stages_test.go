package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/phantom-vlm/phantom/detect"
)

// countingFaces, countingPeople and countingSegmenter count their calls and
// find one face, one person and one full mask.
type countingFaces struct{ n atomic.Int32 }

func (c *countingFaces) DetectFaces(_ context.Context, img image.Image) ([]detect.Face, error) {
	c.n.Add(1)
	return []detect.Face{{Box: detect.Box{X1: 10, Y1: 10, X2: 40, Y2: 40, Score: 0.9}}}, nil
}
func (c *countingFaces) Name() string { return "count-faces" }
func (c *countingFaces) Close() error { return nil }

type countingPeople struct{ n atomic.Int32 }

func (c *countingPeople) DetectPeople(_ context.Context, img image.Image) ([]detect.Person, error) {
	c.n.Add(1)
	b := img.Bounds()
	return []detect.Person{{Box: detect.Box{X1: 5, Y1: 5, X2: float64(b.Dx() - 5), Y2: float64(b.Dy()), Score: 0.8}}}, nil
}
func (c *countingPeople) Name() string { return "count-people" }
func (c *countingPeople) Close() error { return nil }

type countingSegmenter struct{ n atomic.Int32 }

func (c *countingSegmenter) Segment(_ context.Context, img image.Image, boxes []detect.Box) ([]detect.Mask, error) {
	c.n.Add(1)
	out := make([]detect.Mask, len(boxes))
	for i, bx := range boxes {
		a := image.NewAlpha(img.Bounds())
		r := bx.Rect().Intersect(a.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				a.Pix[a.PixOffset(x, y)] = 255
			}
		}
		out[i] = detect.Mask{Alpha: a}
	}
	return out, nil
}
func (c *countingSegmenter) Name() string { return "count-masks" }
func (c *countingSegmenter) Close() error { return nil }

func TestConditionNeeds(t *testing.T) {
	tests := []struct {
		c             Condition
		faces, people bool
	}{
		{Original, false, false},
		{Blur, true, false},
		{Landscape, false, true},
		{White, false, true},
		{LandscapeBlur, true, true},
		{WhiteBlur, true, true},
	}
	for _, tt := range tests {
		if got := tt.c.NeedsFaces(); got != tt.faces {
			t.Errorf("%s.NeedsFaces() = %v, want %v", tt.c, got, tt.faces)
		}
		if got := tt.c.NeedsPeople(); got != tt.people {
			t.Errorf("%s.NeedsPeople() = %v, want %v", tt.c, got, tt.people)
		}
	}
	for _, tt := range []struct {
		conds []Condition
		want  detect.Stages
	}{
		{[]Condition{Original}, 0},
		{[]Condition{Original, Blur}, detect.StageFaces},
		{[]Condition{White}, detect.StagePeople | detect.StageMasks},
		{AllConditions, detect.AllStages},
	} {
		if got := Stages(tt.conds); got != tt.want {
			t.Errorf("Stages(%v) = %v, want %v", tt.conds, got, tt.want)
		}
	}
}

// TestBuildRunsOnlyNeededStages builds with an Analyzer whose detectors
// count their calls: a stage no condition needs never runs, and its
// metadata column says "not run" (a string in every row, as the
// imagefolder loader needs one type per column).
func TestBuildRunsOnlyNeededStages(t *testing.T) {
	tests := []struct {
		name                string
		conds               []Condition
		faces, people, segs bool
	}{
		{"original", []Condition{Original}, false, false, false},
		{"original,blur", []Condition{Original, Blur}, true, false, false},
		{"white", []Condition{White}, false, true, true},
		{"landscape+blur", []Condition{LandscapeBlur}, true, true, true},
		{"all", AllConditions, true, true, true},
	}
	in := t.TempDir()
	writeFixtures(t, in, 3)
	recs, err := FolderRecords(in)
	must(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p, s := &countingFaces{}, &countingPeople{}, &countingSegmenter{}
			an := detect.Compose(f, p, s)
			out := t.TempDir()
			b, err := New(out, WithAnalyzer(an), WithConditions(tt.conds...), WithBackgrounds(testBackgrounds()), WithWorkers(2), WithContactSheet(0))
			must(t, err)
			if _, err := b.Run(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			check := func(stage string, calls int32, want bool) {
				if ran := calls > 0; ran != want {
					t.Errorf("%s: %d calls, want run=%v", stage, calls, want)
				} else if want && calls != int32(len(recs)) {
					t.Errorf("%s: %d calls for %d photos", stage, calls, len(recs))
				}
			}
			check("faces", f.n.Load(), tt.faces)
			check("people", p.n.Load(), tt.people)
			check("masks", s.n.Load(), tt.segs)
			name := func(want bool, n string) string {
				if want {
					return n
				}
				return NotRun
			}
			rows := checkOutput(t, out, tt.conds)
			if len(rows) != len(recs)*len(tt.conds) {
				t.Fatalf("%d rows", len(rows))
			}
			for _, r := range rows {
				if r.FaceDetector != name(tt.faces, "count-faces") || r.PersonDetector != name(tt.people, "count-people") || r.Segmenter != name(tt.segs, "count-masks") {
					t.Errorf("%s: detectors %q, %q, %q", r.FileName, r.FaceDetector, r.PersonDetector, r.Segmenter)
				}
			}
			// The raw JSON: every detector column is a string.
			data, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
			must(t, err)
			for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				var m map[string]any
				must(t, json.Unmarshal(line, &m))
				for _, k := range []string{"face_detector", "person_detector", "segmenter"} {
					if _, ok := m[k].(string); !ok {
						t.Errorf("%s = %#v, want a string", k, m[k])
					}
				}
			}
		})
	}
}
