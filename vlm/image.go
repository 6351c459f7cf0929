package vlm

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // decoders for downscaling
	"image/jpeg"
	_ "image/png"
	"math"
	"net/http"
	"strings"
)

// maxDecodePixels refuses to decode images larger than this to downscale
// them.
const maxDecodePixels = 200_000_000

// minSide is the smallest longer side downscale shrinks an image to.
const minSide = 16

// detectMIME returns the image media type of data, or "" when it is not a
// known image format.
func detectMIME(data []byte) string {
	m := http.DetectContentType(data)
	if strings.HasPrefix(m, "image/") {
		return m
	}
	return ""
}

// prepareImage returns the bytes and media type to send: data as given when
// it is within the limits, otherwise a downscaled JPEG.
func prepareImage(data []byte, mime string, cfg *config) ([]byte, string, error) {
	if len(data) == 0 {
		return nil, "", nil
	}
	if mime == "" {
		if mime = detectMIME(data); mime == "" {
			return nil, "", fmt.Errorf("%w: unknown image format", ErrImage)
		}
	}
	over := cfg.maxImageBytes > 0 && len(data) > cfg.maxImageBytes
	if !over && cfg.maxImageSide > 0 {
		if ic, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			over = max(ic.Width, ic.Height) > cfg.maxImageSide
		}
		// A format the standard library cannot read (WebP) is sent as
		// given when its byte size is within the limit.
	}
	if !over {
		return data, mime, nil
	}
	out, err := downscale(data, cfg.maxImageBytes, cfg.maxImageSide, cfg.jpegQuality)
	if err != nil {
		return nil, "", err
	}
	return out, "image/jpeg", nil
}

// downscale decodes data and re-encodes it as JPEG with its longer side at
// most maxSide (when > 0), shrinking further until it fits in maxBytes
// (when > 0). Transparent pixels are composited onto white.
func downscale(data []byte, maxBytes, maxSide, quality int) ([]byte, error) {
	ic, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: over the size limit and cannot be decoded to downscale: %w", ErrImage, err)
	}
	if ic.Width*ic.Height > maxDecodePixels {
		return nil, fmt.Errorf("%w: %d×%d pixels is too large to decode", ErrImage, ic.Width, ic.Height)
	}
	src, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: decode to downscale: %w", ErrImage, err)
	}
	b := src.Bounds()
	flat := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(flat, flat.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(flat, flat.Bounds(), src, b.Min, draw.Over)

	side := max(b.Dx(), b.Dy())
	if maxSide > 0 && side > maxSide {
		side = maxSide
	}
	if maxBytes > 0 && len(data) > maxBytes && format == "jpeg" {
		// A JPEG's size grows with its area: start near the side that
		// should fit rather than at full size.
		side = min(side, max(minSide, int(float64(max(b.Dx(), b.Dy()))*math.Sqrt(float64(maxBytes)/float64(len(data))))))
	}
	for {
		w, h := fit(b.Dx(), b.Dy(), side)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, boxResize(flat, w, h), &jpeg.Options{Quality: quality}); err != nil {
			return nil, fmt.Errorf("%w: encode JPEG: %w", ErrImage, err)
		}
		if maxBytes <= 0 || buf.Len() <= maxBytes || side <= minSide {
			return buf.Bytes(), nil
		}
		// Shrink by the square root of the excess, with a margin, and by
		// at least a tenth so that the loop ends.
		f := min(0.9, 0.95*math.Sqrt(float64(maxBytes)/float64(buf.Len())))
		side = max(minSide, int(float64(side)*f))
	}
}

// fit scales w×h so that its longer side is side, keeping the aspect ratio.
func fit(w, h, side int) (int, int) {
	if w >= h {
		if w <= side {
			return w, h
		}
		return side, max(1, (h*side+w/2)/w)
	}
	if h <= side {
		return w, h
	}
	return max(1, (w*side+h/2)/h), side
}

// boxResize shrinks src to w×h by averaging the source pixels that each
// destination pixel covers (area averaging, no aliasing on downscaling).
func boxResize(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	if w == sw && h == sh {
		return src
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := range w {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var r, g, bl, a, n uint32
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[sy*src.Stride+x0*4 : sy*src.Stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					r += uint32(row[i])
					g += uint32(row[i+1])
					bl += uint32(row[i+2])
					a += uint32(row[i+3])
					n++
				}
			}
			o := y*dst.Stride + x*4
			dst.Pix[o] = uint8((r + n/2) / n)
			dst.Pix[o+1] = uint8((g + n/2) / n)
			dst.Pix[o+2] = uint8((bl + n/2) / n)
			dst.Pix[o+3] = uint8((a + n/2) / n)
		}
	}
	return dst
}
