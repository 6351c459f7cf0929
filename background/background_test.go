package background

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
	xdraw "golang.org/x/image/draw"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	red  = color.RGBA{255, 0, 0, 255}
	blue = color.RGBA{0, 0, 255, 255}
)

func halves(w, h int, left, right color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, image.Rect(0, 0, w/2, h), image.NewUniform(left), image.Point{}, draw.Src)
	draw.Draw(m, image.Rect(w/2, 0, w, h), image.NewUniform(right), image.Point{}, draw.Src)
	return m
}

func disc(w, h, cx, cy, r int) *image.Alpha {
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				m.SetAlpha(x, y, color.Alpha{255})
			}
		}
	}
	return m
}

func TestCompositeBlend(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 4, 1))
	draw.Draw(photo, photo.Rect, image.NewUniform(color.RGBA{200, 100, 0, 255}), image.Point{}, draw.Src)
	mask := image.NewAlpha(photo.Rect)
	mask.Pix = []uint8{255, 0, 128, 51}
	bg := image.NewUniform(color.RGBA{0, 0, 255, 255})
	got := Composite(photo, mask, bg)
	want := []color.RGBA{
		{200, 100, 0, 255},
		{0, 0, 255, 255},
		{100, 50, 127, 255}, // 200·128/255 = 100.4, 255·127/255 = 127
		{40, 20, 204, 255},  // 200·51/255 = 40, 255·204/255 = 204
	}
	for x, w := range want {
		if c := got.RGBAAt(x, 0); c != w {
			t.Errorf("pixel %d = %v, want %v", x, c, w)
		}
	}
	if c := Composite(photo, nil, bg).RGBAAt(0, 0); c != blue {
		t.Errorf("nil mask: %v, want the background", c)
	}
	if c := White(photo, mask).RGBAAt(1, 0); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("White outside the mask: %v", c)
	}
}

func TestCoverFit(t *testing.T) {
	bg := halves(200, 100, red, blue)
	tests := []struct {
		w, h             int
		leftAt, rightAt  int // x positions that must be red / blue
		edgeLo, edgeHigh int // the red/blue edge lies in [edgeLo, edgeHigh]
	}{
		{100, 100, 10, 90, 49, 51},    // crop the centre 100×100: edge in the middle
		{50, 100, 5, 45, 24, 26},      // crop 50×100
		{400, 200, 10, 390, 199, 201}, // scale ×2, no crop
		{400, 100, 10, 390, 199, 201}, // scale ×2 to 400×200, crop vertically
		{20, 10, 2, 18, 9, 11},        // shrink ×10
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			out := CoverFit(bg, tt.w, tt.h)
			if out.Rect != image.Rect(0, 0, tt.w, tt.h) {
				t.Fatalf("bounds %v", out.Rect)
			}
			y := tt.h / 2
			if c := out.RGBAAt(tt.leftAt, y); c != red {
				t.Errorf("(%d,%d) = %v, want red", tt.leftAt, y, c)
			}
			if c := out.RGBAAt(tt.rightAt, y); c != blue {
				t.Errorf("(%d,%d) = %v, want blue", tt.rightAt, y, c)
			}
			edge := -1
			for x := 0; x < tt.w; x++ {
				if out.RGBAAt(x, y).B > 127 {
					edge = x
					break
				}
			}
			if edge < tt.edgeLo || edge > tt.edgeHigh {
				t.Errorf("edge at %d, want in [%d,%d]", edge, tt.edgeLo, tt.edgeHigh)
			}
		})
	}
}

func TestMipLevelsMatchDirectFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bg := image.NewRGBA(image.Rect(0, 0, 2048, 1536))
	// Smooth content: 32-pixel blocks of random colour.
	for by := 0; by < 1536; by += 32 {
		for bx := 0; bx < 2048; bx += 32 {
			c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
			draw.Draw(bg, image.Rect(bx, by, bx+32, by+32), image.NewUniform(c), image.Point{}, draw.Src)
		}
	}
	s := NewSet(Background{Name: "blocks", Image: bg})
	photo := image.NewRGBA(image.Rect(0, 0, 300, 400))
	fast := s.Pick(0, "x").Composite(photo, nil)
	// The reference: a full bilinear kernel straight from the original,
	// 1536 rows to 400 (scale 0.26), over the centred 1152×1536 crop.
	direct := image.NewRGBA(image.Rect(0, 0, 300, 400))
	xdraw.BiLinear.Scale(direct, direct.Rect, bg, image.Rect(448, 0, 1600, 1536), xdraw.Src, nil)
	var diff float64
	for i := range fast.Pix {
		d := int(fast.Pix[i]) - int(direct.Pix[i])
		diff += float64(d * d)
	}
	if rms := diff / float64(len(fast.Pix)); rms > 15*15 {
		t.Errorf("mip-level fit differs from the direct fit: mean squared difference %.0f", rms)
	}
}

func TestPick(t *testing.T) {
	s := NewSet(
		Background{Name: "a", Image: image.NewUniform(red)},
		Background{Name: "b", Image: image.NewUniform(blue)},
		Background{Name: "c", Image: image.NewUniform(color.White)},
	)
	counts := map[string]int{}
	for i := 0; i < 3000; i++ {
		id := fmt.Sprintf("photo-%d", i)
		n := s.Pick(42, id).Name
		if again := s.Pick(42, id).Name; again != n {
			t.Fatalf("Pick(42, %s) not deterministic: %s then %s", id, n, again)
		}
		counts[n]++
	}
	for _, n := range []string{"a", "b", "c"} {
		if counts[n] < 900 || counts[n] > 1100 {
			t.Errorf("%s drawn %d times of 3000, want about 1000", n, counts[n])
		}
	}
	changed := 0
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("photo-%d", i)
		if s.Pick(1, id).Name != s.Pick(2, id).Name {
			changed++
		}
	}
	if changed < 150 {
		t.Errorf("another seed changed only %d of 300 picks", changed)
	}
}

func TestLoadSet(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSet(dir); !errors.Is(err, ErrEmptySet) {
		t.Errorf("empty dir: %v, want ErrEmptySet", err)
	}
	for _, n := range []string{"b.png", "a.png"} {
		var buf bytes.Buffer
		png.Encode(&buf, halves(8, 8, red, blue))
		os.WriteFile(filepath.Join(dir, n), buf.Bytes(), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644)
	s, err := LoadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); len(got) != 2 || got[0] != "a.png" || got[1] != "b.png" {
		t.Errorf("Names() = %v, want [a.png b.png]", got)
	}
	os.WriteFile(filepath.Join(dir, "c.jpg"), []byte("broken"), 0o644)
	if _, err := LoadSet(dir); err == nil || !bytes.Contains([]byte(err.Error()), []byte("c.jpg")) {
		t.Errorf("a broken file: %v, want an error naming c.jpg", err)
	}
}

func TestFeather(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 60, 60))
	draw.Draw(photo, photo.Rect, image.NewUniform(red), image.Point{}, draw.Src)
	mask := disc(60, 60, 30, 30, 15)
	hard := White(photo, mask)
	soft := White(photo, mask, WithFeather(6))
	if hard.RGBAAt(30, 30) != red || soft.RGBAAt(30, 30) != red {
		t.Error("the centre of the mask must stay the photo")
	}
	if hard.RGBAAt(2, 2) != (color.RGBA{255, 255, 255, 255}) || soft.RGBAAt(2, 2) != (color.RGBA{255, 255, 255, 255}) {
		t.Error("far outside the mask must stay white")
	}
	levels := func(m *image.RGBA) int {
		set := map[uint8]bool{}
		for x := 0; x < 60; x++ {
			set[m.RGBAAt(x, 30).G] = true
		}
		return len(set)
	}
	if h, s := levels(hard), levels(soft); h != 2 || s < 4 {
		t.Errorf("grey levels across the edge: hard %d (want 2), feathered %d (want ≥ 4)", h, s)
	}
}

func TestGolden(t *testing.T) {
	photo := halves(96, 64, color.RGBA{250, 200, 40, 255}, color.RGBA{30, 160, 90, 255})
	mask := disc(96, 64, 48, 32, 22)
	bg := halves(300, 120, color.RGBA{20, 40, 200, 255}, color.RGBA{120, 200, 255, 255})
	tests := []struct {
		name string
		img  *image.RGBA
	}{
		{"composite", Composite(photo, mask, bg)},
		{"composite-feather", Composite(photo, mask, bg, WithFeather(4))},
		{"white", White(photo, mask)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testenv.GoldenPNG(t, filepath.Join("testdata", tt.name+".golden.png"), tt.img, *update)
		})
	}
}

func TestSharedBackgrounds(t *testing.T) {
	dir := os.Getenv("PHANTOM_DATA")
	if dir == "" {
		t.Skip("PHANTOM_DATA not set")
	}
	s, err := LoadSet(filepath.Join(dir, "backgrounds"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() < 3 {
		t.Fatalf("%d backgrounds", s.Len())
	}
	photo := image.NewRGBA(image.Rect(0, 0, 512, 512))
	out := s.Pick(1, "eileen").Composite(photo, disc(512, 512, 256, 256, 100))
	if out.RGBAAt(256, 256) != (color.RGBA{}) || out.RGBAAt(5, 5).A != 255 {
		t.Errorf("composite on a real background: centre %v, corner %v", out.RGBAAt(256, 256), out.RGBAAt(5, 5))
	}
}

func BenchmarkComposite(b *testing.B) {
	bg := image.NewRGBA(image.Rect(0, 0, 2560, 1600))
	s := NewSet(Background{Name: "bg", Image: bg})
	for _, sz := range []image.Point{{1000, 1000}, {4000, 3000}} {
		photo := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		mask := disc(sz.X, sz.Y, sz.X/2, sz.Y/2, sz.Y/3)
		b.Run(fmt.Sprintf("%dMP", sz.X*sz.Y/1e6), func(b *testing.B) {
			for b.Loop() {
				s.Pick(0, "x").Composite(photo, mask)
			}
		})
		b.Run(fmt.Sprintf("white/%dMP", sz.X*sz.Y/1e6), func(b *testing.B) {
			for b.Loop() {
				White(photo, mask)
			}
		})
	}
}

func TestSetFingerprint(t *testing.T) {
	mk := func(v uint8) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, 4, 3))
		for i := range img.Pix {
			img.Pix[i] = v
		}
		return img
	}
	a := NewSet(Background{Name: "a.png", Image: mk(1)}, Background{Name: "b.png", Image: mk(2)})
	same := NewSet(Background{Name: "a.png", Image: mk(1)}, Background{Name: "b.png", Image: mk(2)})
	onePixel := mk(2)
	onePixel.Pix[5] = 9
	other := NewSet(Background{Name: "a.png", Image: mk(1)}, Background{Name: "b.png", Image: onePixel})
	fa, fs, fo := a.Fingerprint(), same.Fingerprint(), other.Fingerprint()
	if len(fa) != 2 || !strings.HasPrefix(fa[0], "a.png sha256:") || fa[0] != fs[0] || fa[1] != fs[1] {
		t.Errorf("fingerprints %q and %q, want two equal entries named after the files", fa, fs)
	}
	if fa[0] != fo[0] || fa[1] == fo[1] {
		t.Errorf("one pixel changed in b.png: %q against %q, want only b's entry to differ", fo, fa)
	}
}
