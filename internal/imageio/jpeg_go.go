//go:build !cgo

package imageio

import (
	"bytes"
	"image"
	"image/jpeg"
	"runtime"
)

// JPEGCodec names the library that encodes every JPEG and decodes JPEG
// inputs: in a build without cgo, Go's image/jpeg with the Go version
// ("Go image/jpeg go1.26.0"), whose encoder differs from libjpeg-turbo's,
// so that a resume never mixes the two.
func JPEGCodec() string { return "Go image/jpeg " + runtime.Version() }

// compressJPEG compresses an opaque image with image/jpeg (4:2:0 chroma for
// colour images).
func compressJPEG(img *image.RGBA, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeJPEG decodes a JPEG with image/jpeg. cfg is unused: image/jpeg
// read the header Config checked.
func decodeJPEG(data []byte, _ image.Config) (image.Image, error) {
	return jpeg.Decode(bytes.NewReader(data))
}
