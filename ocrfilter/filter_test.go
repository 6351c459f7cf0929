package ocrfilter

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// captionPhoto returns a 640×480 photo (the astronaut portrait when
// PHANTOM_DATA is set, a generated busy background otherwise) and the same
// photo with a news caption bar reading caption across its lower part.
func captionPhoto(t testing.TB, caption string) (clean, captioned *image.RGBA) {
	t.Helper()
	bg := busyBackground(7, 640, 480)
	if dir := os.Getenv("PHANTOM_DATA"); dir != "" {
		img, err := imageio.Load(filepath.Join(dir, "photos", "eileen-collins.png"))
		if err != nil {
			t.Fatal(err)
		}
		bg = img
	}
	clean = fitCanvas(bg, 640, 480)
	captioned = fitCanvas(bg, 640, 480)
	bar := patch(t, []textLine{{caption, "bold", 32}}, color.RGBA{255, 255, 255, 255}, color.RGBA{0, 30, 90, 235}, 14, false)
	r := image.Rect(0, 370, 640, 370+bar.Bounds().Dy())
	draw.Draw(captioned, r, image.NewUniform(color.RGBA{0, 30, 90, 235}), image.Point{}, draw.Over)
	draw.Draw(captioned, bar.Bounds().Add(image.Pt(30, 370)), bar, image.Point{}, draw.Src)
	return clean, captioned
}

var (
	sharedOnce   sync.Once
	sharedFilter *Filter
	sharedErr    error
)

// filter returns one Filter with the default options for the package's tests.
func filter(t testing.TB) *Filter {
	t.Helper()
	sharedOnce.Do(func() { sharedFilter, sharedErr = New() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedFilter
}

// The "done when": a photo with "LIONEL MESSI" on a caption bar is
// dropped for the name "Lionel Messi", with the evidence; the same photo
// without the caption is kept.
func TestDecideCaptionBar(t *testing.T) {
	f := filter(t)
	clean, captioned := captionPhoto(t, "LIONEL MESSI")
	ctx := context.Background()

	d, err := f.Decide(ctx, captioned, "Lionel Messi", []string{"Leo Messi"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Keep {
		t.Fatalf("captioned photo kept; words read: %+v", d.Words)
	}
	ev := d.Evidence[0]
	t.Logf("dropped: run %q in %+v", ev.Run, ev.Words)
	if ev.Name != "Lionel Messi" || ev.Run != "lionel messi" {
		t.Errorf("evidence %q run %q, want the full name", ev.Name, ev.Run)
	}
	var text []string
	for _, w := range ev.Words {
		text = append(text, w.Text)
		if !w.Box.In(image.Rect(0, 360, 640, 440)) {
			t.Errorf("word %q box %v is not on the caption bar", w.Text, w.Box)
		}
		if w.Confidence <= 0 || w.Confidence > 100 {
			t.Errorf("word %q confidence %v", w.Text, w.Confidence)
		}
	}
	if got := strings.Join(text, " "); got != "LIONEL MESSI" {
		t.Errorf("evidence words %q", got)
	}

	d, err = f.Decide(ctx, clean, "Lionel Messi", []string{"Leo Messi"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Keep {
		t.Errorf("clean photo dropped: %+v", d.Evidence)
	}
}

// Text that shares fewer than 5 letters with the name keeps the photo.
func TestDecideDecoyCaption(t *testing.T) {
	f := filter(t)
	_, captioned := captionPhoto(t, "MESSY LIONS CAFE")
	d, err := f.Decide(context.Background(), captioned, "Lionel Messi", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Keep {
		t.Errorf("decoy caption dropped: %+v", d.Evidence)
	}
	if !strings.Contains(strings.ToUpper(wordsText(d.Words)), "LIONS") {
		t.Errorf("the decoy caption was not read: %q", wordsText(d.Words))
	}
}

func wordsText(ws []Word) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Text)
	}
	return strings.Join(s, " ")
}

// The generated set, small: names in four styles, two fonts, 14 to 36 px,
// straight and tilted, plus clean photos and decoy text.
func TestDecideGeneratedSet(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	f := filter(t)
	set := genSet(t, false)
	type res struct {
		drop bool
		ev   []Evidence
		err  error
	}
	out := make([]res, len(set))
	var wg sync.WaitGroup
	sem := make(chan struct{}, f.r.cfg.pool)
	for i, s := range set {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d, err := f.Decide(context.Background(), s.Img, s.Name, nil)
			out[i] = res{!d.Keep, d.Evidence, err}
		}()
	}
	wg.Wait()
	var st evalStats
	for i, s := range set {
		if out[i].err != nil {
			t.Fatalf("%s: %v", s.ID, out[i].err)
		}
		st.add(s, out[i].drop, 0)
		switch {
		case !s.WantDrop && out[i].drop:
			t.Errorf("%s: false drop for %q: %+v", s.ID, s.Name, out[i].ev)
		case s.WantDrop && !out[i].drop:
			t.Logf("%s: missed %q", s.ID, s.Name)
		}
	}
	t.Logf("%s", st)
	if st.hit20*100 < st.pos20*minRecallPct {
		t.Errorf("recall at ≥ 20 px %d/%d, want ≥ %d%%", st.hit20, st.pos20, minRecallPct)
	}
}

func TestDecideErrors(t *testing.T) {
	f := filter(t)
	if _, err := f.Decide(context.Background(), nil, "Lionel Messi", nil); err == nil {
		t.Error("nil image: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Decide(ctx, image.NewRGBA(image.Rect(0, 0, 10, 10)), "x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// A tiny image is read without error (and holds no words).
	d, err := f.Decide(context.Background(), image.NewRGBA(image.Rect(0, 0, 1, 1)), "Lionel Messi", nil)
	if err != nil || !d.Keep {
		t.Errorf("1×1 image: %+v, %v", d, err)
	}
}

func TestReaderClosed(t *testing.T) {
	r, err := NewReader(WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if _, err := r.Read(context.Background(), image.NewGray(image.Rect(0, 0, 8, 8))); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
}

func TestNewBadLanguage(t *testing.T) {
	if f, err := New(WithLanguage("xx-none")); err == nil {
		f.Close()
		t.Error("missing language: no error")
	}
}

// minRecallPct is the recall at ≥ 20 px this small set must keep: the
// issue's target. The default passes read all 24 names of this set at ≥ 20
// px, and about 99% on the full generated set (BENCHMARKS.md).
const minRecallPct = 95

func TestRotateGrayBack(t *testing.T) {
	for _, deg := range []float64{15, -15, 30} {
		src := image.NewGray(image.Rect(0, 0, 200, 100))
		for i := range src.Pix {
			src.Pix[i] = 255
		}
		sq := image.Rect(120, 30, 150, 50)
		draw.Draw(src, sq, image.Black, image.Point{}, draw.Src)
		rot, back := rotateGray(src, deg)
		// The dark pixels' box on the rotated canvas maps back over the square.
		dark := image.Rectangle{}
		for y := 0; y < rot.Rect.Dy(); y++ {
			for x := 0; x < rot.Rect.Dx(); x++ {
				if rot.Pix[y*rot.Stride+x] < 64 {
					dark = dark.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		got := back(dark)
		if !sq.Inset(2).In(got) || got.Dx() > sq.Dx()*2 || got.Dy() > sq.Dy()*3 {
			t.Errorf("%v°: square %v maps back to %v", deg, sq, got)
		}
	}
}

func TestResizeGray(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 4, 2))
	copy(src.Pix, []byte{0, 100, 200, 255, 0, 100, 200, 255})
	dst := resizeGray(src, 8, 4)
	if dst.Bounds() != image.Rect(0, 0, 8, 4) {
		t.Fatalf("bounds %v", dst.Bounds())
	}
	// Monotone rows stay monotone, ends stay the ends.
	for y := 0; y < 4; y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+8]
		if row[0] != 0 || row[7] != 255 {
			t.Errorf("row %d: %v", y, row)
		}
		for x := 1; x < 8; x++ {
			if row[x] < row[x-1] {
				t.Errorf("row %d not monotone: %v", y, row)
			}
		}
	}
}

// The shared real text photos: a page of printed text on noise, and
// handwritten formulas on paper.
func TestDecideRealTextPhotos(t *testing.T) {
	dir := os.Getenv("PHANTOM_DATA")
	if dir == "" {
		t.Skip("PHANTOM_DATA not set")
	}
	f := filter(t)
	read := func(name string) []Word {
		img, err := imageio.Load(filepath.Join(dir, "photos", name))
		if err != nil {
			t.Fatal(err)
		}
		words, err := f.Reader().Read(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		return words
	}
	noisy := read("text-noisy.png")
	if d := f.DecideWords(noisy, "Computer Vision", nil); d.Keep || d.Evidence[0].Run != "computer vision" {
		t.Errorf("text-noisy.png for \"Computer Vision\": %+v", d.Evidence)
	}
	if d := f.DecideWords(noisy, "Lionel Messi", nil); !d.Keep {
		t.Errorf("text-noisy.png dropped for Lionel Messi: %+v", d.Evidence)
	}
	if d := f.DecideWords(read("text-skimage.png"), "Lionel Messi", nil); !d.Keep {
		t.Errorf("text-skimage.png dropped for Lionel Messi: %+v", d.Evidence)
	}
}

func TestChromaGray(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.SetRGBA(0, 0, color.RGBA{200, 50, 100, 255}) // chroma 150
	img.SetRGBA(1, 0, color.RGBA{90, 90, 90, 255})   // grey: chroma 0
	for _, src := range []image.Image{img, image.Image(nrgba(img))} {
		g := chromaGray(src)
		if g.Pix[0] != 105 || g.Pix[1] != 255 {
			t.Errorf("%T: chromaGray = %v, want [105 255]", src, g.Pix)
		}
	}
}

func nrgba(m *image.RGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Bounds())
	draw.Draw(out, out.Bounds(), m, m.Bounds().Min, draw.Src)
	return out
}

// The regions pass alone reads names written straight onto a busy photo,
// straight and tilted, in the colours of the magazine style, and gives the
// words the box of the line they were read in.
func TestRegionsPass(t *testing.T) {
	r, err := NewReader(WithPasses(Pass{Regions: true}), WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		name  string
		fg    color.RGBA
		px    float64
		angle float64
	}{
		{"white straight", color.RGBA{255, 255, 255, 255}, 28, 0},
		{"yellow +15°", color.RGBA{255, 220, 0, 255}, 28, 15},
		{"pink −15°", color.RGBA{255, 60, 90, 255}, 24, -15},
		{"white small tilted", color.RGBA{255, 255, 255, 255}, 20, 10},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := fitCanvas(busyBackground(int64(10+i), 640, 480), 640, 480)
			p := rotateRGBA(patch(t, []textLine{{"SERENA", "bold", tt.px}, {"WILLIAMS", "bold", tt.px}},
				tt.fg, color.RGBA{}, 4, true), tt.angle)
			at := image.Pt(200, 150)
			draw.Draw(img, p.Bounds().Add(at), p, p.Bounds().Min, draw.Over)
			words, err := r.Read(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			ev := Match("Serena Williams", nil, words)
			if len(ev) == 0 {
				t.Fatalf("name not read; words %q", wordsText(words))
			}
			for _, w := range ev[0].Words {
				if w.Pass != "regions" || !w.Box.Overlaps(p.Bounds().Add(at)) {
					t.Errorf("word %q from pass %q at %v, text drawn at %v", w.Text, w.Pass, w.Box, p.Bounds().Add(at))
				}
			}
		})
	}
}

// TestFilterSettings: every option that changes decisions shows in
// Settings, which the builder records in build.json.
func TestFilterSettings(t *testing.T) {
	def := filter(t).Settings()
	if !strings.HasPrefix(def, "tesseract ") || !strings.Contains(def, "lang=eng") || !strings.Contains(def, "min_run=5") {
		t.Errorf("default Settings = %q", def)
	}
	for name, opt := range map[string]Option{
		"min run": WithMinRun(6), "confidence": WithMinConfidence(50), "passes": WithPasses(FastPasses()...),
		"psm": WithPageSegMode(PSMSingleBlock), "dpi": WithDPI(300),
	} {
		f, err := New(opt, WithPoolSize(1))
		if err != nil {
			t.Fatal(err)
		}
		if s := f.Settings(); s == def {
			t.Errorf("%s changed: Settings still %q", name, s)
		}
		f.Close()
	}
}
