package ocrfilter

import (
	"image"
	"math"
	"strconv"
	"strings"
)

// Binarization is the way Tesseract turns a grey image into black and white
// before it finds text (its thresholding_method parameter).
type Binarization int

// The binarisations.
const (
	// Otsu is one global threshold: Tesseract's default; good on documents.
	Otsu Binarization = 0
	// Adaptive is Leptonica's tiled adaptive Otsu (tiles of 2 inches at
	// Tesseract's assumed 70 dpi, about 140 pixels).
	Adaptive Binarization = 1
	// Sauvola is a local threshold (window of 2 inches at 70 dpi).
	Sauvola Binarization = 2
)

// Pass is one way of reading an image: the Reader transforms a grey copy of
// the image as the pass says and runs Tesseract on it. The zero Pass reads the
// image as it is, with Otsu binarisation.
type Pass struct {
	// Scale, when above 1, reads a copy scaled by that factor, but only of
	// an image whose longer side is under MaxSide pixels (any size when
	// MaxSide is 0): Tesseract misses small text.
	Scale   float64
	MaxSide int
	// Rotate reads a copy rotated by that many degrees, counter-clockwise,
	// to straighten text tilted the other way.
	Rotate float64
	// Invert reads the negative, for light text on dark ground.
	Invert bool
	// Chroma reads colourfulness (255 minus max−min of R, G, B) instead of
	// luminance: coloured text on ground of the same brightness.
	Chroma bool
	// Binarize is Tesseract's thresholding.
	Binarize Binarization
	// PSM, when not 0, is the page segmentation mode for this pass instead
	// of the Reader's.
	PSM PageSegMode
	// Grid, when 2 or more, reads the image as Grid×Grid overlapping tiles
	// (each 2/(Grid+1) of the image's width and height, so neighbours
	// overlap by half) instead of whole: Tesseract's layout analysis copes
	// far better with a caption bar or a sign inside a smaller crop than
	// inside a whole busy photo.
	Grid int
	// Regions, when true, reads proposed lines of text instead of the whole
	// image: the textregion package finds chains of character-like
	// components in the luminance and colourfulness of the image (after the
	// pass's scaling) at several grey levels, and each line, drawn black on
	// white and levelled, is read as one line of text (PSM 7 unless the pass
	// says otherwise). Names written straight onto a busy photo, which
	// Tesseract's own layout analysis loses, are read this way. Rotate,
	// Invert, Chroma, Binarize and Grid do not apply.
	Regions bool
}

// String names the pass, e.g. "original", "x2+sauvola", "rot-15".
func (p Pass) String() string {
	var parts []string
	if p.Regions {
		parts = append(parts, "regions")
	}
	if p.Grid >= 2 {
		parts = append(parts, "grid"+strconv.Itoa(p.Grid))
	}
	if p.Chroma {
		parts = append(parts, "chroma")
	}
	if p.Invert {
		parts = append(parts, "inverted")
	}
	if p.Scale > 1 {
		parts = append(parts, "x"+strconv.FormatFloat(p.Scale, 'g', -1, 64))
	}
	if p.Rotate != 0 {
		parts = append(parts, "rot"+strconv.FormatFloat(p.Rotate, 'g', -1, 64))
	}
	switch p.Binarize {
	case Adaptive:
		parts = append(parts, "adaptive")
	case Sauvola:
		parts = append(parts, "sauvola")
	}
	if p.PSM != 0 {
		parts = append(parts, "psm"+strconv.Itoa(int(p.PSM)))
	}
	if len(parts) == 0 {
		parts = []string{"original"}
	}
	return strings.Join(parts, "+")
}

func (p Pass) applies(size image.Point) bool {
	if p.Scale > 1 && p.MaxSide > 0 && max(size.X, size.Y) >= p.MaxSide {
		return false
	}
	return size.X > 0 && size.Y > 0
}

// prepared caches the grey and chroma forms of one input image across passes.
type prepared struct {
	img    image.Image
	grey   *image.Gray
	chroma *image.Gray
}

// prepare returns the image the pass reads and the map from its boxes back to
// the input image.
func (p Pass) prepare(src *prepared) (*image.Gray, func(image.Rectangle) image.Rectangle) {
	var g *image.Gray
	if p.Chroma {
		if src.chroma == nil {
			src.chroma = zeroBased(chromaGray(src.img))
		}
		g = src.chroma
	} else {
		if src.grey == nil {
			src.grey = zeroBased(toGray(src.img))
		}
		g = src.grey
	}
	// The transforms below work in coordinates from (0, 0); back maps a box
	// on the pass's image to those, and the last step to the input's.
	back := func(r image.Rectangle) image.Rectangle { return r }
	if p.Invert {
		g = invertGray(g)
	}
	if p.Scale > 1 {
		w := int(math.Round(float64(g.Rect.Dx()) * p.Scale))
		h := int(math.Round(float64(g.Rect.Dy()) * p.Scale))
		sx, sy := float64(g.Rect.Dx())/float64(w), float64(g.Rect.Dy())/float64(h)
		g = resizeGray(g, w, h)
		back = func(r image.Rectangle) image.Rectangle {
			return image.Rect(
				int(math.Floor(float64(r.Min.X)*sx)), int(math.Floor(float64(r.Min.Y)*sy)),
				int(math.Ceil(float64(r.Max.X)*sx)), int(math.Ceil(float64(r.Max.Y)*sy)),
			)
		}
	}
	if p.Rotate != 0 {
		var rot func(image.Rectangle) image.Rectangle
		g, rot = rotateGray(g, p.Rotate)
		scale := back
		back = func(r image.Rectangle) image.Rectangle { return scale(rot(r)) }
	}
	b := src.img.Bounds()
	return g, func(r image.Rectangle) image.Rectangle { return back(r).Add(b.Min).Intersect(b) }
}

// zeroBased returns a view of g whose bounds start at (0, 0).
func zeroBased(g *image.Gray) *image.Gray {
	if g.Rect.Min == (image.Point{}) {
		return g
	}
	return &image.Gray{Pix: g.Pix, Stride: g.Stride, Rect: image.Rect(0, 0, g.Rect.Dx(), g.Rect.Dy())}
}

// DefaultPasses returns the passes a Reader runs unless told otherwise,
// chosen by measurement on the generated test set (see BENCHMARKS.md):
// three cheap passes over the whole image (sparse text; one block of text
// with Otsu's binarisation; one block with adaptive binarisation: on photos
// each reads captions the others miss), and the proposed lines of text
// (Regions), which reads names written straight onto a busy photo, tilted
// names, and coloured names whose brightness matches the ground's. The
// proposed lines replaced an upscaled copy, the colourfulness of the whole
// image, and 3×3 tiles of copies rotated by ±15°: they found more names,
// at about half the time, and the rotated tiles misread decoy text as a
// name on a second draw of the test set.
func DefaultPasses() []Pass {
	return []Pass{
		{},
		{PSM: PSMSingleBlock},
		{PSM: PSMSingleBlock, Binarize: Adaptive},
		{Regions: true},
	}
}

// FastPasses returns the one pass to run when time matters more than small
// names: the proposed lines of text (Regions) alone. On the generated test
// set it finds as many names written at 20 px or more as DefaultPasses
// (98.6%), fewer smaller ones (87.5% against 93.8%), in a quarter to a
// half of the time (see BENCHMARKS.md).
func FastPasses() []Pass { return []Pass{{Regions: true}} }
