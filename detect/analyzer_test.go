package detect

import (
	"context"
	"image"
	"log/slog"
	"testing"
)

// oneFace is a face detector that finds one face in the middle of the
// photo and counts its Close calls.
type oneFace struct{ closed int }

func (d *oneFace) DetectFaces(_ context.Context, img image.Image) ([]Face, error) {
	mid := float64(img.Bounds().Dx()) / 2
	return []Face{{Box: Box{X1: mid - 10, Y1: 10, X2: mid + 10, Y2: 30, Score: 0.9}}}, nil
}
func (d *oneFace) Name() string { return "one-face" }
func (d *oneFace) Close() error { d.closed++; return nil }

// noPeople is a person detector that finds nobody and counts its Close
// calls.
type noPeople struct{ closed int }

func (d *noPeople) DetectPeople(context.Context, image.Image) ([]Person, error) { return nil, nil }
func (d *noPeople) Name() string                                                { return "no-people" }
func (d *noPeople) Close() error                                                { d.closed++; return nil }

func TestCompose(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 300))
	for _, tc := range []struct {
		name       string
		opts       []Option
		wantPeople int
		wantPerson string // Scene.Detectors.Person
	}{
		{"default: no bodies from faces", nil, 0, "no-people"},
		{"people from faces", []Option{WithPeopleFromFaces(true)}, 1, "no-people+face-body"},
		{"turned off", []Option{WithPeopleFromFaces(false)}, 0, "no-people"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, p := &oneFace{}, &noPeople{}
			a := Compose(f, p, nil, tc.opts...)
			if a.Faces() != f || a.People() != p || a.Segmenter() != nil {
				t.Errorf("detectors %v %v %v, want the ones given", a.Faces(), a.People(), a.Segmenter())
			}
			s, err := a.Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Faces) != 1 || len(s.People) != tc.wantPeople || s.Detectors.Person != tc.wantPerson {
				t.Errorf("%d faces, %d people by %q; want 1, %d by %q", len(s.Faces), len(s.People), s.Detectors.Person, tc.wantPeople, tc.wantPerson)
			}
			if a.PeopleFromFaces() != (tc.wantPeople > 0) {
				t.Errorf("PeopleFromFaces = %v", a.PeopleFromFaces())
			}
			if err := a.Close(); err != nil || f.closed != 1 || p.closed != 1 {
				t.Errorf("Close = %v; closed faces %d, people %d times, want once each", err, f.closed, p.closed)
			}
		})
	}
}

func TestNewAnalyzerPeopleFromFacesOption(t *testing.T) {
	quiet := WithLogger(slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		name string
		opts []Option
		want bool
	}{
		{"OpenCV default", nil, true},
		{"turned off", []Option{WithPeopleFromFaces(false)}, false},
	} {
		a, err := NewAnalyzer(NoModels, append(tc.opts, quiet)...)
		if err != nil {
			t.Skip(err)
		}
		if got := a.PeopleFromFaces(); got != tc.want {
			t.Errorf("%s: PeopleFromFaces = %v, want %v", tc.name, got, tc.want)
		}
		a.Close()
	}
}
