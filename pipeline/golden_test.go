package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
)

// fixedAnalyzer finds, in every photo, one face and one person at fixed
// fractions of the photo's size (the person's mask an ellipse in its box),
// and a second, small face in photos at least 100 pixels wide: a scene that
// depends on the photo's size only, so that the rendering is tested apart
// from any detector.
type fixedAnalyzer struct{}

func (fixedAnalyzer) Analyze(_ context.Context, img image.Image) (*detect.Scene, error) {
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	pb := detect.Box{X1: 0.25 * w, Y1: 0.1 * h, X2: 0.75 * w, Y2: h, Score: 0.9}
	m := image.NewAlpha(image.Rect(0, 0, b.Dx(), b.Dy()))
	cx, cy, rx, ry := (pb.X1+pb.X2)/2, (pb.Y1+pb.Y2)/2, (pb.X2-pb.X1)/2, (pb.Y2-pb.Y1)/2
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			if dx*dx+dy*dy <= 1 {
				m.Pix[m.PixOffset(x, y)] = 255
			}
		}
	}
	sc := &detect.Scene{
		Width: b.Dx(), Height: b.Dy(),
		Faces:     []detect.Face{{Box: detect.Box{X1: 0.38 * w, Y1: 0.12 * h, X2: 0.62 * w, Y2: 0.45 * h, Score: 0.95}}},
		People:    []detect.Person{{Box: pb}},
		Masks:     []detect.Mask{{Alpha: m}},
		Detectors: detect.Detectors{Face: "fixed", Person: "fixed", Segmenter: "fixed"},
	}
	if b.Dx() >= 100 {
		sc.Faces = append(sc.Faces, detect.Face{Box: detect.Box{X1: 0.05 * w, Y1: 0.05 * h, X2: 0.05*w + 12, Y2: 0.05*h + 14, Score: 0.5}})
	}
	return sc, nil
}

// TestSixConditionsGolden builds the six conditions of generated photos
// with a fixed scene, as PNG, and compares the SHA-256 of every variant's
// pixels with testdata/six-conditions.sha256, which main's builder wrote
// before conditions became parametrised: the paper's six conditions must
// stay the same, pixel for pixel, when no other condition is asked for.
// go test -run SixConditionsGolden -update rewrites the file (only after
// checking that a change of the six conditions is meant).
func TestSixConditionsGolden(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFixtures(t, in, 5)
	recs, err := FolderRecords(in)
	must(t, err)
	b, err := New(out, WithAnalyzer(fixedAnalyzer{}), WithBackgrounds(testBackgrounds()), WithWorkers(2), WithSeed(3), WithFormat("png"), WithContactSheet(0))
	must(t, err)
	if _, err := b.Run(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	rows := readJSONL[Row](t, filepath.Join(out, "metadata.jsonl"))
	if len(rows) != 5*len(AllConditions) {
		t.Fatalf("%d rows, want %d", len(rows), 5*len(AllConditions))
	}
	var lines []string
	for _, r := range rows {
		img, err := imageio.Load(filepath.Join(out, filepath.FromSlash(r.FileName)))
		must(t, err)
		sum := sha256.Sum256(img.Pix)
		lines = append(lines, fmt.Sprintf("%s %s %s", hex.EncodeToString(sum[:]), r.Condition, r.Source))
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", "six-conditions.sha256")
	if *update {
		must(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run SixConditionsGolden -update writes it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("variant pixels differ from %s:\n got  %s\n want %s", path, g, w)
			}
		}
	}
}
