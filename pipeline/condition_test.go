package pipeline

import (
	"image"
	"image/color"
	"reflect"
	"testing"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/condnames"
)

func TestParseConditions(t *testing.T) {
	tests := []struct {
		in      string
		want    []Condition
		wantErr bool
	}{
		{in: "", want: AllConditions},
		{in: "all", want: AllConditions},
		{in: "white+blur, ORIGINAL,blur,blur", want: []Condition{Original, Blur, WhiteBlur}},
		{in: "landscape+blur", want: []Condition{LandscapeBlur}},
		{in: "original,sepia", wantErr: true},
		{in: ",", wantErr: true},
		{in: "pixelate:grid=4,blur,original", want: []Condition{Original, Blur, "pixelate:grid=4"}},
		{in: "white+pixelate:grid=4,pixelate:grid=10,scale=1.3, fill", want: []Condition{"white+pixelate:grid=4", "pixelate:grid=10,scale=1.3", "fill"}},
		{in: "pixelate, white+pixelate:grid=10", want: []Condition{Blur, WhiteBlur}},
		{in: "all,gaussian:sigma=0.2", want: append(append([]Condition(nil), AllConditions...), "gaussian:sigma=0.2")},
		{in: "scale=1.3,blur", wantErr: true},
		{in: "original,scale=1.3", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseConditions(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseConditions(%q) err = %v", tc.in, err)
			continue
		}
		if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseConditions(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// testPhoto is a 120×80 photo with a colour gradient, so that pixelation
// changes it visibly.
func testPhoto() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 120; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(2 * x), uint8(3 * y), uint8(x + y), 255})
		}
	}
	return img
}

// testScene has one face at (40,10)-(80,50) and one person whose mask is
// the rectangle (30,0)-(90,80).
func testScene() *detect.Scene {
	m := image.NewAlpha(image.Rect(0, 0, 120, 80))
	for y := 0; y < 80; y++ {
		for x := 30; x < 90; x++ {
			m.Pix[m.PixOffset(x, y)] = 255
		}
	}
	return &detect.Scene{
		Width: 120, Height: 80,
		Faces:  []detect.Face{{Box: detect.Box{X1: 40, Y1: 10, X2: 80, Y2: 50, Score: 0.9}}},
		People: []detect.Person{{Box: detect.Box{X1: 30, Y1: 0, X2: 90, Y2: 80, Score: 0.8}}},
		Masks:  []detect.Mask{{Alpha: m}},
	}
}

func TestRenderConditions(t *testing.T) {
	photo := testPhoto()
	orig := cloneRGBA(photo)
	scene := testScene()
	bgImg := image.NewRGBA(image.Rect(0, 0, 240, 160))
	for i := range bgImg.Pix {
		bgImg.Pix[i] = []uint8{10, 200, 30, 255}[i%4]
	}
	set := background.NewSet(background.Background{Name: "green.png", Image: bgImg})
	got := map[Condition]Variant{}
	err := Render(photo, scene, AllConditions, RenderOptions{Grid: 10, Landscape: set.Pick(1, "x")}, func(v Variant) error {
		got[v.Condition] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(photo.Pix, orig.Pix) {
		t.Fatal("Render changed the photo")
	}
	if len(got) != 6 {
		t.Fatalf("got %d variants", len(got))
	}
	face := image.Rect(40, 10, 80, 50)
	green := color.RGBA{10, 200, 30, 255}
	white := color.RGBA{255, 255, 255, 255}
	at := func(c Condition, x, y int) color.RGBA { return got[c].Image.RGBAAt(x, y) }

	// Original is the photo; blur differs from it only inside the face,
	// where every 4×4 cell is one colour.
	if got[Original].Image != photo {
		t.Error("original is not the photo itself")
	}
	for y := 0; y < 80; y++ {
		for x := 0; x < 120; x++ {
			in := image.Pt(x, y).In(face)
			same := at(Blur, x, y) == photo.RGBAAt(x, y)
			if !in && !same {
				t.Fatalf("blur changed (%d,%d) outside the face", x, y)
			}
		}
	}
	for cy := 0; cy < 10; cy++ {
		for cx := 0; cx < 10; cx++ {
			x0, y0 := 40+4*cx, 10+4*cy
			c0 := at(Blur, x0, y0)
			for y := y0; y < y0+4; y++ {
				for x := x0; x < x0+4; x++ {
					if at(Blur, x, y) != c0 {
						t.Fatalf("blur cell (%d,%d) not uniform", cx, cy)
					}
				}
			}
		}
	}
	if at(Blur, 41, 11) == photo.RGBAAt(41, 11) && at(Blur, 78, 48) == photo.RGBAAt(78, 48) {
		t.Error("blur did not change the face")
	}

	// White and landscape: the person (mask) from the photo, the rest
	// replaced; no pixelation in either.
	checks := []struct {
		c    Condition
		bg   color.RGBA
		name string
	}{{White, white, "white"}, {Landscape, green, "green.png"}}
	for _, ck := range checks {
		if got[ck.c].Background != ck.name {
			t.Errorf("%s background = %q, want %q", ck.c, got[ck.c].Background, ck.name)
		}
		if at(ck.c, 5, 5) != ck.bg || at(ck.c, 100, 70) != ck.bg {
			t.Errorf("%s outside the mask = %v, want %v", ck.c, at(ck.c, 5, 5), ck.bg)
		}
		if at(ck.c, 45, 15) != photo.RGBAAt(45, 15) || at(ck.c, 85, 70) != photo.RGBAAt(85, 70) {
			t.Errorf("%s inside the mask is not the photo", ck.c)
		}
	}

	// +blur: the composite with the face pixelated afterwards, so the face
	// cells equal the cells of the composite pixelated.
	for _, pair := range [][2]Condition{{Landscape, LandscapeBlur}, {White, WhiteBlur}} {
		want := cloneRGBA(got[pair[0]].Image)
		PixelateFaces(want, scene.Faces, 10)
		if !reflect.DeepEqual(want.Pix, got[pair[1]].Image.Pix) {
			t.Errorf("%s is not %s with the face pixelated", pair[1], pair[0])
		}
		if got[pair[1]].Image == got[pair[0]].Image {
			t.Errorf("%s shares its image with %s", pair[1], pair[0])
		}
	}
}

func TestRenderSubsetAndNoDetections(t *testing.T) {
	photo := testPhoto()
	empty := &detect.Scene{Width: 120, Height: 80}
	var order []Condition
	err := Render(photo, empty, []Condition{WhiteBlur, Blur}, RenderOptions{}, func(v Variant) error {
		order = append(order, v.Condition)
		if v.Condition == Blur && !reflect.DeepEqual(v.Image.Pix, photo.Pix) {
			t.Error("blur without faces differs from the photo")
		}
		if v.Condition == WhiteBlur {
			for _, p := range v.Image.Pix {
				if p != 255 {
					t.Fatal("white+blur without people is not all white")
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(order, []Condition{Blur, WhiteBlur}) {
		t.Errorf("order %v", order)
	}
	if err := Render(photo, empty, []Condition{Landscape}, RenderOptions{}, func(Variant) error { return nil }); err == nil {
		t.Error("landscape without a background did not fail")
	}
}

func TestRenderInPlaceMatchesCopies(t *testing.T) {
	scene := testScene()
	bg := image.NewRGBA(image.Rect(0, 0, 50, 50))
	for i := range bg.Pix {
		bg.Pix[i] = uint8(i * 7)
	}
	land := background.NewSet(background.Background{Name: "b", Image: bg}).Pick(0, "p")
	collect := func(inPlace bool) map[Condition][]uint8 {
		out := map[Condition][]uint8{}
		err := Render(testPhoto(), scene, AllConditions, RenderOptions{Landscape: land, InPlace: inPlace}, func(v Variant) error {
			out[v.Condition] = append([]uint8(nil), v.Image.Pix...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := collect(false), collect(true)
	if len(a) != 6 || len(b) != 6 {
		t.Fatalf("%d and %d variants", len(a), len(b))
	}
	for c, pix := range a {
		if !reflect.DeepEqual(pix, b[c]) {
			t.Errorf("%s differs in place", c)
		}
	}
}

// TestRenderInPlaceReusesBuffers renders photos of several sizes in place
// one after another (so the composites reuse buffers left by a larger or a
// smaller photo) and checks every variant against a render with copies.
func TestRenderInPlaceReusesBuffers(t *testing.T) {
	bg := image.NewRGBA(image.Rect(0, 0, 90, 70))
	for i := range bg.Pix {
		bg.Pix[i] = uint8(i * 13)
	}
	land := background.NewSet(background.Background{Name: "b", Image: bg}).Pick(0, "p")
	// photo returns a w×h photo (its content depending on seed) and a scene
	// with one face and a person mask over the middle third, with soft edges.
	photo := func(w, h, seed int) (*image.RGBA, *detect.Scene) {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(i*seed + i/7)
		}
		m := image.NewAlpha(img.Rect)
		for y := 0; y < h; y++ {
			for x := w / 3; x < 2*w/3; x++ {
				m.Pix[m.PixOffset(x, y)] = uint8(min(255, 40*(x-w/3)))
			}
		}
		return img, &detect.Scene{
			Width: w, Height: h,
			Faces:  []detect.Face{{Box: detect.Box{X1: float64(w / 3), Y1: 0, X2: float64(2 * w / 3), Y2: float64(h / 2)}}},
			People: []detect.Person{{Box: detect.Box{X1: float64(w / 3), Y1: 0, X2: float64(2 * w / 3), Y2: float64(h)}}},
			Masks:  []detect.Mask{{Alpha: m}},
		}
	}
	// The six and parametrised conditions on every base, so that a base
	// with several anonymizations has its faces put back between them.
	conds, err := ParseConditions("all,pixelate:grid=4,landscape+gaussian:sigma=0.2,white+fill:scale=1.5,pixelate:cell=3,scale=1.3,white+pixelate:grid=2")
	if err != nil {
		t.Fatal(err)
	}
	render := func(img *image.RGBA, scene *detect.Scene, inPlace bool) map[Condition][]uint8 {
		out := map[Condition][]uint8{}
		err := Render(img, scene, conds, RenderOptions{Landscape: land, InPlace: inPlace}, func(v Variant) error {
			if v.Image.Rect != image.Rect(0, 0, scene.Width, scene.Height) {
				t.Errorf("%s: bounds %v", v.Condition, v.Image.Rect)
			}
			out[v.Condition] = append([]uint8(nil), v.Image.Pix[:4*scene.Width*scene.Height]...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i, sz := range []image.Point{{64, 48}, {30, 21}, {64, 48}, {101, 77}, {17, 9}} {
		img, scene := photo(sz.X, sz.Y, i+3)
		want := render(img, scene, false)
		img, scene = photo(sz.X, sz.Y, i+3)
		got := render(img, scene, true)
		if len(got) != len(conds) || len(want) != len(conds) {
			t.Fatalf("photo %d: %d variants in place, %d with copies, want %d", i, len(got), len(want), len(conds))
		}
		for _, c := range conds {
			if !reflect.DeepEqual(got[c], want[c]) {
				t.Errorf("photo %d (%v): %s in place differs from the copy", i, sz, c)
			}
		}
	}
}

func TestFitCacheComposesTheSamePixels(t *testing.T) {
	bg := image.NewRGBA(image.Rect(0, 0, 1300, 1100))
	for i := range bg.Pix {
		bg.Pix[i] = uint8(i*31 + i/4099)
	}
	land := background.NewSet(background.Background{Name: "big.png", Image: bg}).Pick(0, "p")
	photo := image.NewRGBA(image.Rect(0, 0, 600, 520))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 7)
	}
	mask := image.NewAlpha(photo.Rect)
	for i := range mask.Pix {
		mask.Pix[i] = uint8(i % 256)
	}
	want := land.Composite(photo, mask)
	c := newFitCache()
	for i := 0; i < 3; i++ {
		got := c.fitted(land, photo)
		if got.Name != "big.png" {
			t.Fatalf("name %q", got.Name)
		}
		if cached := got.Image != land.Image; cached != (i > 0) {
			t.Fatalf("call %d: cached %v", i, cached)
		}
		if !reflect.DeepEqual(got.Composite(photo, mask).Pix, want.Pix) {
			t.Fatalf("call %d: composite differs from the uncached one", i)
		}
	}
	small := image.NewRGBA(image.Rect(0, 0, 40, 30))
	if c.fitted(land, small).Image != land.Image {
		t.Error("a size seen once was cached")
	}
}

// TestConditionNamesOneSource: the builder's six conditions are the names
// that leak and leak/report read, in the same order.
func TestConditionNamesOneSource(t *testing.T) {
	names := condnames.Study()
	if len(AllConditions) != len(names) {
		t.Fatalf("%d conditions, %d names", len(AllConditions), len(names))
	}
	for i, c := range AllConditions {
		if string(c) != names[i] {
			t.Errorf("condition %d is %q, the shared name %q", i, c, names[i])
		}
	}
}
