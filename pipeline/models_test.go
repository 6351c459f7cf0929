package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestBuildWithModels builds Eileen Collins' portrait with the ONNX models of
// $PHANTOM_MODELS (face, person and mask) as PNG, so that pixels compare
// exactly, and checks the variants against the scene: the face pixelated in
// blur and nowhere else, the person kept and the rest white in white.
func TestBuildWithModels(t *testing.T) {
	models, root := testenv.Model(t, ""), testenv.Data(t)
	a, err := detect.NewAnalyzer(models, detect.WithDevice(detect.DeviceCPU))
	must(t, err)
	defer a.Close()
	in := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(in, "Eileen Collins"), 0o755))
	must(t, os.Symlink(filepath.Join(root, "photos", "eileen-collins.png"), filepath.Join(in, "Eileen Collins", "001.png")))
	recs, err := FolderRecords(in)
	must(t, err)
	out := t.TempDir()
	b, err := New(out, WithAnalyzer(a), WithBackgrounds(realBackgrounds(t, root)), WithFormat("png"), WithWorkers(1))
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	must(t, err)
	rows := checkOutput(t, out, AllConditions)
	if sum.Built != 1 || len(rows) != 6 {
		t.Fatalf("built %d, %d rows", sum.Built, len(rows))
	}
	if rows[0].Faces != 1 || rows[0].People < 1 || rows[0].Segmenter == "" {
		t.Fatalf("row %+v: want one face, a person and a segmenter", rows[0])
	}
	load := func(c Condition) []uint8 {
		img, err := imageio.Load(filepath.Join(out, string(c), rows[0].ID+".png"))
		must(t, err)
		return img.Pix
	}
	var sc detect.Scene
	data, err := os.ReadFile(filepath.Join(out, "scenes", rows[0].ID+".json"))
	must(t, err)
	must(t, sc.UnmarshalJSON(data))
	face := sc.Faces[0].Box.Rect()
	orig, blur, white := load(Original), load(Blur), load(White)
	stride := 4 * sc.Width
	changedIn, changedOut := 0, 0
	for y := 0; y < sc.Height; y++ {
		for x := 0; x < sc.Width; x++ {
			i := y*stride + 4*x
			diff := orig[i] != blur[i] || orig[i+1] != blur[i+1] || orig[i+2] != blur[i+2]
			switch {
			case diff && (x < face.Min.X || x >= face.Max.X || y < face.Min.Y || y >= face.Max.Y):
				changedOut++
			case diff:
				changedIn++
			}
		}
	}
	if changedOut != 0 || changedIn < face.Dx()*face.Dy()/2 {
		t.Errorf("blur changed %d pixels inside the face box %v and %d outside", changedIn, face, changedOut)
	}
	// White keeps the person: the face centre is the photo's, and the top
	// left corner (the flag behind her) is white.
	c := face.Min.Add(face.Size().Div(2))
	i := c.Y*stride + 4*c.X
	if white[i] != orig[i] || white[i+1] != orig[i+1] || white[i+2] != orig[i+2] {
		t.Errorf("white changed the face centre %v", c)
	}
	if white[0] != 255 || white[1] != 255 || white[2] != 255 {
		t.Errorf("white's top left corner is %v, want white", white[:3])
	}
}
