package leak

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// person is one photo of the test fixture.
type person struct {
	id, name string
	aliases  []string
	shade    uint8
	cond     string // set in writeVariants' map
}

var fixturePeople = []person{
	{id: "p-messi", name: "Lionel Messi", shade: 40},
	{id: "p-beyonce", name: "Beyoncé Knowles", aliases: []string{"Queen B"}, shade: 120},
	{id: "p-schumer", name: "Chuck Schumer", shade: 200},
}

// tinyPNG encodes an 8×8 image of one grey shade.
func tinyPNG(t testing.TB, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.Gray{Y: shade ^ 0xff})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeVariants writes a variants folder: every person in conditions, and
// rows for files that do not exist when missing is set. It returns the
// folder and the person of each image's bytes.
func writeVariants(t testing.TB, dir string, conditions []string, extra []Variant) map[string]person {
	t.Helper()
	byImage := make(map[string]person)
	var meta bytes.Buffer
	enc := json.NewEncoder(&meta)
	for _, c := range conditions {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range fixturePeople {
			data := tinyPNG(t, p.shade+uint8(len(c)))
			pc := p
			pc.cond = c
			byImage[string(data)] = pc
			name := c + "/" + p.id + ".png"
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
			enc.Encode(Variant{FileName: name, ID: p.id, Name: p.name, Aliases: p.aliases, Condition: c})
		}
	}
	for _, v := range extra {
		enc.Encode(v)
	}
	if err := os.WriteFile(filepath.Join(dir, MetadataFile), meta.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return byImage
}
