//go:build cgo

package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/phantom-vlm/phantom/internal/turbojpeg"
)

// JPEGCodec names the library that encodes every JPEG and decodes JPEG
// inputs, with its version ("libjpeg-turbo 2.1.5"; "Go image/jpeg
// go1.26.0" in a build without cgo): the same pixels and quality give the
// same bytes only with the same codec.
func JPEGCodec() string { return turbojpeg.Version() }

// compressJPEG compresses an opaque image with libjpeg-turbo.
func compressJPEG(img *image.RGBA, q int) ([]byte, error) { return turbojpeg.Encode(img, q) }

// decodeJPEG decodes a JPEG with libjpeg-turbo, and with image/jpeg the
// CMYK and YCCK ones (which TurboJPEG does not convert) and the damaged
// ones that libjpeg-turbo would work around: those are refused where
// image/jpeg refuses them. cfg is the header as Config read it, checked
// against the pixel limit: libjpeg-turbo must read the same size.
func decodeJPEG(data []byte, cfg image.Config) (image.Image, error) {
	if w, h, err := turbojpeg.Header(data); err == nil && (w != cfg.Width || h != cfg.Height) {
		return nil, fmt.Errorf("libjpeg-turbo reads a %d×%d header, image/jpeg %d×%d", w, h, cfg.Width, cfg.Height)
	}
	img, err := turbojpeg.Decode(data)
	if errors.Is(err, turbojpeg.ErrColorSpace) || errors.Is(err, turbojpeg.ErrWarning) {
		return jpeg.Decode(bytes.NewReader(data))
	}
	return img, err
}
