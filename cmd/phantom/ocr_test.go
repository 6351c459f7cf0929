package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// writeCaptionPNG writes a 480×240 gradient picture, with caption written in
// white on a dark bar when caption is not empty.
func writeCaptionPNG(t *testing.T, path, caption string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 480; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x / 2), uint8(120 + y/4), 90, 255})
		}
	}
	if caption != "" {
		f, err := opentype.Parse(gobold.TTF)
		if err != nil {
			t.Fatal(err)
		}
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 32, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			t.Fatal(err)
		}
		defer face.Close()
		draw.Draw(img, image.Rect(0, 160, 480, 215), image.NewUniform(color.RGBA{10, 20, 60, 255}), image.Point{}, draw.Src)
		d := font.Drawer{Dst: img, Src: image.White, Face: face, Dot: fixed.P(30, 200)}
		d.DrawString(caption)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOCRCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"default passes", nil},
		{"fast", []string{"--fast"}},
	} {
		t.Run(tc.name, func(t *testing.T) { testOCRCommand(t, tc.flags...) })
	}
}

// testOCRCommand runs phantom ocr with flags on a photo with the name on a
// caption bar, a broken file and a clean photo.
func testOCRCommand(t *testing.T, flags ...string) {
	dir := t.TempDir()
	if d := os.Getenv("PHANTOM_OCR_KEEP"); d != "" {
		dir = d
	}
	withName := filepath.Join(dir, "caption.png")
	clean := filepath.Join(dir, "clean.png")
	bad := filepath.Join(dir, "broken.jpg")
	writeCaptionPNG(t, withName, "LIONEL MESSI")
	writeCaptionPNG(t, clean, "")
	if err := os.WriteFile(bad, []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}

	var out, errb syncBuffer
	if status := phantomTo(t, &out, &errb, append([]string{"ocr", withName, bad, clean, "--name", "Lionel Messi", "--alias", "Leo Messi"}, flags...)...); status != 1 {
		t.Fatalf("exit status %d (want 1 for the broken file)\nstderr: %s", status, errb.String())
	}
	if !strings.Contains(errb.String(), "broken.jpg") || !strings.Contains(errb.String(), "unsupported image format") {
		t.Errorf("stderr does not name the broken file and the reason: %q\nstdout: %s", errb.String(), out.String())
	}

	type line struct {
		Path     string `json:"path"`
		Keep     *bool  `json:"keep"`
		Evidence []struct {
			Name  string `json:"name"`
			Run   string `json:"run"`
			Words []struct {
				Text string  `json:"text"`
				Box  [4]int  `json:"box"`
				Conf float64 `json:"conf"`
			} `json:"words"`
		} `json:"evidence"`
		Words []json.RawMessage `json:"words"`
		Error string            `json:"error"`
	}
	var lines []line
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	// The broken file is in the JSON output too, with its error and no
	// decision.
	if len(lines) != 3 || lines[0].Path != withName || lines[1].Path != bad || lines[2].Path != clean {
		t.Fatalf("output lines: %+v\n%s", lines, out.String())
	}
	if lines[1].Keep != nil || !strings.Contains(lines[1].Error, "unsupported image format") {
		t.Errorf("broken file's line: %+v, want its error and no keep", lines[1])
	}
	lines = append(lines[:1], lines[2])
	got := lines[0]
	if got.Keep == nil || *got.Keep || len(got.Evidence) == 0 {
		t.Fatalf("caption photo: %s", out.String())
	}
	ev := got.Evidence[0]
	if ev.Name != "Lionel Messi" || ev.Run != "lionel messi" || len(ev.Words) != 2 ||
		ev.Words[0].Text != "LIONEL" || ev.Words[0].Conf < 50 || ev.Words[0].Box[1] < 150 {
		t.Errorf("evidence: %+v", ev)
	}
	if len(got.Words) < 2 {
		t.Errorf("words read: %d", len(got.Words))
	}
	if lines[1].Keep == nil || !*lines[1].Keep {
		t.Errorf("clean photo: %s", out.String())
	}
}
