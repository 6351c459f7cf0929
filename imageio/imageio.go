// Package imageio loads and saves photos exactly as phantom's commands do,
// so that a program built on phantom's packages sees the pixels that
// phantom build sees.
//
// Load (and Decode) read JPEG, PNG, WebP and the first frame of a GIF,
// refuse an image whose header declares more than DefaultMaxPixels pixels
// before any pixel is decoded, apply the EXIF orientation (JPEG, PNG eXIf and
// WebP EXIF; a phone photo taken on its side comes out upright, with
// imaging's transforms), and return an *image.RGBA with bounds starting at
// (0, 0), which every phantom package takes. This is what
// imaging.Open(path, imaging.AutoOrientation(true)) does, with a pixel limit
// and the EXIF of every format, and JPEG through libjpeg-turbo.
//
// Errors name the file and wrap ErrUnsupportedFormat, ErrTooLarge,
// ErrCorrupt or the file system's error (fs.ErrNotExist for a missing file).
package imageio

import (
	"fmt"
	"image"

	iio "github.com/phantom-vlm/phantom/internal/imageio"
)

// The sentinel errors; test with errors.Is.
var (
	// ErrUnsupportedFormat: the bytes are not JPEG, PNG, WebP or GIF, or
	// Save's extension is not .jpg, .jpeg or .png.
	ErrUnsupportedFormat = iio.ErrUnsupportedFormat
	// ErrTooLarge: the header declares more pixels than the limit.
	ErrTooLarge = iio.ErrTooLarge
	// ErrCorrupt: the header or the pixel data cannot be decoded.
	ErrCorrupt = iio.ErrCorrupt
)

// DefaultMaxPixels is the pixel limit of Load and Decode: 100 megapixels.
const DefaultMaxPixels = iio.DefaultMaxPixels

// Option configures Load, Decode and Save.
type Option func(*options)

// options are the internal loader's options the public ones stand for.
type options struct{ internal []iio.Option }

// WithMaxPixels sets the pixel limit (width × height) of Load and Decode;
// n ≤ 0 means no limit.
func WithMaxPixels(n int64) Option {
	return func(o *options) { o.internal = append(o.internal, iio.WithMaxPixels(n)) }
}

// WithQuality sets Save's JPEG quality (1–100, default 95).
func WithQuality(q int) Option {
	return func(o *options) { o.internal = append(o.internal, iio.WithQuality(q)) }
}

func internal(opts []Option) []iio.Option {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o.internal
}

// Load reads the image file at path and decodes it (see the package doc).
func Load(path string, opts ...Option) (*image.RGBA, error) {
	img, err := iio.Load(path, internal(opts)...)
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	return img, nil
}

// Decode decodes an encoded image, its format read from the bytes.
func Decode(data []byte, opts ...Option) (*image.RGBA, error) {
	img, _, err := iio.Decode(data, internal(opts)...)
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	return img, nil
}

// Save writes img to path, encoded by path's extension (.jpg and .jpeg:
// JPEG, quality 95 unless WithQuality; .png: PNG), atomically: through a
// temporary file in the same folder, renamed into place.
func Save(path string, img image.Image, opts ...Option) error {
	if err := iio.Save(path, img, internal(opts)...); err != nil {
		return fmt.Errorf("imageio: %w", err)
	}
	return nil
}
