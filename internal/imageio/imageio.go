// Package imageio reads and writes photos for phantom: it decodes JPEG, PNG,
// WebP and the first frame of a GIF, applies the EXIF orientation, refuses
// images over a pixel limit before decoding their pixels, normalises every
// colour model to *image.RGBA, and saves atomically. JPEG goes through
// libjpeg-turbo (internal/turbojpeg), 4–8× faster than image/jpeg; a build
// without cgo (CGO_ENABLED=0) uses Go's image/jpeg instead, and JPEGCodec
// says which.
package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/webp"

	"github.com/phantom-vlm/phantom/internal/atomicfile"
)

// Sentinel errors; every error this package returns wraps one of them (or an
// *fs.PathError from the file system) inside an *Error naming the file.
var (
	// ErrUnsupportedFormat: the bytes are not JPEG, PNG, WebP or GIF, or the
	// output extension is not .jpg, .jpeg or .png.
	ErrUnsupportedFormat = errors.New("unsupported image format")
	// ErrTooLarge: the header declares more pixels than the limit.
	ErrTooLarge = errors.New("image too large")
	// ErrCorrupt: the header or the pixel data cannot be decoded.
	ErrCorrupt = errors.New("corrupt image")
)

// DefaultMaxPixels is the pixel limit of Load and Decode: 100 megapixels.
const DefaultMaxPixels = 100_000_000

// Error is an error about one file.
type Error struct {
	Op   string // "decode", "read", "save"
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Format is an image file format.
type Format string

// The formats phantom reads; JPEG and PNG are also written.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
	GIF  Format = "gif"
)

type options struct {
	maxPixels int64
	quality   int
}

// Option configures Load, Decode and Save.
type Option func(*options)

// WithMaxPixels sets the pixel limit (width × height) for decoding; n ≤ 0
// means no limit.
func WithMaxPixels(n int64) Option { return func(o *options) { o.maxPixels = n } }

// WithQuality sets the JPEG quality for Save (1–100, default 95).
func WithQuality(q int) Option { return func(o *options) { o.quality = q } }

func newOptions(opts []Option) options {
	o := options{maxPixels: DefaultMaxPixels, quality: 95}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Load reads and decodes the image file at path, with its EXIF orientation
// applied. See Decode.
func Load(path string, opts ...Option) (*image.RGBA, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Op: "read", Path: path, Err: err}
	}
	img, _, err := Decode(data, opts...)
	if err != nil {
		return nil, &Error{Op: "decode", Path: path, Err: err}
	}
	return img, nil
}

// Sniff returns the format of data from its first bytes, whatever the file's
// name says, or ErrUnsupportedFormat.
func Sniff(data []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return JPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF, nil
	}
	return "", ErrUnsupportedFormat
}

// Config reads the format and the header of an encoded image (its size and
// colour model) without decoding its pixels. The format comes from the
// bytes, not a file name. The size is as stored, before any EXIF rotation
// (which keeps the pixel count).
func Config(data []byte) (image.Config, Format, error) {
	f, err := Sniff(data)
	if err != nil {
		return image.Config{}, "", err
	}
	var cfg image.Config
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		cfg, err = jpeg.DecodeConfig(r)
	case PNG:
		cfg, err = png.DecodeConfig(r)
	case WebP:
		cfg, err = webp.DecodeConfig(r)
	case GIF:
		cfg, err = gif.DecodeConfig(r)
	}
	if err != nil {
		return cfg, f, fmt.Errorf("%w: %s header: %v", ErrCorrupt, f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, f, fmt.Errorf("%w: %s header gives size %d×%d", ErrCorrupt, f, cfg.Width, cfg.Height)
	}
	return cfg, f, nil
}

// Decode decodes an encoded image. The format comes from the bytes, not a
// file name. The header is checked against the pixel limit before any pixel
// is decoded. Every colour model (grey, CMYK, 16-bit, paletted, with alpha)
// is converted to *image.RGBA (alpha premultiplied, as Go's image package
// stores it) with bounds starting at (0, 0), and the EXIF orientation, when
// present, is applied. For a GIF the first frame is returned.
func Decode(data []byte, opts ...Option) (*image.RGBA, Format, error) {
	o := newOptions(opts)
	cfg, f, err := Config(data)
	if err != nil {
		return nil, f, err
	}
	if px := int64(cfg.Width) * int64(cfg.Height); o.maxPixels > 0 && px > o.maxPixels {
		return nil, f, fmt.Errorf("%w: %d×%d is %d pixels, over the limit of %d", ErrTooLarge, cfg.Width, cfg.Height, px, o.maxPixels)
	}
	var (
		img       image.Image
		exifBytes []byte
	)
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		img, err = decodeJPEG(data, cfg)
		exifBytes = jpegExif(data)
	case PNG:
		img, err = png.Decode(r)
		exifBytes = pngExif(data)
	case WebP:
		img, err = webp.Decode(r)
		exifBytes = webpExif(data)
	case GIF:
		img, err = gif.Decode(r)
	}
	if err != nil {
		return nil, f, fmt.Errorf("%w: %s data: %v", ErrCorrupt, f, err)
	}
	return Orient(ToRGBA(img), exifOrientation(exifBytes)), f, nil
}

// ToRGBA returns img as an *image.RGBA with bounds starting at (0, 0). An
// *image.RGBA already at the origin is returned as is, not copied.
func ToRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// Save encodes img by the extension of path (.jpg and .jpeg: JPEG, quality 95
// unless WithQuality; .png: PNG) and writes it atomically. Alpha is flattened
// onto white for JPEG, which has none.
func Save(path string, img image.Image, opts ...Option) error {
	data, err := Encode(img, FormatOf(path), opts...)
	if err != nil {
		return &Error{Op: "save", Path: path, Err: err}
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return &Error{Op: "save", Path: path, Err: err}
	}
	return nil
}

// FormatOf returns the output format that Save picks for path's extension,
// or "" when there is none.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		return JPEG
	case ".png":
		return PNG
	}
	return ""
}

// Encode encodes img as JPEG (baseline, 4:2:0 chroma, by the codec
// JPEGCodec names: libjpeg-turbo with the accurate DCT, as image/jpeg and
// OpenCV's imwrite do) or PNG.
func Encode(img image.Image, f Format, opts ...Option) ([]byte, error) {
	o := newOptions(opts)
	var buf bytes.Buffer
	switch f {
	case JPEG:
		if o.quality < 1 || o.quality > 100 {
			return nil, fmt.Errorf("JPEG quality %d out of 1–100", o.quality)
		}
		return compressJPEG(ToRGBA(flattenOnWhite(img)), o.quality)
	case PNG:
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&buf, img); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: cannot write %q (use .jpg, .jpeg or .png)", ErrUnsupportedFormat, f)
	}
	return buf.Bytes(), nil
}

// flattenOnWhite returns img composited over opaque white when it has any
// transparent pixel, and img itself otherwise.
func flattenOnWhite(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, image.White, image.Point{}, draw.Src)
	draw.Draw(out, b, img, b.Min, draw.Over)
	return out
}

// TempPrefix starts the name of every temporary file WriteFileAtomic makes,
// so that a resumed run can find and remove what a killed one left.
const TempPrefix = atomicfile.TempPrefix

// IsTemp reports whether a file name (not a path) is one of WriteFileAtomic's
// temporary files.
func IsTemp(name string) bool { return atomicfile.IsTemp(name) }

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, synced and then renamed over path, so that a reader (or a killed
// run) sees either the old file or the whole new one, never a part. The file
// gets mode 0644. It is atomicfile.WriteFile.
func WriteFileAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// IsImageName reports whether a file name has an extension Load reads
// (.jpg, .jpeg, .png, .webp, .gif; any case). Hidden files never match.
func IsImageName(name string) bool {
	if strings.HasPrefix(filepath.Base(name), ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".webp", ".gif":
		return true
	}
	return false
}

// IsUnsupportedImageName reports whether a file name has the extension of
// an image format that Load does not read (HEIC/HEIF, TIFF, BMP, AVIF, JPEG
// XL, JPEG 2000, camera raw, PSD, SVG): a photo a caller should be told
// was left out, unlike other files. Hidden files never match.
func IsUnsupportedImageName(name string) bool {
	if strings.HasPrefix(filepath.Base(name), ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".heic", ".heif", ".tif", ".tiff", ".bmp", ".avif", ".jxl", ".jp2", ".j2k",
		".raw", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".psd", ".svg":
		return true
	}
	return false
}

// Walk returns the image files (by IsImageName) under root in lexical order;
// root may also be a single file, which is returned whatever its name.
func Walk(root string) ([]string, error) {
	images, _, err := WalkImages(root)
	return images, err
}

// WalkImages is Walk that also returns the files under root that are images
// Load cannot read (IsUnsupportedImageName), so that they can be reported
// instead of silently left out. Hidden files and folders are skipped.
func WalkImages(root string) (images, unsupported []string, err error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		return []string{root}, nil, nil
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		switch {
		case d.IsDir():
		case IsImageName(d.Name()):
			images = append(images, p)
		case IsUnsupportedImageName(d.Name()):
			unsupported = append(unsupported, p)
		}
		return nil
	})
	return images, unsupported, err
}
