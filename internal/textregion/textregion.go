// Package textregion proposes lines of text in a photo, for OCR: it finds
// character-like connected components at several grey levels, chains
// components of similar height that sit side by side into lines (straight
// or tilted), and renders each line as clean black text on white, levelled
// and scaled to a size Tesseract reads well.
//
// It exists because Tesseract's own binarisation and layout analysis lose
// names written straight onto a busy photo (no box behind the text, as on a
// magazine cover): at one of the grey levels the letters separate from the
// ground as components of their own, and once drawn alone on white they are
// easy to read. The method is a simple relative of MSER-based scene-text
// detection (extremal regions at many thresholds, grouped into lines), in
// pure Go.
package textregion

import (
	"image"
	"math"
	"slices"
	"sort"

	"github.com/phantom-vlm/phantom/internal/disjoint"
)

// Options tune Find. The zero value uses the defaults.
type Options struct {
	// MinHeight and MaxHeight bound a character's height in pixels
	// (defaults 7 and a quarter of the image's height).
	MinHeight, MaxHeight int
	// MinChars is the fewest components a line needs (default 3).
	MinChars int
	// Levels are the grey levels at which each channel is thresholded, both
	// ways (light text above the level, dark text below it); default every
	// 24 grey levels from 40 to 232.
	Levels []uint8
	// MaxRegions caps the number of lines returned, the ones with the most
	// characters first (default 40).
	MaxRegions int
	// TargetHeight is the character height the rendered lines are scaled
	// to (default 32 pixels).
	TargetHeight int
}

func (o Options) withDefaults(h int) Options {
	if o.MinHeight <= 0 {
		o.MinHeight = 7
	}
	if o.MaxHeight <= 0 {
		o.MaxHeight = max(o.MinHeight+1, h/4)
	}
	if o.MinChars <= 0 {
		o.MinChars = 3
	}
	if len(o.Levels) == 0 {
		for l := 40; l <= 232; l += 24 {
			o.Levels = append(o.Levels, uint8(l))
		}
	}
	if o.MaxRegions <= 0 {
		o.MaxRegions = 40
	}
	if o.TargetHeight <= 0 {
		o.TargetHeight = 32
	}
	return o
}

// Region is one proposed line of text.
type Region struct {
	// Box holds the line's characters, in the channels' coordinates.
	Box image.Rectangle
	// Angle is the line's tilt in degrees, counter-clockwise on screen
	// (positive when the line rises to the right).
	Angle float64
	// Height is the median height of its characters, in pixels.
	Height int
	// Chars is the number of character components in the line.
	Chars int
	// Image is the line rendered black on white: the components inside Box
	// at the grey level that found the line, rotated by −Angle to level the
	// line, and scaled so that characters are about TargetHeight high.
	Image *image.Gray
}

// run is a horizontal run of foreground pixels [x0, x1) on row y.
type run struct {
	y, x0, x1 int
	comp      int32 // union-find parent while labelling
}

// comp is one connected component.
type comp struct {
	box    image.Rectangle
	area   int
	runs   []int32 // indices into the level's runs
	cx, cy float64 // centre of the box
}

func (c *comp) h() int { return c.box.Dy() }

// Find returns the text lines proposed on the channels (grey images of the
// same size, for example luminance and colourfulness), most characters
// first. Lines found at several levels or in several channels are returned
// once, as found with the most characters.
func Find(channels []*image.Gray, opt Options) []Region {
	if len(channels) == 0 {
		return nil
	}
	b := channels[0].Bounds()
	opt = opt.withDefaults(b.Dy())
	var regions []Region
	for _, ch := range channels {
		if ch.Bounds().Size() != b.Size() {
			continue
		}
		for _, lv := range opt.Levels {
			for _, light := range []bool{true, false} {
				runs := threshold(ch, lv, light)
				comps := label(runs)
				regions = append(regions, lines(runs, comps, opt, b)...)
			}
		}
	}
	return dedupe(regions, opt.MaxRegions)
}

// threshold returns the runs of pixels above lv (light) or below it (dark),
// in coordinates from (0, 0).
func threshold(g *image.Gray, lv uint8, light bool) []run {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var runs []run
	for y := 0; y < h; y++ {
		row := g.Pix[(y)*g.Stride : y*g.Stride+w]
		x := 0
		for x < w {
			for x < w && (row[x] > lv) != light {
				x++
			}
			if x >= w {
				break
			}
			x0 := x
			for x < w && (row[x] > lv) == light {
				x++
			}
			runs = append(runs, run{y: y, x0: x0, x1: x, comp: int32(len(runs))})
		}
	}
	return runs
}

// label joins 8-connected runs into components (runs must come row by row,
// left to right, as threshold makes them) and returns the components, each
// with the indices of its runs.
func label(runs []run) []comp {
	find := func(i int32) int32 {
		for runs[i].comp != i {
			runs[i].comp = runs[runs[i].comp].comp
			i = runs[i].comp
		}
		return i
	}
	prev, cur := 0, 0 // start of the previous row's runs and of this row's
	for i := range runs {
		if i == 0 || runs[i].y != runs[i-1].y {
			if i > 0 && runs[i].y == runs[i-1].y+1 {
				prev = cur
			} else {
				prev = i
			}
			cur = i
		}
		for j := prev; j < cur; j++ {
			if runs[j].x1 < runs[i].x0 { // ends before (8-connected: x1 is exclusive)
				continue
			}
			if runs[j].x0 > runs[i].x1 {
				break
			}
			a, c := find(int32(i)), find(int32(j))
			if a != c {
				if a < c {
					runs[c].comp = a
				} else {
					runs[a].comp = c
				}
			}
		}
	}
	ids := make([]int32, len(runs)) // component id + 1 of each root run
	var comps []comp
	for i := range runs {
		root := find(int32(i))
		id := ids[root] - 1
		if id < 0 {
			id = int32(len(comps))
			ids[root] = id + 1
			comps = append(comps, comp{box: image.Rect(runs[i].x0, runs[i].y, runs[i].x1, runs[i].y+1)})
		}
		c := &comps[id]
		c.box = c.box.Union(image.Rect(runs[i].x0, runs[i].y, runs[i].x1, runs[i].y+1))
		c.area += runs[i].x1 - runs[i].x0
		c.runs = append(c.runs, int32(i))
	}
	for i := range comps {
		c := &comps[i]
		c.cx = float64(c.box.Min.X+c.box.Max.X) / 2
		c.cy = float64(c.box.Min.Y+c.box.Max.Y) / 2
	}
	return comps
}

// charLike says whether a component could be a character.
func charLike(c *comp, opt Options) bool {
	w, h := c.box.Dx(), c.box.Dy()
	if h < opt.MinHeight || h > opt.MaxHeight || w > 3*h {
		return false
	}
	fill := float64(c.area) / float64(w*h)
	return fill >= 0.12 && fill <= 0.95
}

// lines chains the character-like components of one level into lines and
// renders them.
func lines(runs []run, comps []comp, opt Options, bounds image.Rectangle) []Region {
	var cand []int
	for i := range comps {
		if charLike(&comps[i], opt) {
			cand = append(cand, i)
		}
	}
	if len(cand) < opt.MinChars {
		return nil
	}
	sort.Slice(cand, func(a, b int) bool { return comps[cand[a]].box.Min.X < comps[cand[b]].box.Min.X })
	chains := disjoint.New(len(cand))
	maxH := opt.MaxHeight
	for i, ci := range cand {
		a := &comps[ci]
		for j := i + 1; j < len(cand); j++ {
			c := &comps[cand[j]]
			if c.box.Min.X > a.box.Max.X+maxH {
				break
			}
			if linked(a, c) {
				chains.Union(i, j)
			}
		}
	}
	groups := map[int][]int{}
	for i, ci := range cand {
		r := chains.Find(i)
		groups[r] = append(groups[r], ci)
	}
	var out []Region
	for _, g := range groups {
		if len(g) < opt.MinChars {
			continue
		}
		// A chain may hold more than one line (a name and the smaller line
		// under it, joined by a chance link): take the line through most
		// of the components, then look for another in the rest.
		for try := 0; try < 4 && len(g) >= opt.MinChars; try++ {
			r, ok, rest := region(runs, comps, g, opt, bounds)
			if ok {
				out = append(out, r)
			}
			if len(rest) == len(g) {
				break
			}
			g = rest
		}
	}
	return out
}

// linked says whether c can follow a on a line of text: similar heights, a
// small gap, and boxes that overlap vertically.
func linked(a, c *comp) bool {
	ha, hc := float64(a.h()), float64(c.h())
	hi, lo := math.Max(ha, hc), math.Min(ha, hc)
	if hi > 1.8*lo {
		return false
	}
	gap := float64(c.box.Min.X - a.box.Max.X)
	if gap > 0.9*hi || gap < -0.4*lo {
		return false
	}
	if c.cx <= a.cx {
		return false
	}
	ov := float64(min(a.box.Max.Y, c.box.Max.Y) - max(a.box.Min.Y, c.box.Min.Y))
	return ov >= 0.5*lo && math.Abs(c.cy-a.cy) <= 0.45*hi
}

// region checks a group of components as a line and renders it. The line
// is fitted robustly (Theil–Sen: the median slope of all pairs of centres),
// and components far from it, such as a piece of the background chained to
// the end of a word or a second line, are left out of the line and returned
// as rest.
func region(runs []run, comps []comp, g []int, opt Options, bounds image.Rectangle) (r Region, ok bool, rest []int) {
	hs := make([]int, len(g))
	for i, ci := range g {
		hs[i] = comps[ci].h()
	}
	slices.Sort(hs)
	hmed := hs[len(hs)/2]
	slope := fitSlope(comps, g)
	res := make([]float64, len(g))
	for i, ci := range g {
		res[i] = comps[ci].cy - slope*comps[ci].cx
	}
	icpt := median(res)
	var box image.Rectangle
	kept := g[:0:0]
	for i, ci := range g {
		if math.Abs(res[i]-icpt) <= 0.35*float64(hmed) {
			kept = append(kept, ci)
			box = box.Union(comps[ci].box)
		} else {
			rest = append(rest, ci)
		}
	}
	g = kept
	if len(g) < opt.MinChars || box.Dx() < 2*hmed {
		return Region{}, false, rest
	}
	hs = hs[:0]
	var sx, sy float64
	for _, ci := range g {
		hs = append(hs, comps[ci].h())
		sx += comps[ci].cx
		sy += comps[ci].cy
	}
	slices.Sort(hs)
	hmed = hs[len(hs)/2]
	n := float64(len(g))
	angle := -math.Atan(slope) * 180 / math.Pi
	if math.Abs(angle) > 25 {
		return Region{}, false, rest
	}
	// Draw every component at this level that lies inside the padded box and
	// is no taller than the line's characters (dots, accents, thin letters
	// left out of the chain), black on white.
	pad := max(2, hmed/2)
	crop := box.Inset(-pad).Intersect(image.Rect(0, 0, bounds.Dx(), bounds.Dy()))
	hmax := hs[len(hs)-1]
	img := image.NewGray(image.Rect(0, 0, crop.Dx(), crop.Dy()))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	// The fitted line through the centres: y = my + slope·(x − mx); a
	// component belongs to it when its centre is within about half a
	// character of it (more for the component's own half height).
	mx, my := sx/n, sy/n
	norm := math.Sqrt(1 + slope*slope)
	for ci := range comps {
		c := &comps[ci]
		if !c.box.In(crop) || c.h() > hmax+hmax/4 || c.box.Dx() > crop.Dx() {
			continue
		}
		if d := math.Abs(c.cy-my-slope*(c.cx-mx)) / norm; d > 0.6*float64(hmed)+0.5*float64(c.h()) {
			continue
		}
		if c.h() < 2 && c.box.Dx() < 2 {
			continue
		}
		for _, ri := range c.runs {
			r := runs[ri]
			row := img.Pix[(r.y-crop.Min.Y)*img.Stride:]
			for x := r.x0; x < r.x1; x++ {
				row[x-crop.Min.X] = 0
			}
		}
	}
	scale := float64(opt.TargetHeight) / float64(hmed)
	scale = math.Max(0.5, math.Min(scale, 4))
	out := render(img, scale, -angle, opt.TargetHeight/2)
	return Region{
		Box: box.Add(bounds.Min), Angle: angle, Height: hmed, Chars: len(g), Image: out,
	}, true, rest
}

// fitSlope returns the median of the slopes between the centres of all
// pairs of the components g (dy/dx, y down; of a long chain, in the order
// given, only pairs at most 30 apart); pairs less than a pixel apart across
// are left out.
func fitSlope(comps []comp, g []int) float64 {
	var slopes []float64
	for i := range g {
		a := &comps[g[i]]
		for j := i + 1; j < len(g) && (len(g) <= 60 || j-i <= 30); j++ {
			c := &comps[g[j]]
			if dx := c.cx - a.cx; math.Abs(dx) >= 1 {
				slopes = append(slopes, (c.cy-a.cy)/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return 0
	}
	return median(slopes)
}

// median returns the median of v (the upper one of an even count); it
// reorders v.
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// render scales src by scale, rotates it by deg degrees counter-clockwise
// about its centre (white corners), and adds a white margin; bilinear.
func render(src *image.Gray, scale, deg float64, margin int) *image.Gray {
	sw, sh := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	th := deg * math.Pi / 180
	cos, sin := math.Cos(th), math.Sin(th)
	w := int(math.Ceil((math.Abs(sw*cos)+math.Abs(sh*sin))*scale)) + 2*margin
	h := int(math.Ceil((math.Abs(sw*sin)+math.Abs(sh*cos))*scale)) + 2*margin
	dst := image.NewGray(image.Rect(0, 0, w, h))
	dcx, dcy := float64(w)/2, float64(h)/2
	scx, scy := sw/2, sh/2
	iw, ih := src.Rect.Dx(), src.Rect.Dy()
	at := func(i, j int) float64 {
		if i < 0 || j < 0 || i >= iw || j >= ih {
			return 255
		}
		return float64(src.Pix[j*src.Stride+i])
	}
	for y := 0; y < h; y++ {
		dy := (float64(y) + 0.5 - dcy) / scale
		row := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			dx := (float64(x) + 0.5 - dcx) / scale
			// A destination pixel comes from the source rotated back by
			// +deg (y down: counter-clockwise on screen).
			px := cos*dx - sin*dy + scx - 0.5
			py := sin*dx + cos*dy + scy - 0.5
			i0, j0 := int(math.Floor(px)), int(math.Floor(py))
			fx, fy := px-float64(i0), py-float64(j0)
			v := (at(i0, j0)*(1-fx)+at(i0+1, j0)*fx)*(1-fy) + (at(i0, j0+1)*(1-fx)+at(i0+1, j0+1)*fx)*fy
			row[x] = uint8(v + 0.5)
		}
	}
	return dst
}

// dedupe keeps, of the regions whose boxes overlap by more than half, the
// one with the most characters, and returns at most n, most characters
// first.
func dedupe(rs []Region, n int) []Region {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Chars > rs[j].Chars })
	var out []Region
	for _, r := range rs {
		dup := false
		for _, o := range out {
			if iou(r.Box, o.Box) > 0.5 {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, r)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia)
}
