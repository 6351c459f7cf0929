package pipeline

import (
	"fmt"
	"image"
	"image/draw"
	"strings"
	"sync"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
)

// Condition names one of the study's image variants (PROTOCOL.md §2).
type Condition string

// The six conditions, in the study's order.
const (
	Original      Condition = "original"
	Blur          Condition = "blur"
	Landscape     Condition = "landscape"
	White         Condition = "white"
	LandscapeBlur Condition = "landscape+blur"
	WhiteBlur     Condition = "white+blur"
)

// AllConditions lists the six conditions in the study's order.
var AllConditions = []Condition{Original, Blur, Landscape, White, LandscapeBlur, WhiteBlur}

// Pixelated reports whether the condition pixelates the faces.
func (c Condition) Pixelated() bool { return c == Blur || c == LandscapeBlur || c == WhiteBlur }

// base returns the condition without its pixelation: original, landscape or white.
func (c Condition) base() Condition {
	switch c {
	case Blur:
		return Original
	case LandscapeBlur:
		return Landscape
	case WhiteBlur:
		return White
	}
	return c
}

// NeedsBackgrounds reports whether the condition composites onto a landscape.
func (c Condition) NeedsBackgrounds() bool { return c.base() == Landscape }

// NeedsFaces reports whether rendering the condition needs the faces of the
// photo: it pixelates them.
func (c Condition) NeedsFaces() bool { return c.Pixelated() }

// NeedsPeople reports whether rendering the condition needs the people of
// the photo and their masks: it cuts them out (landscape, white).
func (c Condition) NeedsPeople() bool { b := c.base(); return b == Landscape || b == White }

// Stages returns the detection stages the conditions need together: faces
// when one pixelates, people and masks when one cuts people out, none for
// the original alone.
func Stages(conds []Condition) detect.Stages {
	var s detect.Stages
	for _, c := range conds {
		if c.NeedsFaces() {
			s |= detect.StageFaces
		}
		if c.NeedsPeople() {
			s |= detect.StagePeople | detect.StageMasks
		}
	}
	return s
}

func (c Condition) valid() bool {
	for _, k := range AllConditions {
		if c == k {
			return true
		}
	}
	return false
}

// ParseConditions parses a comma-separated list of condition names ("all"
// or "" for the six). The result keeps the study's order and has no
// duplicates.
func ParseConditions(s string) ([]Condition, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return append([]Condition(nil), AllConditions...), nil
	}
	want := map[Condition]bool{}
	for _, part := range strings.Split(s, ",") {
		c := Condition(strings.ToLower(strings.TrimSpace(part)))
		if c == "" {
			continue
		}
		if !c.valid() {
			return nil, fmt.Errorf("pipeline: unknown condition %q (want some of %s)", part, joinConditions(AllConditions))
		}
		want[c] = true
	}
	var out []Condition
	for _, c := range AllConditions {
		if want[c] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pipeline: no condition in %q", s)
	}
	return out, nil
}

func joinConditions(cs []Condition) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

// Variant is one rendered condition of a photo.
type Variant struct {
	Condition Condition
	Image     *image.RGBA
	// Background is the landscape's name, "white", or "" for none.
	Background string
}

// RenderOptions are the settings of Render.
type RenderOptions struct {
	// Grid is the pixelation grid (cells per side); 0 means 10.
	Grid int
	// Landscape is the background for the landscape conditions.
	Landscape background.Background
	// InPlace lets Render pixelate photo itself and pixelate each composite
	// in place for its +blur condition, instead of copying: emit must be
	// done with a variant's image when it returns. The original is then
	// rendered last, after the composites that need the unpixelated photo.
	InPlace bool
}

// Render renders the given conditions of photo from one scene and calls emit
// for each. Each base (the original, the landscape composite, the white
// composite) is made once and its pixelated condition is derived from it,
// so faces are pixelated after compositing. Without InPlace, variants come
// in the study's order, photo is left as it is, the original's image is
// photo itself and every other variant is a new image that emit may keep.
// Render stops at emit's first error.
func Render(photo *image.RGBA, scene *detect.Scene, conds []Condition, o RenderOptions, emit func(Variant) error) error {
	grid := o.Grid
	if grid <= 0 {
		grid = 10
	}
	want := map[Condition]bool{}
	for _, c := range conds {
		want[c] = true
	}
	var mask *image.Alpha
	personMask := func() *image.Alpha {
		if mask == nil {
			mask = scene.PersonMask()
		}
		return mask
	}
	bases := []Condition{Original, Landscape, White}
	// With InPlace the landscape and the white composites share one buffer,
	// kept between photos: emit is done with each variant when it returns.
	var buf *image.RGBA
	if o.InPlace {
		bases = []Condition{Landscape, White, Original}
		buf = compositeBuffers.get(photo.Rect.Dx(), photo.Rect.Dy())
		defer func() { compositeBuffers.put(buf) }()
	}
	for _, b := range bases {
		blurred := Condition(string(b) + "+blur")
		if b == Original {
			blurred = Blur
		}
		if !want[b] && !want[blurred] {
			continue
		}
		var img *image.RGBA
		bgName := ""
		switch b {
		case Original:
			img = photo
		case Landscape:
			if o.Landscape.Image == nil {
				return fmt.Errorf("pipeline: condition %s needs a background and none was given", b)
			}
			img = o.Landscape.CompositeInto(buf, photo, personMask())
			bgName = o.Landscape.Name
		case White:
			img = background.WhiteInto(buf, photo, personMask())
			bgName = "white"
		}
		if o.InPlace && b != Original {
			buf = img
		}
		if want[b] {
			if err := emit(Variant{Condition: b, Image: img, Background: bgName}); err != nil {
				return err
			}
		}
		if want[blurred] {
			px := img
			if !o.InPlace && (want[b] || b == Original) {
				px = cloneRGBA(img)
			}
			PixelateFaces(px, scene.Faces, grid)
			if err := emit(Variant{Condition: blurred, Image: px, Background: bgName}); err != nil {
				return err
			}
		}
	}
	return nil
}

// bufferPool keeps composite buffers between Render calls, so that a render
// neither allocates nor clears its composites.
type bufferPool struct{ p sync.Pool }

var compositeBuffers bufferPool

// get returns an image of w×h with its origin at (0, 0), of undefined
// content.
func (bp *bufferPool) get(w, h int) *image.RGBA {
	if m, ok := bp.p.Get().(*image.RGBA); ok && cap(m.Pix) >= 4*w*h {
		return &image.RGBA{Pix: m.Pix[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

func (bp *bufferPool) put(m *image.RGBA) {
	if m != nil {
		bp.p.Put(m)
	}
}

// conditionIndex is c's place in the study's order.
func conditionIndex(c Condition) int {
	for i, k := range AllConditions {
		if k == c {
			return i
		}
	}
	return len(AllConditions)
}

// PixelateFaces pixelates every face box of faces in img on a grid×grid grid.
func PixelateFaces(img *image.RGBA, faces []detect.Face, grid int) {
	for _, f := range faces {
		r := f.Box.Rect().Intersect(img.Rect)
		if r.Empty() {
			continue
		}
		anonymize.Pixelate(img, r, grid)
	}
}

func cloneRGBA(src *image.RGBA) *image.RGBA {
	out := image.NewRGBA(src.Rect)
	if src.Stride == out.Stride && len(src.Pix) == len(out.Pix) {
		copy(out.Pix, src.Pix)
		return out
	}
	draw.Draw(out, out.Rect, src, src.Rect.Min, draw.Src)
	return out
}
