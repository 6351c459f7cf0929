package detect

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// Reference boxes for the real-photo tests. They come from the learnt
// models in $PHANTOM_MODELS, run once through this package (YuNet
// 2023mar for faces, yolov8n-coco for people, CPU, default thresholds),
// and were checked by eye: a classical detector is right when it agrees
// with them.
var (
	// eileen-collins.png: the astronaut's face and her upper body.
	ocvEileenFace   = Box{X1: 178.9, Y1: 63.2, X2: 269.7, Y2: 174.1}
	ocvEileenPerson = Box{X1: 6.3, Y1: 16.8, X2: 363.3, Y2: 512}
	// portrait-outdoor.jpg: the woman's face and body.
	ocvPortraitFace   = Box{X1: 208.5, Y1: 173.2, X2: 468.1, Y2: 519.8}
	ocvPortraitPerson = Box{X1: 0, Y1: 49.9, X2: 697.1, Y2: 1064.3}
)

var (
	ocvOnce    sync.Once
	ocvHaar    *HaarFaceDetector
	ocvHaarErr error
)

// ocvHaarDetector returns a shared detector with the default settings,
// skipping when no cascade is installed.
func ocvHaarDetector(t testing.TB) *HaarFaceDetector {
	t.Helper()
	ocvOnce.Do(func() { ocvHaar, ocvHaarErr = NewHaarFaceDetector() })
	if errors.Is(ocvHaarErr, ErrNoModel) {
		t.Skipf("no Haar cascade: %v", ocvHaarErr)
	}
	if ocvHaarErr != nil {
		t.Fatal(ocvHaarErr)
	}
	return ocvHaar
}

func TestFindHaarCascade(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cascade.xml")
	if err := os.WriteFile(file, []byte("<opencv_storage/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.xml")
	tests := []struct {
		name    string
		option  string
		env     string
		want    string // "" with wantErr
		wantErr bool
	}{
		{"option wins", file, missing, file, false},
		{"option missing", missing, "", "", true},
		{"environment", "", file, file, false},
		{"environment missing", "", missing, "", true},
		{"directory is not a file", dir, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(HaarCascadeEnv, tc.env)
			got, err := FindHaarCascade(tc.option)
			if tc.wantErr {
				if !errors.Is(err, ErrNoModel) {
					t.Fatalf("err = %v, want one wrapping ErrNoModel", err)
				}
				for _, p := range []string{tc.option, tc.env} {
					if p != "" && !strings.Contains(err.Error(), p) {
						t.Errorf("error %q does not name %s", err, p)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FindHaarCascade = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("not a cascade", func(t *testing.T) {
		_, err := NewHaarFaceDetector(WithCascade(file))
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Fatalf("err = %v, want an error naming %s", err, file)
		}
	})
}

func TestHaarFaces(t *testing.T) {
	d := ocvHaarDetector(t)
	tests := []struct {
		photo string
		want  int     // faces expected
		ref   Box     // the face's reference box, when want is 1
		iou   float64 // the least IoU of the best face with ref
	}{
		// Haar boxes are square and stop at the chin, YuNet's run from the
		// hair line to below the chin: 0.6 is agreement on the same face.
		{"photos/eileen-collins.png", 1, ocvEileenFace, 0.6},
		{"photos/portrait-outdoor.jpg", 1, ocvPortraitFace, 0.6},
		{"photos/gorilla.png", 0, Box{}, 0},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.photo), func(t *testing.T) {
			faces, err := d.DetectFaces(context.Background(), realPhoto(t, tc.photo))
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != tc.want {
				t.Fatalf("%d faces %v, want %d", len(faces), faces, tc.want)
			}
			if tc.want == 0 {
				return
			}
			f := faces[0]
			if got := f.IoU(tc.ref); got < tc.iou {
				t.Errorf("face %+v: IoU %.3f with the reference %+v, want ≥ %.2f", f.Box, got, tc.ref, tc.iou)
			}
			if f.Score <= 0.5 || f.Score >= 1 {
				t.Errorf("score %.3f, want in (0.5, 1)", f.Score)
			}
		})
	}
	t.Run("blank", func(t *testing.T) {
		faces, err := d.DetectFaces(context.Background(), image.NewRGBA(image.Rect(0, 0, 300, 200)))
		if err != nil || len(faces) != 0 {
			t.Fatalf("blank image: %v, %v", faces, err)
		}
	})
}

// TestHaarCongress runs the default detector over the 112 congress
// portraits and compares with the YuNet boxes of labels.csv.
func TestHaarCongress(t *testing.T) {
	d := ocvHaarDetector(t)
	dir := os.Getenv("PHANTOM_DATA")
	if dir == "" {
		t.Skip("PHANTOM_DATA not set")
	}
	dir = filepath.Join(dir, "faces", "congress")
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var one, found int
	var sumIoU, minIoU = 0.0, 1.0
	for _, r := range recs[1:] {
		var v [4]float64
		for i, s := range strings.Fields(r[col["yunet_face_box"]]) {
			v[i], _ = strconv.ParseFloat(s, 64)
		}
		ref := Box{X1: v[0], Y1: v[1], X2: v[2], Y2: v[3]}
		img, err := imageio.Load(filepath.Join(dir, r[col["file"]]))
		if err != nil {
			t.Fatal(err)
		}
		faces, err := d.DetectFaces(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		if len(faces) == 1 {
			one++
		}
		best := 0.0
		for _, fc := range faces {
			best = max(best, fc.IoU(ref))
		}
		if best > 0 {
			found++
		}
		sumIoU += best
		minIoU = min(minIoU, best)
	}
	n := len(recs) - 1
	t.Logf("congress: exactly one face on %d/%d (%.1f%%), reference face found on %d, IoU mean %.3f min %.3f",
		one, n, 100*float64(one)/float64(n), found, sumIoU/float64(n), minIoU)
	if float64(one) < 0.95*float64(n) {
		t.Errorf("exactly one face on %d of %d portraits, want ≥ 95%%", one, n)
	}
	if float64(found) < 0.97*float64(n) {
		t.Errorf("reference face found on %d of %d portraits, want ≥ 97%%", found, n)
	}
	if mean := sumIoU / float64(n); mean < 0.65 {
		t.Errorf("mean IoU with YuNet %.3f, want ≥ 0.65", mean)
	}
}

func TestBodiesFromFaces(t *testing.T) {
	b := image.Rect(0, 0, 1000, 1000)
	face := Face{Box: Box{X1: 400, Y1: 100, X2: 500, Y2: 200, Score: 0.8}}
	tests := []struct {
		name   string
		faces  []Face
		people []Person
		want   []Box
	}{
		{"no faces", nil, nil, nil},
		{"one face", []Face{face}, nil, []Box{{X1: 290, Y1: 40, X2: 610, Y2: 800, Score: 0.4}}},
		{"face already in a HOG person", []Face{face}, []Person{{Box: Box{X1: 300, Y1: 0, X2: 700, Y2: 900}}}, nil},
		{"clipped at the photo's edge", []Face{{Box: Box{X1: 0, Y1: 0, X2: 200, Y2: 200, Score: 1}}}, nil, []Box{{X1: 0, Y1: 0, X2: 420, Y2: 1000, Score: 0.5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := bodiesFromFaces(tc.faces, tc.people, b)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i, p := range got {
				if p.Box != tc.want[i] || p.Label != "person-from-face" {
					t.Errorf("person %d = %+v, want %+v", i, p, tc.want[i])
				}
			}
		})
	}
}

// TestHOGPeople runs HOG with bodies from the Haar faces (the Analyzer's
// PeopleFromFaces), as NewAnalyzer(NoModels) does.
func TestHOGPeople(t *testing.T) {
	faces := ocvHaarDetector(t)
	hogOnly, err := NewHOGPersonDetector()
	if err != nil {
		t.Fatal(err)
	}
	defer hogOnly.Close()
	withFaces := Compose(faces, hogOnly, nil, WithPeopleFromFaces(true))
	tests := []struct {
		photo string
		min   int
		ref   Box // a reference person the best box must match, when set
	}{
		{"photos/eileen-collins.png", 1, ocvEileenPerson},
		{"photos/portrait-outdoor.jpg", 1, ocvPortraitPerson},
		{"faces/face_recognition_examples/test_obama_and_biden.jpg", 2, Box{}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.photo), func(t *testing.T) {
			img := realPhoto(t, tc.photo)
			scene, err := withFaces.Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			people := scene.People
			if len(people) < tc.min {
				t.Fatalf("%d people, want ≥ %d", len(people), tc.min)
			}
			for _, p := range people {
				if (p.Label != "person" && p.Label != "person-from-face") || p.Box != p.Box.Clip(img.Rect) || p.Area() == 0 {
					t.Errorf("bad person %+v", p)
				}
			}
			if tc.ref != (Box{}) {
				best := 0.0
				for _, p := range people {
					best = max(best, p.IoU(tc.ref))
				}
				if best < 0.6 {
					t.Errorf("best IoU with the reference person %.3f, want ≥ 0.6 (%v)", best, people)
				}
			}
		})
	}
	t.Run("blank", func(t *testing.T) {
		hog, err := NewHOGPersonDetector()
		if err != nil {
			t.Fatal(err)
		}
		defer hog.Close()
		people, err := hog.DetectPeople(context.Background(), image.NewRGBA(image.Rect(0, 0, 640, 480)))
		if err != nil || len(people) != 0 {
			t.Fatalf("blank image: %v, %v", people, err)
		}
	})
}

// ocvMaskStats returns the fraction of box that the mask covers, and the
// number of mask pixels outside box; it fails on a value other than 0/255.
func ocvMaskStats(t *testing.T, m Mask, box image.Rectangle) (inside float64, outside int) {
	t.Helper()
	in := 0
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			switch v := m.AlphaAt(x, y).A; {
			case v == 0:
			case v != 255:
				t.Fatalf("mask value %d at (%d,%d)", v, x, y)
			case image.Pt(x, y).In(box):
				in++
			default:
				outside++
			}
		}
	}
	return float64(in) / float64(box.Dx()*box.Dy()), outside
}

func TestGrabCutSegmenter(t *testing.T) {
	seg, err := NewGrabCutSegmenter()
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	tests := []struct {
		photo string
		box   Box
		// The person fills part of the box: an upper body in a box over
		// the whole frame is about half of it.
		minIn, maxIn float64
		// Points checked by eye on the photo: on the person (face, clothes)
		// and on the background inside the box.
		person, background []image.Point
	}{
		{"photos/eileen-collins.png", ocvEileenPerson, 0.4, 0.95,
			[]image.Point{{224, 118}, {200, 300}, {250, 420}}, []image.Point{{40, 100}, {30, 200}}},
		{"photos/portrait-outdoor.jpg", ocvPortraitPerson, 0.4, 0.95,
			[]image.Point{{338, 346}, {355, 800}}, []image.Point{{60, 150}, {700, 300}}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.photo), func(t *testing.T) {
			img := realPhoto(t, tc.photo)
			masks, err := seg.Segment(context.Background(), img, []Box{tc.box})
			if err != nil {
				t.Fatal(err)
			}
			if len(masks) != 1 || masks[0].Rect != img.Rect {
				t.Fatalf("masks %v, want one with the photo's bounds", masks)
			}
			in, out := ocvMaskStats(t, masks[0], tc.box.Rect())
			t.Logf("mask covers %.1f%% of the box, %d pixels outside", 100*in, out)
			if in < tc.minIn || in > tc.maxIn {
				t.Errorf("mask covers %.3f of the box, want in [%.2f, %.2f]", in, tc.minIn, tc.maxIn)
			}
			if out != 0 {
				t.Errorf("%d mask pixels outside the box", out)
			}
			for _, p := range tc.person {
				if masks[0].AlphaAt(p.X, p.Y).A != 255 {
					t.Errorf("person point %v not in the mask", p)
				}
			}
			for _, p := range tc.background {
				if masks[0].AlphaAt(p.X, p.Y).A != 0 {
					t.Errorf("background point %v in the mask", p)
				}
			}
		})
	}
	t.Run("generated", func(t *testing.T) {
		// A dark figure (head and body) on a light textured wall.
		img := image.NewRGBA(image.Rect(0, 0, 300, 400))
		for y := 0; y < 400; y++ {
			for x := 0; x < 300; x++ {
				v := uint8(200 + (x*7+y*13)%40)
				img.SetRGBA(x, y, color.RGBA{v, v - 10, v - 30, 255})
				dx, dy := x-150, y-100
				if dx*dx+dy*dy < 40*40 || (x >= 90 && x < 210 && y >= 140 && y < 400) {
					img.SetRGBA(x, y, color.RGBA{uint8(30 + (x+y)%20), 40, 80, 255})
				}
			}
		}
		box := Box{X1: 70, Y1: 40, X2: 230, Y2: 400}
		masks, err := seg.Segment(context.Background(), img, []Box{box})
		if err != nil {
			t.Fatal(err)
		}
		figure := 0
		for y := 0; y < 400; y++ {
			for x := 0; x < 300; x++ {
				dx, dy := x-150, y-100
				isFig := dx*dx+dy*dy < 40*40 || (x >= 90 && x < 210 && y >= 140)
				if isFig == (masks[0].AlphaAt(x, y).A == 255) {
					figure++
				}
			}
		}
		if acc := float64(figure) / (300 * 400); acc < 0.97 {
			t.Errorf("mask agrees with the figure on %.3f of pixels, want ≥ 0.97", acc)
		}
	})
}

func TestDefaultAnalyzer(t *testing.T) {
	ocvHaarDetector(t) // skips without a cascade
	a, err := NewAnalyzer(NoModels, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	img := realPhoto(t, "photos/eileen-collins.png")
	s, err := a.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Faces) != 1 || len(s.People) < 1 || len(s.Masks) != len(s.People) {
		t.Errorf("scene: %d faces, %d people, %d masks; want 1, ≥1, one per person", len(s.Faces), len(s.People), len(s.Masks))
	}
	// The portrait's person comes from the face: HOG finds no whole body.
	if want := (Detectors{Face: HaarName, Person: HOGName + "+face-body", Segmenter: GrabCutName}); s.Detectors != want {
		t.Errorf("detectors %+v, want %+v", s.Detectors, want)
	}
	// Every stage ran, so every stage took time; the times are not part of
	// the sidecar.
	if s.Times.Faces <= 0 || s.Times.People <= 0 || s.Times.Segment <= 0 || s.Times.Total() != s.Times.Faces+s.Times.People+s.Times.Segment {
		t.Errorf("stage times %+v", s.Times)
	}
	if js, err := json.Marshal(s); err != nil || bytes.Contains(js, []byte("Times")) || bytes.Contains(js, []byte("times")) {
		t.Errorf("sidecar holds the stage times (%v): %.200s", err, js)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.faces.DetectFaces(context.Background(), img); err == nil {
		t.Error("closed Haar detector: no error")
	}
	if _, err := a.people.DetectPeople(context.Background(), img); err == nil {
		t.Error("closed HOG detector: no error")
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOpenCVConcurrentAndCancelled(t *testing.T) {
	ocvHaarDetector(t)
	d, err := NewHaarFaceDetector(WithHaarPool(2))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img := realPhoto(t, "photos/eileen-collins.png")
	want, err := d.DetectFaces(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := d.DetectFaces(context.Background(), img)
			if err == nil && fmt.Sprint(got) != fmt.Sprint(want) {
				err = fmt.Errorf("concurrent result %v, want %v", got, want)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.DetectFaces(ctx, img); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled DetectFaces: err = %v", err)
	}
	seg, _ := NewGrabCutSegmenter()
	if _, err := seg.Segment(ctx, img, []Box{ocvEileenPerson}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Segment: err = %v", err)
	}
}

func TestHaarMemoFollowsPixels(t *testing.T) {
	d := ocvHaarDetector(t)
	img := realPhoto(t, "photos/eileen-collins.png")
	first, err := d.DetectFaces(context.Background(), img)
	if err != nil || len(first) != 1 {
		t.Fatalf("faces %v, %v; want one", first, err)
	}
	again, err := d.DetectFaces(context.Background(), img)
	if err != nil || fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("second call %v, %v; want %v", again, err, first)
	}
	// Blank the face in place: the remembered answer must not come back.
	r := first[0].Rect()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, color.RGBA{A: 255})
		}
	}
	after, err := d.DetectFaces(context.Background(), img)
	if err != nil || len(after) != 0 {
		t.Fatalf("after blanking the face: %v, %v; want no face", after, err)
	}
}

// ExampleNewAnalyzer_noModels runs the no-weights default on a blank image: no face,
// no person, and the detectors' names for the metadata.
func ExampleNewAnalyzer_noModels() {
	a, err := NewAnalyzer(NoModels, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	s, err := a.Analyze(context.Background(), image.NewRGBA(image.Rect(0, 0, 320, 240)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(s.Faces), "faces,", len(s.People), "people")
	fmt.Println(s.Detectors.Face, s.Detectors.Person)
	// Output:
	// 0 faces, 0 people
	// opencv-haar opencv-hog
}

func BenchmarkHaar(b *testing.B) {
	d := ocvHaarDetector(b)
	for _, p := range []string{"photos/eileen-collins.png", "photos/portrait-outdoor.jpg", "photos/crowd-selfie.jpg"} {
		img := realPhoto(b, p)
		b.Run(filepath.Base(p), func(b *testing.B) {
			for b.Loop() {
				if _, err := d.DetectFaces(context.Background(), img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDefaultAnalyze is NewAnalyzer(NoModels)'s whole Analyze: faces, people
// (HOG plus bodies from the faces) and masks.
func BenchmarkDefaultAnalyze(b *testing.B) {
	ocvHaarDetector(b)
	a, err := NewAnalyzer(NoModels, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for _, p := range []string{"photos/eileen-collins.png", "photos/portrait-outdoor.jpg"} {
		img := realPhoto(b, p)
		b.Run(filepath.Base(p), func(b *testing.B) {
			for b.Loop() {
				if _, err := a.Analyze(context.Background(), img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHOG(b *testing.B) {
	d, err := NewHOGPersonDetector()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for _, p := range []string{"photos/eileen-collins.png", "photos/two-people-night.jpg", "photos/crowd-selfie.jpg"} {
		img := realPhoto(b, p)
		b.Run(filepath.Base(p), func(b *testing.B) {
			for b.Loop() {
				if _, err := d.DetectPeople(context.Background(), img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGrabCut(b *testing.B) {
	seg, err := NewGrabCutSegmenter()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		photo string
		box   Box
	}{
		{"photos/eileen-collins.png", ocvEileenPerson},
		{"photos/portrait-outdoor.jpg", ocvPortraitPerson},
	} {
		img := realPhoto(b, c.photo)
		b.Run(filepath.Base(c.photo), func(b *testing.B) {
			for b.Loop() {
				if _, err := seg.Segment(context.Background(), img, []Box{c.box}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
