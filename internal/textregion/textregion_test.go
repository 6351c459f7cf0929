package textregion

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

func TestLabel(t *testing.T) {
	tests := []struct {
		name  string
		rows  []string
		comps int
	}{
		{"empty", []string{"....", "...."}, 0},
		{"one", []string{".##.", ".##."}, 1},
		{"two apart", []string{"#..#", "#..#"}, 2},
		{"diagonal joins (8-connected)", []string{"#...", ".#..", "..#."}, 1},
		{"u shape", []string{"#.#", "#.#", "###"}, 1},
		{"row gap splits", []string{"##", "..", "##"}, 2},
		{"nested ring and dot", []string{"#####", "#...#", "#.#.#", "#...#", "#####"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := image.NewGray(image.Rect(0, 0, len(tt.rows[0]), len(tt.rows)))
			area := 0
			for y, r := range tt.rows {
				for x, c := range r {
					if c == '#' {
						g.Pix[y*g.Stride+x] = 255
						area++
					}
				}
			}
			runs := threshold(g, 128, true)
			comps := label(runs)
			if len(comps) != tt.comps {
				t.Fatalf("%d components, want %d", len(comps), tt.comps)
			}
			sum := 0
			for _, c := range comps {
				sum += c.area
			}
			if sum != area {
				t.Errorf("areas sum to %d, want %d", sum, area)
			}
		})
	}
}

// noisy returns a w×h grey image of random blocks and pixel noise.
func noisy(seed int64, w, h int) *image.Gray {
	rng := rand.New(rand.NewSource(seed))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 110
	}
	for n := 0; n < 30; n++ {
		r := image.Rect(rng.Intn(w), rng.Intn(h), 0, 0)
		r.Max = r.Min.Add(image.Pt(20+rng.Intn(120), 20+rng.Intn(120)))
		draw.Draw(g, r, image.NewUniform(color.Gray{uint8(40 + rng.Intn(150))}), image.Point{}, draw.Src)
	}
	for i := range g.Pix {
		g.Pix[i] = uint8(max(0, min(255, int(g.Pix[i])+rng.Intn(31)-15)))
	}
	return g
}

// withText writes s in white, size px, rotated deg counter-clockwise about
// the text's centre at (cx, cy), onto a copy of bg.
func withText(t *testing.T, bg *image.Gray, s string, px, deg float64, cx, cy int) *image.Gray {
	t.Helper()
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	w := font.MeasureString(face, s).Ceil()
	h := face.Metrics().Height.Ceil()
	txt := image.NewGray(image.Rect(0, 0, w+8, h+8))
	d := font.Drawer{Dst: txt, Src: image.White, Face: face, Dot: fixed.P(4, 4+face.Metrics().Ascent.Ceil())}
	d.DrawString(s)
	rot := render(invert(txt), 1, deg, 0) // black text on white, rotated
	out := image.NewGray(bg.Rect)
	copy(out.Pix, bg.Pix)
	ox, oy := cx-rot.Rect.Dx()/2, cy-rot.Rect.Dy()/2
	for y := 0; y < rot.Rect.Dy(); y++ {
		for x := 0; x < rot.Rect.Dx(); x++ {
			a := 255 - int(rot.Pix[y*rot.Stride+x]) // text coverage
			o := (oy+y)*out.Stride + ox + x
			out.Pix[o] = uint8((int(out.Pix[o])*(255-a) + 255*a) / 255)
		}
	}
	return out
}

func invert(g *image.Gray) *image.Gray {
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		out.Pix[i] = 255 - v
	}
	return out
}

func TestFindLine(t *testing.T) {
	tests := []struct {
		px, deg float64
	}{
		{24, 0}, {24, 15}, {24, -15}, {40, 10}, {16, 0},
	}
	for _, tt := range tests {
		bg := noisy(1, 640, 480)
		img := withText(t, bg, "WILLIAMS", tt.px, tt.deg, 320, 240)
		rs := Find([]*image.Gray{img}, Options{})
		found := false
		for _, r := range rs {
			if !r.Box.In(image.Rect(150, 150, 490, 330)) || r.Chars < 7 {
				continue
			}
			found = true
			if math.Abs(r.Angle-tt.deg) > 3 {
				t.Errorf("%g px, %g°: line found at %.1f°", tt.px, tt.deg, r.Angle)
			}
			if r.Image == nil || r.Image.Rect.Dx() <= r.Image.Rect.Dy() {
				t.Errorf("%g px, %g°: rendering %v is not a levelled line", tt.px, tt.deg, r.Image.Rect)
			}
		}
		if !found {
			t.Errorf("%g px, %g°: no line of 7 or more characters near the text; got %d regions", tt.px, tt.deg, len(rs))
		}
	}
}

func TestFindNoText(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 320, 240))
	if rs := Find([]*image.Gray{flat}, Options{}); len(rs) != 0 {
		t.Errorf("flat image: %d regions", len(rs))
	}
	if rs := Find(nil, Options{}); rs != nil {
		t.Errorf("no channels: %d regions", len(rs))
	}
	// Blocks and noise make some chance chains, but few long ones.
	for _, r := range Find([]*image.Gray{noisy(2, 640, 480)}, Options{}) {
		if r.Chars >= 7 {
			t.Errorf("noise: a line of %d characters at %v", r.Chars, r.Box)
		}
	}
}

func TestFindMaxRegions(t *testing.T) {
	img := noisy(3, 640, 480)
	for i, y := range []int{60, 140, 220, 300, 380} {
		img = withText(t, img, "ABCDEFG", 24, 0, 200+20*i, y)
	}
	all := Find([]*image.Gray{img}, Options{})
	two := Find([]*image.Gray{img}, Options{MaxRegions: 2})
	if len(all) < 5 || len(two) != 2 {
		t.Fatalf("%d regions, and %d with MaxRegions 2", len(all), len(two))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Chars > all[i-1].Chars {
			t.Errorf("region %d has more characters than region %d", i, i-1)
		}
	}
}

func TestFitSlope(t *testing.T) {
	at := func(pts ...[2]float64) []comp {
		var cs []comp
		for _, p := range pts {
			cs = append(cs, comp{cx: p[0], cy: p[1]})
		}
		return cs
	}
	tests := []struct {
		name  string
		comps []comp
		want  float64
	}{
		{"level", at([2]float64{0, 10}, [2]float64{20, 10}, [2]float64{40, 10}), 0},
		{"rising to the right (y down)", at([2]float64{0, 30}, [2]float64{20, 20}, [2]float64{40, 10}, [2]float64{60, 0}), -0.5},
		{"a blob chained at the end", at([2]float64{0, 0}, [2]float64{20, 5.4}, [2]float64{40, 10.8}, [2]float64{60, 16.2}, [2]float64{80, 21.6}, [2]float64{-40, 30}), 0.27},
		{"one column", at([2]float64{5, 0}, [2]float64{5, 30}), 0},
	}
	for _, tt := range tests {
		g := make([]int, len(tt.comps))
		for i := range g {
			g[i] = i
		}
		if got := fitSlope(tt.comps, g); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("%s: slope %.3f, want %.3f", tt.name, got, tt.want)
		}
	}
}

// A chain that holds two lines gives the line through most of its
// components first, and the other as the rest.
func TestRegionSplitsLines(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 400, 200))
	box := func(x, y, w, h int) {
		draw.Draw(g, image.Rect(x, y, x+w, y+h), image.NewUniform(color.Gray{255}), image.Point{}, draw.Src)
		draw.Draw(g, image.Rect(x+3, y+3, x+w-3, y+h-3), image.NewUniform(color.Gray{0}), image.Point{}, draw.Src)
	}
	for i := 0; i < 7; i++ { // the name: 7 letters 20 px high
		box(40+i*20, 40, 14, 20)
	}
	for i := 0; i < 5; i++ { // a smaller line under it
		box(40+i*16, 75, 11, 14)
	}
	runs := threshold(g, 128, true)
	comps := label(runs)
	all := make([]int, len(comps))
	for i := range all {
		all[i] = i
	}
	opt := Options{}.withDefaults(g.Rect.Dy())
	r, ok, rest := region(runs, comps, all, opt, g.Rect)
	if !ok || r.Chars != 7 || len(rest) != 5 || r.Height != 20 {
		t.Fatalf("first line: ok %v, %d characters %d high, %d left", ok, r.Chars, r.Height, len(rest))
	}
	r, ok, rest = region(runs, comps, rest, opt, g.Rect)
	if !ok || r.Chars != 5 || len(rest) != 0 || r.Height != 14 {
		t.Fatalf("second line: ok %v, %d characters %d high, %d left", ok, r.Chars, r.Height, len(rest))
	}
}
