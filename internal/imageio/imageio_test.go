package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// redBlue is a 4×2 image, left half red, right half blue.
func redBlue() *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encodeJPEG returns img as JPEG bytes (opts may be nil).
func encodeJPEG(t testing.TB, img image.Image, opts *jpeg.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

// withPNGExif inserts an eXIf chunk with the given orientation after IHDR.
func withPNGExif(p []byte, orientation uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(tiff[18:], orientation)
	ihdrEnd := 8 + 12 + 13
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, pngChunk("eXIf", tiff)...)
	return append(out, p[ihdrEnd:]...)
}

// withJPEGExif inserts an APP1 Exif segment (little-endian TIFF) after SOI.
func withJPEGExif(j []byte, orientation uint16) []byte {
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(tiff[18:], orientation)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, j[2:]...)
}

// hugePNGHeader is a valid PNG signature and IHDR claiming 100000×100000.
func hugePNGHeader() []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2
	out := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(out, pngChunk("IDAT", []byte{0x78, 0x9c})...)
}

func TestDecodeFormatsAndColourModels(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	gray.Pix[0] = 200
	g16 := image.NewRGBA64(image.Rect(0, 0, 3, 2))
	g16.SetRGBA64(0, 0, color.RGBA64{0xffff, 0x8000, 0, 0xffff})
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), palette.Plan9)
	pal.SetColorIndex(0, 0, uint8(pal.Palette.Index(color.RGBA{255, 0, 0, 255})))
	alpha := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	alpha.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 128})
	var gifBuf bytes.Buffer
	if err := gif.EncodeAll(&gifBuf, &gif.GIF{Image: []*image.Paletted{pal, image.NewPaletted(pal.Rect, palette.Plan9)}, Delay: []int{0, 0}}); err != nil {
		t.Fatal(err)
	}
	jpg := encodeJPEG(t, redBlue(), &jpeg.Options{Quality: 100})
	webpData, err := os.ReadFile("testdata/redblue.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		data   []byte
		format Format
		w, h   int
		at00   color.RGBA // expected pixel (0,0), within tolerance
	}{
		{"png rgb", encodePNG(t, redBlue()), PNG, 4, 2, color.RGBA{255, 0, 0, 255}},
		{"png grey", encodePNG(t, gray), PNG, 3, 2, color.RGBA{200, 200, 200, 255}},
		{"png 16-bit", encodePNG(t, g16), PNG, 3, 2, color.RGBA{255, 128, 0, 255}},
		{"png paletted", encodePNG(t, pal), PNG, 3, 2, color.RGBA{255, 0, 0, 255}},
		{"png alpha premultiplied", encodePNG(t, alpha), PNG, 3, 2, color.RGBA{128, 0, 0, 128}},
		{"gif first frame", gifBuf.Bytes(), GIF, 3, 2, color.RGBA{255, 0, 0, 255}},
		{"jpeg", jpg, JPEG, 4, 2, color.RGBA{255, 0, 0, 255}},
		{"webp lossless", webpData, WebP, 4, 2, color.RGBA{255, 0, 0, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, f, err := Decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.format {
				t.Errorf("format = %s, want %s", f, tt.format)
			}
			if img.Rect != image.Rect(0, 0, tt.w, tt.h) {
				t.Errorf("bounds = %v, want %dx%d at origin", img.Rect, tt.w, tt.h)
			}
			got := img.RGBAAt(0, 0)
			if !near(got, tt.at00, 24) {
				t.Errorf("pixel (0,0) = %v, want about %v", got, tt.at00)
			}
		})
	}
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func TestCMYKToRGBA(t *testing.T) {
	m := image.NewCMYK(image.Rect(0, 0, 2, 1))
	m.SetCMYK(0, 0, color.CMYK{0, 255, 255, 0}) // red
	got := ToRGBA(m).RGBAAt(0, 0)
	if got != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("CMYK red = %v", got)
	}
}

func TestEXIFOrientation(t *testing.T) {
	p := encodePNG(t, redBlue())
	j := encodeJPEG(t, redBlue(), &jpeg.Options{Quality: 100})
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	tests := []struct {
		name        string
		data        []byte
		w, h        int
		topLeft     color.RGBA
		bottomRight color.RGBA
	}{
		{"png none", p, 4, 2, red, blue},
		{"png 1", withPNGExif(p, 1), 4, 2, red, blue},
		{"png 2 mirror", withPNGExif(p, 2), 4, 2, blue, red},
		{"png 3 rotate 180", withPNGExif(p, 3), 4, 2, blue, red},
		{"png 4 flip", withPNGExif(p, 4), 4, 2, red, blue},
		{"png 5 transpose", withPNGExif(p, 5), 2, 4, red, blue},
		{"png 6 rotate cw", withPNGExif(p, 6), 2, 4, red, blue},
		{"png 7 transverse", withPNGExif(p, 7), 2, 4, blue, red},
		{"png 8 rotate ccw", withPNGExif(p, 8), 2, 4, blue, red},
		{"png 9 invalid ignored", withPNGExif(p, 9), 4, 2, red, blue},
		{"jpeg 6 rotate cw", withJPEGExif(j, 6), 2, 4, red, blue},
		{"jpeg 3 rotate 180", withJPEGExif(j, 3), 4, 2, blue, red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := Decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rect.Dx() != tt.w || img.Rect.Dy() != tt.h {
				t.Fatalf("size %v, want %dx%d", img.Rect.Size(), tt.w, tt.h)
			}
			if got := img.RGBAAt(0, 0); !near(got, tt.topLeft, 40) {
				t.Errorf("top-left %v, want %v", got, tt.topLeft)
			}
			if got := img.RGBAAt(tt.w-1, tt.h-1); !near(got, tt.bottomRight, 40) {
				t.Errorf("bottom-right %v, want %v", got, tt.bottomRight)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	j := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 64, 64)), nil)
	tests := []struct {
		name string
		data []byte
		opts []Option
		want error
	}{
		{"zero bytes", nil, nil, ErrUnsupportedFormat},
		{"text", []byte("hello, not an image"), nil, ErrUnsupportedFormat},
		{"truncated jpeg", j[:len(j)/2], nil, ErrCorrupt},
		{"jpeg header only", j[:4], nil, ErrCorrupt},
		{"png claiming 100000x100000", hugePNGHeader(), nil, ErrTooLarge},
		{"over a custom limit", encodePNG(t, redBlue()), []Option{WithMaxPixels(7)}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.data, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestConfig checks that Config reads the format and size from the header
// alone (a huge PNG header is read, not refused) and fails as Decode does.
func TestConfig(t *testing.T) {
	j := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 64, 48)), nil)
	tests := []struct {
		name    string
		data    []byte
		format  Format
		w, h    int
		wantErr error
	}{
		{"png", encodePNG(t, redBlue()), PNG, 4, 2, nil},
		{"jpeg", j, JPEG, 64, 48, nil},
		{"png claiming 100000x100000", hugePNGHeader(), PNG, 100000, 100000, nil},
		{"text", []byte("hello, not an image"), "", 0, 0, ErrUnsupportedFormat},
		{"jpeg header only", j[:4], JPEG, 0, 0, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, f, err := Config(tt.data)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if f != tt.format {
				t.Errorf("format %q, want %q", f, tt.format)
			}
			if err == nil && (cfg.Width != tt.w || cfg.Height != tt.h) {
				t.Errorf("size %d×%d, want %d×%d", cfg.Width, cfg.Height, tt.w, tt.h)
			}
		})
	}
}

func TestLoadNamesTheFileAndIgnoresExtension(t *testing.T) {
	dir := t.TempDir()
	wrongExt := filepath.Join(dir, "really-a-png.jpg")
	if err := os.WriteFile(wrongExt, encodePNG(t, redBlue()), 0o644); err != nil {
		t.Fatal(err)
	}
	if img, err := Load(wrongExt); err != nil || img.Rect.Dx() != 4 {
		t.Fatalf("Load(png named .jpg) = %v, %v", img, err)
	}
	bad := filepath.Join(dir, "broken.png")
	if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\ngarbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	var ie *Error
	if !errors.As(err, &ie) || ie.Path != bad || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load(broken) error = %v; want an *Error naming %s wrapping ErrCorrupt", err, bad)
	}
	if _, err := Load(filepath.Join(dir, "missing.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestSaveAtomicAndFlattensAlphaForJPEG(t *testing.T) {
	dir := t.TempDir()
	trans := image.NewNRGBA(image.Rect(0, 0, 8, 8)) // fully transparent
	for _, name := range []string{"a.jpg", "a.png"} {
		if err := Save(filepath.Join(dir, name), trans); err != nil {
			t.Fatal(err)
		}
	}
	j, err := Load(filepath.Join(dir, "a.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if c := j.RGBAAt(4, 4); !near(c, color.RGBA{255, 255, 255, 255}, 2) {
		t.Errorf("transparent pixel saved as JPEG = %v, want white", c)
	}
	p, err := Load(filepath.Join(dir, "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	if c := p.RGBAAt(4, 4); c.A != 0 {
		t.Errorf("PNG lost alpha: %v", c)
	}
	if err := Save(filepath.Join(dir, "a.bmp"), trans); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("Save(.bmp) = %v, want ErrUnsupportedFormat", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if IsTemp(e.Name()) {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d files, want 2", len(entries))
	}
}

func TestSharedPhotos(t *testing.T) {
	dir := os.Getenv("PHANTOM_DATA")
	if dir == "" {
		t.Skip("PHANTOM_DATA not set")
	}
	files, err := Walk(filepath.Join(dir, "photos"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d photos", len(files))
	}
	for _, f := range files {
		img, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if img.Rect.Empty() {
			t.Errorf("%s: empty image", f)
		}
	}
}

func FuzzDecode(f *testing.F) {
	j := encodeJPEG(f, redBlue(), nil)
	f.Add([]byte{})
	f.Add(j)
	f.Add(j[:len(j)/2])
	f.Add(encodePNG(f, redBlue()))
	f.Add(withPNGExif(encodePNG(f, redBlue()), 6))
	f.Add(withJPEGExif(j, 8))
	f.Add(hugePNGHeader())
	f.Add([]byte("GIF89a"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := Decode(data, WithMaxPixels(1<<20))
		if err == nil && (img == nil || img.Rect.Empty()) {
			t.Fatalf("nil error with empty image")
		}
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
	})
}

// TestOrientMovesPixels: each EXIF orientation maps every pixel of an
// asymmetric image with translucent pixels to where the EXIF spec puts it,
// bytes unchanged (premultiplied alpha included).
func TestOrientMovesPixels(t *testing.T) {
	const w, h = 3, 2
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 9)
	}
	// where returns the display position of source pixel (x, y).
	where := func(o, x, y int) (int, int) {
		switch o {
		case 2:
			return w - 1 - x, y
		case 3:
			return w - 1 - x, h - 1 - y
		case 4:
			return x, h - 1 - y
		case 5:
			return y, x
		case 6:
			return h - 1 - y, x
		case 7:
			return h - 1 - y, w - 1 - x
		case 8:
			return y, w - 1 - x
		}
		return x, y
	}
	for o := 1; o <= 8; o++ {
		got := Orient(src, o)
		if got.Rect.Min != (image.Point{}) {
			t.Errorf("orientation %d: bounds %v", o, got.Rect)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dx, dy := where(o, x, y)
				if g, s := got.RGBAAt(dx, dy), src.RGBAAt(x, y); g != s {
					t.Errorf("orientation %d: pixel (%d,%d) at (%d,%d) is %v, want %v", o, x, y, dx, dy, g, s)
				}
			}
		}
	}
}
