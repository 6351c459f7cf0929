package detect

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/ort"
)

// ISNet's crop and mask extents, as fractions of the person box's width and
// height added on every side: the model sees the box plus isnetContext, for
// context, and the mask is kept within the box plus isnetBleed, since a
// salient-object model also picks up a neighbour who stands in the crop.
const (
	isnetContext = 0.1
	isnetBleed   = 0.02
	isnetFloor   = 0.1 // normalised output below this is 0, above 1-this is 255
)

// ISNet is a person segmenter built on ISNet (DIS), a salient-object
// matting model: it runs on each person's box crop, extended by a margin,
// and its mask is placed back into a mask of the whole photo. It implements
// Segmenter and needs no prompt, so it works with any person detector.
//
// The crop is the box plus 10% on every side, for context. It is fitted
// into the model's input (1024×1024 for the known weights; read from the
// file) keeping its aspect ratio, centred and padded with mid grey, as RGB
// scaled to x/255 - 0.5: stretching a tall person box to a square makes the
// model lose the person. People whose crops overlap by a quarter or more
// share one run when none of them loses more than a quarter of its
// resolution by it (side by side, they lose none), so a group photo costs a
// few runs, not one per person.
//
// The output "output" is min-max normalised to 0..1, resized back to the
// crop and stored as a soft mask (0 below 0.1, 255 above 0.9, linear
// between), kept within the box plus 2% on every side: ISNet segments
// whatever stands out, so a neighbour inside the crop would otherwise join
// the mask. Where the boxes of two people overlap, a pixel both masks claim
// goes to the mask that is clearly surer of it, or else to the person whose
// box centre is nearer (in units of box size).
//
// An ISNet is safe for concurrent use: it holds no per-photo state, and its
// ONNX Runtime session is thread-safe.
type ISNet struct {
	sess    *ort.Session
	name    string
	w, h    int
	context float64
	bleed   float64
	runs    atomic.Int64 // model runs, for tests
}

var isnetSignature = ort.Signature{
	Inputs:  []ort.TensorSpec{{Name: "input", Type: ort.Float32, Shape: []int64{1, 3, -1, -1}}},
	Outputs: []ort.TensorSpec{{Name: "output", Type: ort.Float32, Shape: []int64{1, 1, -1, -1}}},
}

// NewISNet opens an ISNet export (isnet-quint8.onnx). The options choose the
// device and threads.
func NewISNet(modelPath string, opts ...Option) (*ISNet, error) {
	sess, err := ort.Open(modelPath, isnetSignature, newOptions(opts).ortOptions()...)
	if err != nil {
		return nil, openError("isnet", err)
	}
	n := &ISNet{sess: sess, name: "isnet:" + filepath.Base(modelPath), w: 1024, h: 1024, context: isnetContext, bleed: isnetBleed}
	if s := sess.Signature().Inputs[0].Shape; s[2] > 0 && s[3] > 0 {
		n.h, n.w = int(s[2]), int(s[3])
	}
	return n, nil
}

// Name identifies the segmenter and its model file.
func (n *ISNet) Name() string { return n.name }

// Close releases the ONNX Runtime session.
func (n *ISNet) Close() error { return n.sess.Close() }

// Segment returns one soft mask per box, with img's bounds. The model runs
// once per group of people whose crops can share a run (see groups), at
// most once per box.
func (n *ISNet) Segment(ctx context.Context, img image.Image, boxes []Box) ([]Mask, error) {
	b := img.Bounds()
	if b.Empty() && len(boxes) > 0 {
		return nil, fmt.Errorf("detect: isnet: empty image")
	}
	rgba := imageio.ToRGBA(img) // bounds at (0,0): boxes move with it
	off := image.Point{}.Sub(b.Min)
	boxes = slices.Clone(boxes)
	for i := range boxes {
		boxes[i] = shift(boxes[i], off)
	}
	masks := make([]Mask, len(boxes))
	crops := make([]image.Rectangle, len(boxes))
	for i, box := range boxes {
		crops[i] = grow(box, n.context).Rect().Intersect(rgba.Rect)
		masks[i] = Mask{Alpha: image.NewAlpha(rgba.Rect)}
	}
	for _, g := range n.groups(crops) {
		if g.rect.Empty() {
			continue
		}
		n.runs.Add(1)
		out, err := n.sess.Run(ctx, n.preprocess(rgba, g.rect))
		if err != nil {
			return nil, fmt.Errorf("detect: isnet: box %d: %w", g.members[0], err)
		}
		for _, i := range g.members {
			keep := grow(boxes[i], n.bleed).Rect().Intersect(crops[i])
			if err := n.postprocess(out[0], g.rect, keep, masks[i].Alpha); err != nil {
				return nil, fmt.Errorf("detect: isnet: box %d: %w", i, err)
			}
		}
	}
	resolveOverlaps(masks, boxes, n.bleed)
	for i := range masks {
		masks[i].Rect = masks[i].Rect.Add(b.Min)
	}
	return masks, nil
}

// resolveOverlaps gives each pixel claimed by more than one mask to a single
// one: the mask with the highest alpha when it leads by more than 32, else
// the one whose box centre is nearest in box-size units. Only the
// intersections of the boxes grown by bleed (where masks may be non-zero)
// are visited.
func resolveOverlaps(masks []Mask, boxes []Box, bleed float64) {
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			r := grow(boxes[i], bleed).Rect().Intersect(grow(boxes[j], bleed).Rect()).Intersect(masks[i].Rect)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					o := masks[i].PixOffset(x, y)
					ai, aj := masks[i].Pix[o], masks[j].Pix[o]
					if ai == 0 || aj == 0 {
						continue
					}
					iWins := int(ai)-int(aj) > 32 ||
						(int(aj)-int(ai) <= 32 && centreDist(boxes[i], x, y) <= centreDist(boxes[j], x, y))
					if iWins {
						masks[j].Pix[o] = 0
					} else {
						masks[i].Pix[o] = 0
					}
				}
			}
		}
	}
}

// centreDist is the squared distance of pixel (x, y) from the box's centre
// in units of the box's width and height.
func centreDist(b Box, x, y int) float64 {
	dx := (float64(x) + 0.5 - (b.X1+b.X2)/2) / max(b.Width(), 1)
	dy := (float64(y) + 0.5 - (b.Y1+b.Y2)/2) / max(b.Height(), 1)
	return dx*dx + dy*dy
}

// isnetGroup is a set of people segmented by one model run over rect.
type isnetGroup struct {
	rect    image.Rectangle
	members []int
}

// isnetMergeLoss is how much coarser than in its own run a person may be
// seen when runs are shared: a merged crop's scale into the model input must
// be at least this share of every member's own scale.
const isnetMergeLoss = 0.75

// isnetMergeOverlap is how much two crops must overlap, as a share of the
// smaller one, to share a run: a neighbour who is already well inside a
// person's crop changes little in what the model sees, while a wide union
// over new ground can hand the salience to something else, so that a small
// person at the edge of a portrait comes out empty.
const isnetMergeOverlap = 0.25

// groups shares model runs between people: crops that overlap by at least a
// quarter of the smaller one are merged, greedily, while the merged crop
// still shows every member at no less than 0.75 of the resolution its own
// crop would (people side by side lose no resolution at all, since the
// crop's height sets the scale). A crowd then costs a few runs instead of
// one per person.
func (n *ISNet) groups(crops []image.Rectangle) []isnetGroup {
	scale := func(r image.Rectangle) float64 {
		if r.Empty() {
			return 0
		}
		return min(1, float64(n.w)/float64(r.Dx()), float64(n.h)/float64(r.Dy()))
	}
	gs := make([]isnetGroup, len(crops))
	finest := make([]float64, len(crops)) // the largest own scale among members
	for i, c := range crops {
		gs[i] = isnetGroup{rect: c, members: []int{i}}
		finest[i] = scale(c)
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(gs) && !merged; i++ {
			for j := i + 1; j < len(gs); j++ {
				if gs[i].rect.Empty() || gs[j].rect.Empty() {
					continue
				}
				a, b := gs[i].rect, gs[j].rect
				if area(a.Intersect(b)) < isnetMergeOverlap*min(area(a), area(b)) {
					continue
				}
				u := a.Union(b)
				f := max(finest[i], finest[j])
				if scale(u) < isnetMergeLoss*f {
					continue
				}
				gs[i].rect, gs[i].members, finest[i] = u, append(gs[i].members, gs[j].members...), f
				gs = slices.Delete(gs, j, j+1)
				finest = slices.Delete(finest, j, j+1)
				merged = true
				break
			}
		}
	}
	return gs
}

func area(r image.Rectangle) float64 { return float64(r.Dx()) * float64(r.Dy()) }

// shift returns b moved by d.
func shift(b Box, d image.Point) Box {
	b.X1, b.X2 = b.X1+float64(d.X), b.X2+float64(d.X)
	b.Y1, b.Y2 = b.Y1+float64(d.Y), b.Y2+float64(d.Y)
	return b
}

// grow returns the box extended by frac of its width and height on every
// side.
func grow(box Box, frac float64) Box {
	mx, my := box.Width()*frac, box.Height()*frac
	return Box{X1: box.X1 - mx, Y1: box.Y1 - my, X2: box.X2 + mx, Y2: box.Y2 + my, Score: box.Score}
}

// fit returns where the crop lies in the model input: scaled to fit,
// keeping its aspect ratio, and centred.
func (n *ISNet) fit(crop image.Rectangle) image.Rectangle {
	s := min(float64(n.w)/float64(crop.Dx()), float64(n.h)/float64(crop.Dy()))
	fw := min(n.w, max(1, int(float64(crop.Dx())*s+0.5)))
	fh := min(n.h, max(1, int(float64(crop.Dy())*s+0.5)))
	x0, y0 := (n.w-fw)/2, (n.h-fh)/2
	return image.Rect(x0, y0, x0+fw, y0+fh)
}

// preprocess resizes the crop into the model input: RGB, x/255 - 0.5,
// letterboxed with 0 (mid grey).
func (n *ISNet) preprocess(rgba *image.RGBA, crop image.Rectangle) ort.Tensor {
	pix := make([]float32, 3*n.w*n.h)
	mul := [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}
	add := [3]float32{-0.5, -0.5, -0.5}
	f := n.fit(crop)
	off := f.Min.Y*n.w + f.Min.X
	dst := planes{data: pix[off:], w: n.w, h: n.h}
	resample(rgba, crop, f.Dx(), f.Dy(), dst, mul, add)
	return ort.NewFloat32([]int64{1, 3, int64(n.h), int64(n.w)}, pix)
}

// postprocess min-max normalises the output, resizes it to the crop and
// writes its keep part into a (which has photo-origin bounds).
func (n *ISNet) postprocess(out ort.Tensor, crop, keep image.Rectangle, a *image.Alpha) error {
	d, err := out.Float32s()
	if err != nil {
		return err
	}
	sh := out.Shape
	if len(sh) != 4 || int(sh[2]*sh[3]) > len(d) || sh[2] <= 0 || sh[3] <= 0 {
		return fmt.Errorf("%w: output shape %v", ort.ErrSignature, sh)
	}
	oh, ow := int(sh[2]), int(sh[3])
	d = d[:oh*ow]
	lo, hi := d[0], d[0]
	for _, v := range d {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi <= lo {
		return nil // a flat output: nothing stands out
	}
	f := n.fit(crop)
	sx, sy := float64(ow)/float64(n.w), float64(oh)/float64(n.h)
	plane := samplePlane(d, ow, oh, float64(f.Min.X)*sx, float64(f.Min.Y)*sy, float64(f.Dx())*sx, float64(f.Dy())*sy, crop.Dx(), crop.Dy())
	// Normalised value v becomes alpha (v-0.1)/0.8, clamped: the faint
	// haze ISNet leaves over a background would otherwise show the crop's
	// rectangle in a composite, and near-certain pixels become fully on.
	span := hi - lo
	lo += isnetFloor * span
	scale := 255 / (span * (1 - 2*isnetFloor))
	for y := keep.Min.Y; y < keep.Max.Y; y++ {
		row := a.Pix[a.PixOffset(keep.Min.X, y):a.PixOffset(keep.Max.X, y)]
		src := plane[(y-crop.Min.Y)*crop.Dx()+keep.Min.X-crop.Min.X:]
		for x := range row {
			row[x] = uint8(min(max((src[x]-lo)*scale+0.5, 0), 255))
		}
	}
	return nil
}
