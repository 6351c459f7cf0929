package turbojpeg

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// synthetic is a w×h photo-like image: smooth gradients and a
// deterministic texture, so that JPEG has real work to do.
func synthetic(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			n := int(seed>>29) - 4 // texture ±4
			r := 128 + 100*math.Sin(float64(x)/37) + float64(n)
			g := 255 * float64(y) / float64(h)
			b := 128 + 80*math.Cos(float64(y)/23+float64(x)/41)
			img.SetRGBA(x, y, color.RGBA{clamp(r), clamp(g + float64(n)), clamp(b), 255})
		}
	}
	return img
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v))) }

// realPhoto is a photo of $PHANTOM_DATA decoded by image/jpeg, or nil.
func realPhoto(t *testing.T) *image.RGBA {
	root := os.Getenv("PHANTOM_DATA")
	if root == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(root, "photos", "portrait-outdoor.jpg"))
	if err != nil {
		return nil
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(m.Bounds())
	for y := out.Rect.Min.Y; y < out.Rect.Max.Y; y++ {
		for x := out.Rect.Min.X; x < out.Rect.Max.X; x++ {
			out.Set(x, y, m.At(x, y))
		}
	}
	return out
}

// psnr is the peak signal-to-noise ratio of b against a over R, G and B,
// in dB.
func psnr(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes %v and %v", a.Bounds(), b.Bounds())
	}
	var se float64
	ra, rb := a.Bounds(), b.Bounds()
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			r1, g1, b1, _ := a.At(ra.Min.X+x, ra.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(rb.Min.X+x, rb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*ra.Dx()*ra.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

func stdEncode(t *testing.T, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func stdDecode(t *testing.T, data []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEncodeQualityMatchesImageJPEG: at the same quality setting,
// libjpeg-turbo's JPEG is as faithful to the source (PSNR within 0.5 dB)
// and about as large (within 20%) as image/jpeg's.
func TestEncodeQualityMatchesImageJPEG(t *testing.T) {
	sources := map[string]*image.RGBA{"synthetic": synthetic(640, 480)}
	if p := realPhoto(t); p != nil {
		sources["portrait-outdoor"] = p
	}
	for name, src := range sources {
		for _, q := range []int{75, 95} {
			std := stdEncode(t, src, q)
			tj, err := Encode(src, q)
			if err != nil {
				t.Fatal(err)
			}
			pStd, pTJ := psnr(t, src, stdDecode(t, std)), psnr(t, src, stdDecode(t, tj))
			ratio := float64(len(tj)) / float64(len(std))
			t.Logf("%s q%d: image/jpeg %.2f dB %d B, libjpeg-turbo %.2f dB %d B", name, q, pStd, len(std), pTJ, len(tj))
			if math.Abs(pStd-pTJ) > 0.5 {
				t.Errorf("%s q%d: PSNR %.2f dB, image/jpeg's %.2f dB", name, q, pTJ, pStd)
			}
			if ratio < 0.8 || ratio > 1.2 {
				t.Errorf("%s q%d: %d bytes, image/jpeg's %d", name, q, len(tj), len(std))
			}
		}
	}
}

// TestEncodeSubImage: a sub-image is encoded from its own origin and stride.
func TestEncodeSubImage(t *testing.T) {
	src := synthetic(300, 200)
	sub := src.SubImage(image.Rect(37, 21, 237, 171)).(*image.RGBA)
	data, err := Encode(sub, 95)
	if err != nil {
		t.Fatal(err)
	}
	got := stdDecode(t, data)
	if got.Bounds().Size() != (image.Point{200, 150}) {
		t.Fatalf("size %v", got.Bounds().Size())
	}
	p, pStd := psnr(t, sub, got), psnr(t, sub, stdDecode(t, stdEncode(t, sub, 95)))
	if math.Abs(p-pStd) > 0.5 {
		t.Errorf("PSNR %.2f dB against the sub-image, image/jpeg's %.2f dB", p, pStd)
	}
}

// TestDecodeMatchesImageJPEG: libjpeg-turbo's decode of a JPEG is at least
// as close to the source as image/jpeg's (they differ in chroma upsampling
// and rounding: PSNR within 0.5 dB or better), the same size, and opaque.
func TestDecodeMatchesImageJPEG(t *testing.T) {
	src := synthetic(333, 250) // odd sizes: partial MCUs
	if p := realPhoto(t); p != nil {
		src = p
	}
	gray := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 7)
	}
	for name, tc := range map[string]struct {
		src  image.Image
		data []byte
	}{"rgb q95": {src, stdEncode(t, src, 95)}, "rgb q50": {src, stdEncode(t, src, 50)}, "grey": {gray, stdEncode(t, gray, 90)}} {
		data := tc.data
		w, h, err := Header(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		want := stdDecode(t, data)
		if got.Rect != image.Rect(0, 0, w, h) || got.Rect.Size() != want.Bounds().Size() {
			t.Fatalf("%s: bounds %v, header %d×%d, image/jpeg %v", name, got.Rect, w, h, want.Bounds())
		}
		p, pStd := psnr(t, tc.src, got), psnr(t, tc.src, want)
		t.Logf("%s: PSNR against the source %.2f dB, image/jpeg's decode %.2f dB", name, p, pStd)
		if p < pStd-0.5 {
			t.Errorf("%s: PSNR %.2f dB against the source, image/jpeg's decode %.2f dB", name, p, pStd)
		}
		for i := 3; i < len(got.Pix); i += 4 {
			if got.Pix[i] != 255 {
				t.Fatalf("%s: alpha %d at byte %d", name, got.Pix[i], i)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := stdEncode(t, synthetic(64, 64), 90)
	tests := []struct {
		name string
		data []byte
		want []error // any of
	}{
		{"empty", nil, []error{ErrCorrupt}},
		{"text", []byte("not a jpeg at all"), []error{ErrCorrupt}},
		{"header only", good[:20], []error{ErrCorrupt}},
		{"truncated", good[:len(good)/2], []error{ErrWarning, ErrCorrupt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.data)
			for _, w := range tt.want {
				if errors.Is(err, w) {
					t.Log(err)
					return
				}
			}
			t.Errorf("err = %v, want one of %v", err, tt.want)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(image.NewRGBA(image.Rect(0, 0, 8, 8)), 0); err == nil {
		t.Error("quality 0 accepted")
	}
	if _, err := Encode(image.NewRGBA(image.Rect(0, 0, 0, 8)), 90); err == nil {
		t.Error("empty image accepted")
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^libjpeg-turbo [1-9]\d*\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("Version() = %q", v)
	}
}
