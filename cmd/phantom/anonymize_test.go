package main

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/testenv"
)

func TestOutputPath(t *testing.T) {
	tests := []struct {
		in   inputFile
		want string
	}{
		{inputFile{path: "a/b/photo.jpeg"}, "out/photo.jpg"},
		{inputFile{path: "a/b/photo.PNG"}, "out/photo.png"},
		{inputFile{path: "photos/Ann Lee/1.webp", root: "photos"}, "out/Ann Lee/1.jpg"},
		{inputFile{path: "photos/x.png", root: "photos/"}, "out/x.png"},
	}
	for _, tt := range tests {
		if got := outputPath("out", tt.in); got != tt.want {
			t.Errorf("outputPath(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlanOutputs(t *testing.T) {
	dir := t.TempDir()
	in := func(names ...string) []inputFile {
		var out []inputFile
		for _, n := range names {
			p := filepath.Join(dir, n)
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			out = append(out, inputFile{path: p, root: dir})
		}
		return out
	}
	out := t.TempDir()
	tests := []struct {
		name    string
		files   []inputFile
		out     string
		inPlace bool
		want    []string // base names; nil: refused
	}{
		{"jpg and jpeg", in("x.jpeg", "x.jpg"), out, false, []string{"x.jpg", "x-1.jpg"}},
		{"gif and webp", in("a.gif", "a.webp"), out, false, []string{"a.jpg", "a-1.jpg"}},
		{"suffix taken too", in("b-1.jpg", "b.jpeg", "b.jpg"), out, false, []string{"b-1.jpg", "b.jpg", "b-2.jpg"}},
		{"png stays png", in("c.png", "c.webp"), out, false, []string{"c.png", "c.jpg"}},
		{"over the inputs", in("d.jpg", "d.png"), dir, false, nil},
		{"over the inputs, in place", in("e.jpg", "e.png"), dir, true, []string{"e.jpg", "e.png"}},
		{"into the input folder, no overwrite", in("f.webp"), dir, false, []string{"f.jpg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planOutputs(tt.files, tt.out, tt.inPlace)
			if tt.want == nil {
				if !errors.Is(err, errOverwrite) || !strings.Contains(err.Error(), "--in-place") {
					t.Errorf("err = %v, want errOverwrite suggesting --in-place", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				names = append(names, filepath.Base(g))
			}
			if strings.Join(names, " ") != strings.Join(tt.want, " ") {
				t.Errorf("outputs %v, want %v", names, tt.want)
			}
		})
	}
}

// TestAnonymizeIntoItsInput: anonymize DIR -o DIR is refused without
// --in-place, and the originals are untouched.
func TestAnonymizeIntoItsInput(t *testing.T) {
	photo := testenv.Data(t, "photos", "eileen-collins.png")
	dir := t.TempDir()
	orig, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "eileen.png")
	if err := os.WriteFile(target, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	out, status := phantomCombined(t, "anonymize", dir, "-o", dir, "--models", "none", "-q")
	if status == 0 || !strings.Contains(out, "overwrite input photos") || !strings.Contains(out, "eileen.png") {
		t.Errorf("anonymize DIR -o DIR: status %d\n%s\nwant a refusal naming the photo", status, out)
	}
	if now, _ := os.ReadFile(target); !bytes.Equal(now, orig) {
		t.Error("the original was changed")
	}
	if out, status := phantomCombined(t, "anonymize", dir, "-o", dir, "--models", "none", "-q", "--in-place"); status != 0 {
		t.Fatalf("--in-place: status %d\n%s", status, out)
	}
	if now, _ := os.ReadFile(target); bytes.Equal(now, orig) {
		t.Error("--in-place left the photo unchanged")
	}
}

// TestAnonymizeCLI pixelates the face of the astronaut portrait with the
// OpenCV default, next to a broken file that must be reported while the
// good one is still written.
func TestAnonymizeCLI(t *testing.T) {
	photo := testenv.Data(t, "photos", "eileen-collins.png")
	bad := filepath.Join(t.TempDir(), "broken.png")
	if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\ntruncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stdout, stderr, status := phantomRun(t, "anonymize", photo, bad, "-o", out, "--models", "none", "-q")
	if status == 0 {
		t.Error("exit status 0 with a broken input")
	}
	if !strings.Contains(stderr, "broken.png") || !strings.Contains(stderr, "1 of 2 inputs failed") {
		t.Errorf("stderr does not name the broken file or miscounts:\n%s", stderr)
	}
	before, err := imageio.Load(photo)
	if err != nil {
		t.Fatal(err)
	}
	after, err := imageio.Load(filepath.Join(out, "eileen-collins.png"))
	if err != nil {
		t.Fatalf("the good photo was not written: %v\n%s", err, stderr)
	}
	// The changed pixels must form the face's mosaic: inside the face's
	// neighbourhood (the YuNet face box is (179,63)-(270,174)), at most 100
	// colours.
	changed := image.Rectangle{}
	colours := map[[4]uint8]bool{}
	for y := 0; y < before.Rect.Dy(); y++ {
		for x := 0; x < before.Rect.Dx(); x++ {
			i := before.PixOffset(x, y)
			if !bytes.Equal(before.Pix[i:i+4], after.Pix[i:i+4]) {
				changed = changed.Union(image.Rect(x, y, x+1, y+1))
				colours[[4]uint8(after.Pix[i:i+4])] = true
			}
		}
	}
	if changed.Empty() {
		t.Fatal("no pixel changed")
	}
	if !changed.In(image.Rect(150, 30, 300, 210)) || changed.Dx() < 60 {
		t.Errorf("changed region %v is not the face", changed)
	}
	if len(colours) > 100 {
		t.Errorf("%d colours in the pixelated region, want ≤ 100", len(colours))
	}
	if !strings.Contains(stdout, "1 faces") {
		t.Errorf("stdout: %s", stdout)
	}
}

// TestBackgroundCLI cuts the astronaut out onto white with the OpenCV
// default: the corners become white, the suit stays.
func TestBackgroundCLI(t *testing.T) {
	photo := testenv.Data(t, "photos", "eileen-collins.png")
	out := t.TempDir()
	if b, status := phantomCombined(t, "background", photo, "-o", out, "--mode", "white", "--models", "none", "-q"); status != 0 {
		t.Fatalf("status %d\n%s", status, b)
	}
	img, err := imageio.Load(filepath.Join(out, "eileen-collins.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{2, 2}, {509, 2}} {
		if c := img.RGBAAt(p.X, p.Y); c.R != 255 || c.G != 255 || c.B != 255 {
			t.Errorf("corner %v = %v, want white", p, c)
		}
	}
	// The suit below the face stays the photo's.
	orig, err := imageio.Load(photo)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{230, 300}, {200, 420}} {
		if c, want := img.RGBAAt(p.X, p.Y), orig.RGBAAt(p.X, p.Y); c != want {
			t.Errorf("suit pixel %v = %v, want the photo's %v", p, c, want)
		}
	}
	if b, status := phantomCombined(t, "background", photo, "-o", out, "--mode", "sepia"); status == 0 || !strings.Contains(b, "sepia") {
		t.Errorf("an unknown mode: status %d %s", status, b)
	}
}

// TestExpandReportsUnsupported: a .heic or .tiff in a folder argument is
// reported and counted as failed, not silently left out, by the batch
// commands and by ocr.
func TestExpandReportsUnsupported(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.jpg", "b.heic", "c.TIFF", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	files, failed := expandInputs(&stderr, "anonymize", []string{dir})
	if len(files) != 1 || failed != 2 || !strings.Contains(stderr.String(), "b.heic: unsupported image format") ||
		!strings.Contains(stderr.String(), "c.TIFF") || strings.Contains(stderr.String(), "notes.txt") {
		t.Errorf("expandInputs: %d files, %d failed, stderr:\n%s", len(files), failed, stderr.String())
	}
	var reported []string
	paths, bad := expandImageArgs([]string{dir}, func(p string, err error) { reported = append(reported, filepath.Base(p)) })
	if len(paths) != 1 || bad != 2 || strings.Join(reported, ",") != "b.heic,c.TIFF" {
		t.Errorf("expandImageArgs: %v, %d bad, reported %v", paths, bad, reported)
	}
}
