package tess

import (
	"errors"
	"image"
	"image/draw"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// textImage renders lines of black text on white at size px.
func textImage(t testing.TB, w, h int, size float64, lines ...string) *image.Gray {
	t.Helper()
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.Black, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(20, int(size*1.6)*(i+1))
		d.DrawString(l)
	}
	return img
}

func TestRead(t *testing.T) {
	cl, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	img := textImage(t, 640, 200, 40, "HELLO WORLD", "second line")
	words, err := cl.Read(img)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range words {
		got = append(got, w.Text)
		if w.Box.Empty() || !w.Box.In(img.Bounds()) {
			t.Errorf("word %q: box %v not inside %v", w.Text, w.Box, img.Bounds())
		}
		if w.Conf < 50 || w.Conf > 100 {
			t.Errorf("word %q: confidence %.1f", w.Text, w.Conf)
		}
	}
	if s := strings.Join(got, " "); s != "HELLO WORLD second line" {
		t.Fatalf("read %q", s)
	}
	if words[0].Line == words[2].Line && words[0].Block == words[2].Block {
		t.Errorf("lines not told apart: %+v", words)
	}
	// A sub-image reports boxes in the parent's coordinates.
	sub := img.SubImage(image.Rect(0, 40, 640, 200)).(*image.Gray)
	words2, err := cl.Read(sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(words2) < 2 || words2[0].Box.Min.Y < 40 {
		t.Errorf("sub-image words: %+v", words2)
	}
}

// The page segmentation mode must survive Tesseract's Init (which resets it):
// as a single word (PSM 8) two words come back as one.
func TestPageSegModeApplies(t *testing.T) {
	img := textImage(t, 640, 120, 40, "HELLO WORLD")
	for _, tc := range []struct{ psm, want int }{{PSMSparseText, 2}, {8, 1}} {
		cl, err := New(Config{PSM: tc.psm})
		if err != nil {
			t.Fatal(err)
		}
		words, err := cl.Read(img)
		cl.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(words) != tc.want {
			t.Errorf("PSM %d: %d words %+v, want %d", tc.psm, len(words), words, tc.want)
		}
	}
}

func TestReadBlank(t *testing.T) {
	cl, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	words, err := cl.Read(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(words) != 0 {
		t.Errorf("blank image: read %+v", words)
	}
}

// Tiny and thin images must not crash Tesseract, with either binarisation.
func TestReadTiny(t *testing.T) {
	for _, method := range []string{"0", "2"} {
		cl, err := New(Config{Vars: map[string]string{"thresholding_method": method}})
		if err != nil {
			t.Fatal(err)
		}
		for _, sz := range []image.Point{{1, 1}, {2, 300}, {300, 2}, {20, 20}, {63, 500}, {64, 64}} {
			img := image.NewGray(image.Rect(0, 0, sz.X, sz.Y))
			for i := range img.Pix {
				img.Pix[i] = uint8(i * 37)
			}
			if _, err := cl.Read(img); err != nil {
				t.Errorf("method %s, %v: %v", method, sz, err)
			}
		}
		cl.Close()
	}
}

func TestNewBadLanguage(t *testing.T) {
	cl, err := New(Config{Lang: "xx-nonexistent"})
	if err == nil {
		cl.Close()
		t.Fatal("no error for a missing language")
	}
	if !errors.Is(err, ErrInit) {
		t.Errorf("error %v is not ErrInit", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	img := textImage(t, 400, 100, 36, "PARALLEL")
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := New(Config{})
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			for j := 0; j < 2; j++ {
				w, err := cl.Read(img)
				if err != nil || len(w) != 1 || w[0].Text != "PARALLEL" {
					t.Errorf("read %+v, %v", w, err)
				}
			}
		}()
	}
	wg.Wait()
}

func TestEncodePGM(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(img.Pix, []byte{1, 2, 3, 4, 5, 6})
	got := string(EncodePGM(img.SubImage(image.Rect(1, 0, 3, 2)).(*image.Gray)))
	if want := "P5\n2 2\n255\n\x02\x03\x05\x06"; got != want {
		t.Errorf("EncodePGM = %q, want %q", got, want)
	}
}

func BenchmarkRead(b *testing.B) {
	cl, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	img := textImage(b, 640, 480, 28, "The quick brown fox", "jumps over the lazy dog", "LIONEL MESSI 10")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cl.Read(img); err != nil {
			b.Fatal(err)
		}
	}
}
