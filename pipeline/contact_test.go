package pipeline

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestContactSheetGolden draws the sheet of two generated photos (one
// landscape-shaped, one portrait-shaped) in every condition and compares it
// with testdata/contact-sheet.golden.png (go test -run ContactSheet -update
// rewrites it; look at it before committing).
func TestContactSheetGolden(t *testing.T) {
	out := t.TempDir()
	var photos [][]Row
	for p, size := range []image.Point{{300, 200}, {150, 240}} {
		id := []string{"00000000000000aa", "00000000000000bb"}[p]
		var rows []Row
		for ci, c := range AllConditions {
			img := image.NewRGBA(image.Rectangle{Max: size})
			for y := 0; y < size.Y; y++ {
				for x := 0; x < size.X; x++ {
					img.SetRGBA(x, y, color.RGBA{uint8(40 * ci), uint8(255 * x / size.X), uint8(255 * y / size.Y), 255})
				}
			}
			rel := string(c) + "/" + id + ".png"
			must(t, os.MkdirAll(filepath.Join(out, string(c)), 0o755))
			must(t, imageio.Save(filepath.Join(out, rel), img))
			rows = append(rows, Row{FileName: rel, ID: id, Name: []string{"Eileen Collins", "A Very Long Person Name Indeed"}[p], Condition: string(c), Faces: p + 1, People: 1})
		}
		photos = append(photos, rows)
	}
	sheet, err := ContactSheet(out, photos, AllConditions)
	must(t, err)
	testenv.GoldenPNG(t, filepath.Join("testdata", "contact-sheet.golden.png"), sheet, *update)
	// A variant that cannot be read is an error naming it.
	must(t, os.WriteFile(filepath.Join(out, photos[0][2].FileName), []byte("broken"), 0o644))
	if _, err := ContactSheet(out, photos, AllConditions); err == nil || !bytes.Contains([]byte(err.Error()), []byte(photos[0][2].FileName)) {
		t.Errorf("broken variant: err = %v", err)
	}
}
