package detect

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"

	"github.com/phantom-vlm/phantom/internal/cv"
	"github.com/phantom-vlm/phantom/internal/ort"
)

// yoloLayout is the shape of a YOLOv8 export's output.
type yoloLayout int

const (
	// layoutStandard is Ultralytics' default export: one output [1, 4+nc+3k, N],
	// one column per anchor, boxes as cx, cy, w, h in input pixels, class
	// scores after the sigmoid, then k keypoints as x, y, visibility.
	layoutStandard yoloLayout = iota + 1
	// layoutEndToEnd has NMS in the graph: one output [1, K, 6+3k], rows
	// x1, y1, x2, y2, score, class, then the keypoints.
	layoutEndToEnd
	// layoutRawHead has one output per stride, [1, 64+nc+3k, H, W]: DFL box
	// distributions (4 sides × 16 bins), class logits, raw keypoints.
	layoutRawHead
)

// String names the layout as Layout reports it.
func (l yoloLayout) String() string {
	switch l {
	case layoutStandard:
		return "standard"
	case layoutEndToEnd:
		return "end-to-end"
	case layoutRawHead:
		return "raw-head"
	}
	return "unknown"
}

// dflBins is the number of distance bins per box side in a raw-head output.
const dflBins = cv.DFLBins

// yoloModel is a YOLOv8 ONNX model with its layout worked out from the output
// shapes. It is safe for concurrent use.
type yoloModel struct {
	sess    *ort.Session
	layout  yoloLayout
	w, h    int   // input size
	nc      int   // classes
	nk      int   // keypoints (0 or 5 for faces)
	strides []int // raw head: one per output
	conf    float64
	iou     float64
	classes []int // classes kept, nil for all
	pool    *inputPool
	file    string
}

// yoloDetection is one decoded detection in photo coordinates.
type yoloDetection struct {
	Box
	class int
	kpts  []Point
}

// yoloKind says what a caller expects of a YOLO model: a face model (one class,
// maybe 5 keypoints) or a detector with nc classes and no keypoints.
type yoloKind struct {
	face bool
	nc   int // for !face: number of classes, 0 = infer from the shape
}

// openYOLO inspects path, finds its layout and opens a session. A model that
// fits no layout gives an error wrapping ErrModelSignature.
func openYOLO(path string, kind yoloKind, o options) (*yoloModel, error) {
	m, err := inspectYOLO(path, kind, o)
	if err != nil {
		return nil, openError("yolov8", err)
	}
	return m, nil
}

func inspectYOLO(path string, kind yoloKind, o options) (*yoloModel, error) {
	if err := ort.InitDevice(o.library, ort.Device(o.device)); err != nil {
		return nil, err
	}
	got, err := ort.Inspect(path)
	if err != nil {
		return nil, err
	}
	m := &yoloModel{file: filepath.Base(path), conf: orDefault(o.confidence, 0.25), iou: orDefault(o.iou, 0.45)}
	want := ort.Signature{Inputs: []ort.TensorSpec{{Type: ort.Float32, Shape: []int64{1, 3, -1, -1}}}}
	if _, err := want.Resolve(got); err != nil {
		return nil, fmt.Errorf("%s: YOLOv8 wants one float32 image input [1 3 H W]: %w", path, err)
	}
	in := got.Inputs[0].Shape
	m.h, m.w = int(in[2]), int(in[3])
	if m.h <= 0 || m.w <= 0 {
		m.h, m.w = 640, 640
	}
	shape, err := inferYOLOLayout(got.Outputs, kind, m.w, m.h)
	if err != nil {
		expect := "a YOLOv8 detector with outputs [1 4+classes N] (standard), [1 K 6] (end-to-end) or three [1 64+classes H W] (raw head)"
		if kind.face {
			expect = "a YOLOv8 face model with outputs [1 5|20 N] (standard), [1 K 6|21] (end-to-end) or three [1 65|80 H W] (raw head)"
		}
		return nil, fmt.Errorf("%s: %w: %v; expected %s; found %s", path, ErrModelSignature, err, expect, got)
	}
	m.layout, m.nc, m.nk, m.strides = shape.layout, shape.nc, shape.nk, shape.strides
	wantOut := make([]ort.TensorSpec, len(shape.outputs))
	for k, name := range shape.outputs {
		wantOut[k] = ort.TensorSpec{Name: name}
	}
	m.sess, err = ort.Open(path, ort.Signature{Inputs: []ort.TensorSpec{{Name: got.Inputs[0].Name}}, Outputs: wantOut}, o.ortOptions()...)
	if err != nil {
		return nil, err
	}
	m.pool = newInputPool(3 * m.w * m.h)
	return m, nil
}

// yoloShape is what inferYOLOLayout reads from a YOLOv8 export's outputs.
type yoloShape struct {
	layout  yoloLayout
	nc, nk  int      // classes; keypoints (0 or 5 for faces)
	strides []int    // raw head: one per output
	outputs []string // the outputs to fetch, in order
}

// inferYOLOLayout works out an export's layout from its outputs alone, for
// a model of kind with a w×h input: one [1 4+classes(+15) N] output is the
// standard layout, one [1 K 6(+15)] output the end-to-end one, three
// [1 64+classes(+15) H W] outputs the raw head, whose grids must divide the
// input. The error says why the outputs fit none.
func inferYOLOLayout(outs []ort.TensorSpec, kind yoloKind, w, h int) (yoloShape, error) {
	var sh yoloShape
	if len(outs) == 0 {
		return sh, errors.New("no outputs")
	}
	for _, t := range outs {
		if t.Type != ort.Float32 {
			return sh, fmt.Errorf("output %q is %s", t.Name, t.Type)
		}
	}
	switch {
	case len(outs) == 1 && len(outs[0].Shape) == 3:
		sh.outputs = []string{outs[0].Name}
		c1, c2 := outs[0].Shape[1], outs[0].Shape[2]
		if kind.face {
			switch {
			case c1 == 5 || c1 == 20:
				sh.layout, sh.nc, sh.nk = layoutStandard, 1, int(c1-5)/3
			case c2 == 6 || c2 == 21:
				sh.layout, sh.nc, sh.nk = layoutEndToEnd, 1, int(c2-6)/3
			default:
				return sh, fmt.Errorf("output shape %v fits no face layout", outs[0].Shape)
			}
		} else {
			switch {
			case c2 == 6:
				sh.layout, sh.nc = layoutEndToEnd, kind.nc
			case c1 > 4 && (kind.nc == 0 || c1 == int64(4+kind.nc)):
				sh.layout, sh.nc = layoutStandard, int(c1-4)
			default:
				return sh, fmt.Errorf("output shape %v fits no detector layout", outs[0].Shape)
			}
		}
	case len(outs) == 3:
		for _, t := range outs {
			if len(t.Shape) != 4 || t.Shape[2] <= 0 || t.Shape[3] <= 0 {
				return sh, fmt.Errorf("output %q has shape %v", t.Name, t.Shape)
			}
			c := int(t.Shape[1])
			if kind.face {
				if c != 65 && c != 80 {
					return sh, fmt.Errorf("output %q has %d channels", t.Name, c)
				}
				sh.nc, sh.nk = 1, (c-65)/3
			} else {
				if c <= dflBins*4 || (kind.nc > 0 && c != dflBins*4+kind.nc) {
					return sh, fmt.Errorf("output %q has %d channels", t.Name, c)
				}
				sh.nc = c - dflBins*4
			}
			s := h / int(t.Shape[2])
			if s*int(t.Shape[2]) != h || s*int(t.Shape[3]) != w {
				return sh, fmt.Errorf("output %q grid %dx%d does not divide the input %dx%d", t.Name, t.Shape[3], t.Shape[2], w, h)
			}
			sh.strides = append(sh.strides, s)
			sh.outputs = append(sh.outputs, t.Name)
		}
		sh.layout = layoutRawHead
	default:
		return sh, fmt.Errorf("%d outputs", len(outs))
	}
	return sh, nil
}

// preprocess letterboxes img into a pooled input buffer (centred, grey 114,
// RGB in 0..1).
func (m *yoloModel) preprocess(img image.Image) (*inputBuf, letterbox) {
	src := rgbaOf(img)
	l := newLetterbox(src.Rect.Dx(), src.Rect.Dy(), m.w, m.h, true)
	l.ox, l.oy = img.Bounds().Min.X, img.Bounds().Min.Y
	const g = 114.0 / 255
	buf := m.pool.get()
	buf.fill(src, l, pixelNorm{mul: [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}, pad: [3]float32{g, g, g}})
	return buf, l
}

// detect runs the model on img and returns detections after thresholding and
// NMS, in photo coordinates, highest score first.
func (m *yoloModel) detect(ctx context.Context, img image.Image) ([]yoloDetection, error) {
	if img.Bounds().Empty() {
		return nil, nil
	}
	buf, l := m.preprocess(img)
	defer m.pool.put(buf)
	outs, err := m.sess.Run(ctx, ort.NewFloat32([]int64{1, 3, int64(m.h), int64(m.w)}, buf.data))
	if err != nil {
		return nil, err
	}
	return m.decode(outs, l, img.Bounds())
}

// decode turns the raw outputs into detections in photo coordinates.
func (m *yoloModel) decode(outs []ort.Tensor, l letterbox, bounds image.Rectangle) ([]yoloDetection, error) {
	var cands []yoloDetection
	var err error
	switch m.layout {
	case layoutStandard:
		cands, err = m.decodeStandard(outs[0])
	case layoutEndToEnd:
		cands, err = m.decodeEndToEnd(outs[0])
	case layoutRawHead:
		cands, err = m.decodeRawHead(outs)
	}
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", m.file, err)
	}
	if m.layout != layoutEndToEnd {
		cands = nmsPerClass(cands, m.iou)
	} else {
		slices.SortStableFunc(cands, func(a, b yoloDetection) int { return cmpScore(a.Score, b.Score) })
	}
	for i := range cands {
		d := &cands[i]
		d.X1, d.Y1 = l.toPhoto(d.X1, d.Y1)
		d.X2, d.Y2 = l.toPhoto(d.X2, d.Y2)
		d.Box = d.Box.Clip(bounds)
		for k := range d.kpts {
			d.kpts[k].X, d.kpts[k].Y = l.toPhoto(d.kpts[k].X, d.kpts[k].Y)
		}
	}
	// Drop boxes that clipping emptied (all in the padding).
	out := cands[:0]
	for _, d := range cands {
		if d.Width() > 0 && d.Height() > 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

func cmpScore(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// wanted reports whether class c is kept.
func (m *yoloModel) wanted(c int) bool {
	return m.classes == nil || slices.Contains(m.classes, c)
}

func (m *yoloModel) decodeStandard(t ort.Tensor) ([]yoloDetection, error) {
	d, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	if len(t.Shape) != 3 || int(t.Shape[1]) != 4+m.nc+3*m.nk {
		return nil, fmt.Errorf("output shape %v, expected [1 %d N]", t.Shape, 4+m.nc+3*m.nk)
	}
	n := int(t.Shape[2])
	row := func(r int) []float32 { return d[r*n : (r+1)*n] }
	conf := float32(m.conf)
	var cands []yoloDetection
	// Scan each wanted class's row for scores over the threshold (sequential
	// memory), then check that the class is the column's best.
	for c := 0; c < m.nc; c++ {
		if !m.wanted(c) {
			continue
		}
		sc := row(4 + c)
		for j, s := range sc {
			if s < conf {
				continue
			}
			best := true
			for c2 := 0; c2 < m.nc; c2++ {
				if c2 != c && d[(4+c2)*n+j] > s {
					best = false
					break
				}
			}
			if !best {
				continue
			}
			cx, cy, w, h := float64(d[j]), float64(d[n+j]), float64(d[2*n+j]), float64(d[3*n+j])
			det := yoloDetection{Box: Box{X1: cx - w/2, Y1: cy - h/2, X2: cx + w/2, Y2: cy + h/2, Score: float64(s)}, class: c}
			if m.nk > 0 {
				det.kpts = make([]Point, m.nk)
				base := 4 + m.nc
				for k := range m.nk {
					det.kpts[k] = Point{X: float64(d[(base+3*k)*n+j]), Y: float64(d[(base+3*k+1)*n+j])}
				}
			}
			cands = append(cands, det)
		}
	}
	return cands, nil
}

func (m *yoloModel) decodeEndToEnd(t ort.Tensor) ([]yoloDetection, error) {
	d, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	stride := 6 + 3*m.nk
	if len(t.Shape) != 3 || int(t.Shape[2]) != stride {
		return nil, fmt.Errorf("output shape %v, expected [1 K %d]", t.Shape, stride)
	}
	var cands []yoloDetection
	for i := 0; i+stride <= len(d); i += stride {
		r := d[i : i+stride]
		if float64(r[4]) < m.conf || !m.wanted(int(r[5])) {
			continue
		}
		det := yoloDetection{Box: Box{X1: float64(r[0]), Y1: float64(r[1]), X2: float64(r[2]), Y2: float64(r[3]), Score: float64(r[4])}, class: int(r[5])}
		if m.nk > 0 {
			det.kpts = make([]Point, m.nk)
			for k := range m.nk {
				det.kpts[k] = Point{X: float64(r[6+3*k]), Y: float64(r[7+3*k])}
			}
		}
		cands = append(cands, det)
	}
	return cands, nil
}

func sigmoid(x float32) float64 { return 1 / (1 + math.Exp(-float64(x))) }

func (m *yoloModel) decodeRawHead(outs []ort.Tensor) ([]yoloDetection, error) {
	// A cell is a candidate when its class logit reaches logit(conf), which
	// spares the sigmoid and the DFL for nearly every cell.
	thr := float32(math.Log(m.conf / (1 - m.conf)))
	var cands []yoloDetection
	var cells []int32
	var dist []float32
	for oi, t := range outs {
		d, err := t.Float32s()
		if err != nil {
			return nil, err
		}
		ch := dflBins*4 + m.nc + 3*m.nk
		if len(t.Shape) != 4 || int(t.Shape[1]) != ch {
			return nil, fmt.Errorf("output %d shape %v, expected [1 %d H W]", oi, t.Shape, ch)
		}
		gh, gw := int(t.Shape[2]), int(t.Shape[3])
		hw := gh * gw
		s := float64(m.strides[oi])
		first := len(cands)
		cells = cells[:0]
		for c := 0; c < m.nc; c++ {
			if !m.wanted(c) {
				continue
			}
			cls := d[(dflBins*4+c)*hw : (dflBins*4+c+1)*hw]
			for i, v := range cls {
				if v < thr {
					continue
				}
				best := true
				for c2 := 0; c2 < m.nc; c2++ {
					if c2 != c && d[(dflBins*4+c2)*hw+i] > v {
						best = false
						break
					}
				}
				if !best {
					continue
				}
				cells = append(cells, int32(i))
				cands = append(cands, yoloDetection{Box: Box{Score: sigmoid(v)}, class: c})
			}
		}
		// The box sides of all candidates at once (internal/cv's DFL kernel).
		dist = slices.Grow(dist[:0], 4*len(cells))[:4*len(cells)]
		if err := cv.DFL(d, hw, cells, dist); err != nil {
			return nil, fmt.Errorf("output %d: %w", oi, err)
		}
		for k, i := range cells {
			det := &cands[first+k]
			x, y := int(i)%gw, int(i)/gw
			ax, ay := float64(x)+0.5, float64(y)+0.5
			l, tp, r, b := dist[4*k], dist[4*k+1], dist[4*k+2], dist[4*k+3]
			det.X1, det.Y1 = (ax-float64(l))*s, (ay-float64(tp))*s
			det.X2, det.Y2 = (ax+float64(r))*s, (ay+float64(b))*s
			if m.nk > 0 {
				det.kpts = make([]Point, m.nk)
				base := dflBins*4 + m.nc
				for kp := range m.nk {
					kx := float64(d[(base+3*kp)*hw+int(i)])
					ky := float64(d[(base+3*kp+1)*hw+int(i)])
					det.kpts[kp] = Point{X: (kx*2 + float64(x)) * s, Y: (ky*2 + float64(y)) * s}
				}
			}
		}
	}
	return cands, nil
}

// nmsPerClass runs NMS within each class and returns the kept detections,
// highest score first.
func nmsPerClass(c []yoloDetection, iou float64) []yoloDetection {
	if len(c) == 0 {
		return c
	}
	byClass := map[int][]int{}
	for i, d := range c {
		byClass[d.class] = append(byClass[d.class], i)
	}
	var out []yoloDetection
	for _, idx := range byClass {
		boxes := make([]Box, len(idx))
		for j, i := range idx {
			boxes[j] = c[i].Box
		}
		for _, k := range nmsGrid(boxes, iou) {
			out = append(out, c[idx[k]])
		}
	}
	slices.SortStableFunc(out, func(a, b yoloDetection) int { return cmpScore(a.Score, b.Score) })
	return out
}

// close releases the model's session.
func (m *yoloModel) close() error {
	if m == nil || m.sess == nil {
		return nil
	}
	return m.sess.Close()
}

// YOLOFace is a YOLOv8 face detector on ONNX Runtime. It reads the three
// layouts that YOLOv8 face exports come in, told apart by their output
// shapes: Ultralytics' standard [1, 5(+15), N], end-to-end [1, K, 6(+15)]
// with NMS in the graph, and raw-head exports with one [1, 64+1(+15), H, W]
// output per stride (DFL boxes), as the yolov8-lite face models. Photos are
// letterboxed to the model's input (640×640 for these, grey 114 padding);
// boxes and the five landmarks, when the model has them, are mapped back to
// the photo.
//
// A YOLOFace is safe for concurrent use. Close releases it.
type YOLOFace struct {
	m *yoloModel
}

// NewYOLOFace loads a YOLOv8 face model. Defaults: confidence 0.25, NMS IoU
// 0.45 (WithConfidence, WithIoU), device auto. A file that is not a YOLOv8
// face model gives an error wrapping ErrModelSignature.
func NewYOLOFace(path string, opts ...Option) (*YOLOFace, error) {
	m, err := openYOLO(path, yoloKind{face: true}, newOptions(opts))
	if err != nil {
		return nil, err
	}
	return &YOLOFace{m: m}, nil
}

// Name returns "yolov8-face:" and the model's file name.
func (y *YOLOFace) Name() string { return "yolov8-face:" + y.m.file }

// Layout returns the output layout found in the model file: "standard",
// "end-to-end" or "raw-head".
func (y *YOLOFace) Layout() string { return y.m.layout.String() }

// Provider returns the execution provider the session asked for: "cpu" or
// "cuda:N".
func (y *YOLOFace) Provider() string { return y.m.sess.Provider() }

// DetectFaces returns the faces in img, highest score first.
func (y *YOLOFace) DetectFaces(ctx context.Context, img image.Image) ([]Face, error) {
	dets, err := y.m.detect(ctx, img)
	if err != nil {
		return nil, err
	}
	faces := make([]Face, len(dets))
	for i, d := range dets {
		faces[i] = Face{Box: d.Box, Landmarks: d.kpts}
	}
	return faces, nil
}

// Close releases the model.
func (y *YOLOFace) Close() error {
	if y == nil {
		return nil
	}
	return y.m.close()
}

// YOLOPerson is a person detector on a COCO YOLOv8 model (class 0 = person),
// such as Ultralytics' yolov8n ([1, 84, 8400] output); end-to-end and
// raw-head exports are read too. Photos are letterboxed to the model's input
// (grey 114); a column counts as a person when "person" is its best class
// and its score reaches the confidence threshold.
//
// A YOLOPerson is safe for concurrent use. Close releases it.
type YOLOPerson struct {
	m *yoloModel
}

// NewYOLOPerson loads a COCO YOLOv8 detector. Defaults: confidence 0.25, NMS
// IoU 0.45, device auto.
func NewYOLOPerson(path string, opts ...Option) (*YOLOPerson, error) {
	m, err := openYOLO(path, yoloKind{nc: 80}, newOptions(opts))
	if err != nil {
		return nil, err
	}
	m.classes = []int{0}
	return &YOLOPerson{m: m}, nil
}

// Name returns "yolov8-coco:" and the model's file name.
func (y *YOLOPerson) Name() string { return "yolov8-coco:" + y.m.file }

// Provider returns the execution provider the session asked for.
func (y *YOLOPerson) Provider() string { return y.m.sess.Provider() }

// DetectPeople returns the people in img, highest score first.
func (y *YOLOPerson) DetectPeople(ctx context.Context, img image.Image) ([]Person, error) {
	dets, err := y.m.detect(ctx, img)
	if err != nil {
		return nil, err
	}
	people := make([]Person, len(dets))
	for i, d := range dets {
		people[i] = Person{Box: d.Box, Label: "person"}
	}
	return people, nil
}

// Close releases the model.
func (y *YOLOPerson) Close() error {
	if y == nil {
		return nil
	}
	return y.m.close()
}

// iouInline is Box.IoU written with the builtin min and max, which the
// compiler inlines; they treat NaN and signed zeros as math.Min and
// math.Max do, so the result is the same.
func iouInline(b, o Box) float64 {
	ix := min(b.X2, o.X2) - max(b.X1, o.X1)
	iy := min(b.Y2, o.Y2) - max(b.Y1, o.Y1)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	union := max(0, b.X2-b.X1)*max(0, b.Y2-b.Y1) + max(0, o.X2-o.X1)*max(0, o.Y2-o.Y1) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}
