package pipeline

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
)

// testAnalyzer returns the detectors the tests build with: the OpenCV
// default (Haar faces, HOG people, GrabCut masks), which needs no model file.
func testAnalyzer(t testing.TB) Analyzer {
	t.Helper()
	a, err := detect.NewAnalyzer(detect.NoModels, detect.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("detect.NewAnalyzer(detect.NoModels): %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// testBackgrounds is a set of two generated landscapes.
func testBackgrounds() *background.Set {
	mk := func(c color.RGBA) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, 300, 200))
		for y := 0; y < 200; y++ {
			for x := 0; x < 300; x++ {
				img.SetRGBA(x, y, color.RGBA{c.R, c.G, uint8(int(c.B) + y/4), 255})
			}
		}
		return img
	}
	return background.NewSet(
		background.Background{Name: "sky.png", Image: mk(color.RGBA{90, 140, 150, 255})},
		background.Background{Name: "grass.png", Image: mk(color.RGBA{40, 160, 20, 255})},
	)
}

// writeFixtures writes n small generated photos into dir/<person>/, as PNG
// and JPEG in turn, and returns their paths relative to dir.
func writeFixtures(t testing.TB, dir string, n int) []string {
	t.Helper()
	people := []string{"Ada Lovelace", "Alan_Turing", "Grace Hopper"}
	var rels []string
	for i := 0; i < n; i++ {
		w, h := 96+8*(i%5), 80+6*(i%4)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.SetRGBA(x, y, color.RGBA{uint8(x*3 + i*17), uint8(y*5 + i*7), uint8((x ^ y) + i), 255})
			}
		}
		// a darker "head" and "body", so there is something to find
		for y := h / 5; y < h; y++ {
			for x := w/2 - w/6; x < w/2+w/6; x++ {
				img.SetRGBA(x, y, color.RGBA{60, 40, uint8(30 + i), 255})
			}
		}
		person := people[i%len(people)]
		ext := ".png"
		if i%2 == 1 {
			ext = ".jpg"
		}
		rel := filepath.Join(person, fmt.Sprintf("%03d%s", i, ext))
		p := filepath.Join(dir, rel)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		f, err := os.Create(p)
		must(t, err)
		if ext == ".png" {
			must(t, png.Encode(f, img))
		} else {
			must(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 90}))
		}
		must(t, f.Close())
		rels = append(rels, filepath.ToSlash(rel))
	}
	return rels
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, sc.Text())
		}
		out = append(out, v)
	}
	return out
}

// checkOutput checks a finished build: one row per condition for every
// built photo, no duplicate rows, every file present and decodable at the
// row's size, a scene per photo, no temporary files. It returns the rows.
func checkOutput(t testing.TB, out string, conds []Condition) []Row {
	t.Helper()
	rows := readJSONL[Row](t, filepath.Join(out, "metadata.jsonl"))
	perPhoto := map[string]map[string]int{}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.FileName] {
			t.Errorf("duplicate row for %s", r.FileName)
		}
		seen[r.FileName] = true
		if perPhoto[r.ID] == nil {
			perPhoto[r.ID] = map[string]int{}
		}
		perPhoto[r.ID][r.Condition]++
		if want := Condition(r.Condition).Dir() + "/" + r.ID + filepath.Ext(r.FileName); r.FileName != want {
			t.Errorf("file_name %q, want %q", r.FileName, want)
		}
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(r.FileName)))
		if err != nil {
			t.Errorf("variant: %v", err)
			continue
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != r.SHA256 {
			t.Errorf("%s has sha256 %x, row says %s", r.FileName, sum, r.SHA256)
		}
		img, _, err := imageio.Decode(data)
		if err != nil {
			t.Errorf("variant %s: %v", r.FileName, err)
			continue
		}
		if img.Rect.Dx() != r.Width || img.Rect.Dy() != r.Height {
			t.Errorf("%s is %v, row says %dx%d", r.FileName, img.Rect.Size(), r.Width, r.Height)
		}
	}
	for id, byCond := range perPhoto {
		for _, c := range conds {
			if byCond[string(c)] != 1 {
				t.Errorf("photo %s has %d rows of %s", id, byCond[string(c)], c)
			}
		}
		if len(byCond) != len(conds) {
			t.Errorf("photo %s has conditions %v, want %v", id, byCond, conds)
		}
		if _, err := os.Stat(filepath.Join(out, "scenes", id+".json")); err != nil {
			t.Errorf("scene: %v", err)
		}
	}
	// Every variant file on disk has its row.
	for _, c := range conds {
		ents, err := os.ReadDir(filepath.Join(out, c.Dir()))
		must(t, err)
		for _, e := range ents {
			if !seen[c.Dir()+"/"+e.Name()] {
				t.Errorf("%s/%s has no metadata row", c, e.Name())
			}
		}
	}
	checkImagefolder(t, out)
	assertNoTemp(t, out)
	return rows
}

func assertNoTemp(t testing.TB, out string) {
	t.Helper()
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && (imageio.IsTemp(d.Name()) || strings.Contains(d.Name(), ".tmp")) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// testFaceDetector returns the face detector of testAnalyzer.
func testFaceDetector(t testing.TB) detect.FaceDetector {
	t.Helper()
	a, ok := testAnalyzer(t).(*detect.Analyzer)
	if !ok || a.Faces() == nil {
		t.Fatal("test analyzer has no face detector")
	}
	return a.Faces()
}
