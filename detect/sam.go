package detect

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"sync/atomic"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/ort"
)

// samSize is the side of SAM's square input frame.
const samSize = 1024

// SAM is the Segment Anything segmenter, as an encoder and decoder pair of
// ONNX files: the decoder as segment-anything's own ONNX export writes it
// (also MobileSAM's), the encoder as the usual exports write it. It
// implements Segmenter with a box prompt per person.
//
// The photo is resized so that its longest side is 1024. The encoder's
// input layout is read from the file:
//   - [1,3,1024,1024] float: phantom normalises with ImageNet's mean and
//     standard deviation in 0–255 and pads to 1024×1024 with zeros, as
//     segment-anything's preprocess does;
//   - [H,W,3] or [1,H,W,3], float or uint8: the graph normalises, so
//     phantom passes raw 0–255 RGB, padded with the mean colour to the
//     input's size when it is fixed, and not padded when it is dynamic.
//
// Each box goes to the decoder as two points labelled 2 (top-left) and 3
// (bottom-right) in the 1024 frame, with no mask input. Of the masks the
// decoder returns, the one with the best predicted IoU is kept, thresholded
// at logit 0; when the decoder gives four (segment-anything's export without
// --return-single-mask), output 0 is the single-mask output and is left out,
// as SamPredictor with multimask output leaves it out, so the choice is among
// outputs 1–3. When the decoder's masks are not at the photo's size (a
// low-resolution output) they are scaled back first. Segment encodes the
// photo once for all its boxes.
//
// A SAM is safe for concurrent use: it holds no per-photo state, and its
// ONNX Runtime sessions are thread-safe.
type SAM struct {
	enc, dec *ort.Session
	name     string
	hwc      bool // encoder takes H×W×3 raw pixels
	batchHWC bool // ... with a leading batch dimension
	uint8In  bool // ... as uint8
	fixedHWC bool // ... at a fixed size (padded by us)
	encShape []int64
	encodes  atomic.Int64 // encoder runs, for tests
}

var samEncoderSignature = ort.Signature{
	Inputs:  []ort.TensorSpec{{}},
	Outputs: []ort.TensorSpec{{Type: ort.Float32, Shape: []int64{1, 256, 64, 64}}},
}

var samDecoderSignature = ort.Signature{
	Inputs: []ort.TensorSpec{
		{Name: "image_embeddings", Type: ort.Float32, Shape: []int64{1, 256, 64, 64}},
		{Name: "point_coords", Type: ort.Float32, Shape: []int64{1, -1, 2}},
		{Name: "point_labels", Type: ort.Float32, Shape: []int64{1, -1}},
		{Name: "mask_input", Type: ort.Float32, Shape: []int64{1, 1, 256, 256}},
		{Name: "has_mask_input", Type: ort.Float32, Shape: []int64{1}},
		{Name: "orig_im_size", Type: ort.Float32, Shape: []int64{2}},
	},
	Outputs: []ort.TensorSpec{
		{Name: "masks", Type: ort.Float32, Shape: []int64{1, -1, -1, -1}},
		{Name: "iou_predictions", Type: ort.Float32, Shape: []int64{1, -1}},
	},
}

// NewSAM opens a SAM (or MobileSAM) encoder and decoder. The options choose
// the device and threads.
func NewSAM(encoderPath, decoderPath string, opts ...Option) (*SAM, error) {
	ortOpts := newOptions(opts).ortOptions()
	enc, err := ort.Open(encoderPath, samEncoderSignature, ortOpts...)
	if err != nil {
		return nil, openError("sam encoder", err)
	}
	s := &SAM{enc: enc, name: "sam:" + filepath.Base(encoderPath) + "+" + filepath.Base(decoderPath)}
	in := enc.Signature().Inputs[0]
	sh := in.Shape
	s.encShape = sh
	switch {
	case len(sh) == 4 && sh[1] == 3 && in.Type == ort.Float32:
		if (sh[2] > 0 && sh[2] != samSize) || (sh[3] > 0 && sh[3] != samSize) {
			enc.Close()
			return nil, fmt.Errorf("detect: sam encoder %s: %w: input %q is %v, expected [1 3 1024 1024]",
				encoderPath, ort.ErrSignature, in.Name, sh)
		}
	case (len(sh) == 3 && sh[2] == 3) || (len(sh) == 4 && sh[3] == 3):
		if in.Type != ort.Float32 && in.Type != ort.Uint8 {
			enc.Close()
			return nil, fmt.Errorf("detect: sam encoder %s: %w: input %q has type %s, expected float32 or uint8",
				encoderPath, ort.ErrSignature, in.Name, in.Type)
		}
		s.hwc, s.batchHWC, s.uint8In = true, len(sh) == 4, in.Type == ort.Uint8
		hw := sh[len(sh)-3 : len(sh)-1]
		s.fixedHWC = hw[0] > 0 && hw[1] > 0
		if s.fixedHWC && (hw[0] < samSize || hw[1] < samSize) {
			enc.Close()
			return nil, fmt.Errorf("detect: sam encoder %s: %w: input %q is %v, too small for the 1024 frame",
				encoderPath, ort.ErrSignature, in.Name, sh)
		}
	default:
		enc.Close()
		return nil, fmt.Errorf("detect: sam encoder %s: %w: input %q is %s %v; expected float32 [1 3 1024 1024] or [H W 3] / [1 H W 3] pixels",
			encoderPath, ort.ErrSignature, in.Name, in.Type, sh)
	}
	dec, err := ort.Open(decoderPath, samDecoderSignature, ortOpts...)
	if err != nil {
		enc.Close()
		return nil, openError("sam decoder", err)
	}
	s.dec = dec
	return s, nil
}

// Name identifies the segmenter and its model files.
func (s *SAM) Name() string { return s.name }

// Close releases both sessions.
func (s *SAM) Close() error {
	err := s.enc.Close()
	if e := s.dec.Close(); err == nil {
		err = e
	}
	return err
}

// samFrame is how a photo sits in SAM's 1024 frame: scaled by sx, sy to
// nw×nh at the top-left corner.
type samFrame struct {
	w, h   int // photo
	nw, nh int // resized photo
}

func newSAMFrame(w, h int) samFrame {
	scale := float64(samSize) / float64(max(w, h))
	return samFrame{w: w, h: h, nw: int(float64(w)*scale + 0.5), nh: int(float64(h)*scale + 0.5)}
}

// Segment returns one mask per box: the photo is encoded once, then the
// decoder runs once per box.
func (s *SAM) Segment(ctx context.Context, img image.Image, boxes []Box) ([]Mask, error) {
	if len(boxes) == 0 {
		return []Mask{}, nil
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("detect: sam: empty image")
	}
	emb, f, err := s.embed(ctx, img)
	if err != nil {
		return nil, err
	}
	masks := make([]Mask, len(boxes))
	off := image.Point{}.Sub(b.Min)
	for i, box := range boxes {
		m, err := s.decode(ctx, emb, f, shift(box, off))
		if err != nil {
			return nil, fmt.Errorf("detect: sam: box %d: %w", i, err)
		}
		m.Rect = m.Rect.Add(b.Min)
		masks[i] = m
	}
	return masks, nil
}

// samEmbedding is an encoded photo.
type samEmbedding struct {
	t ort.Tensor
}

// embed runs the encoder on img.
func (s *SAM) embed(ctx context.Context, img image.Image) (samEmbedding, samFrame, error) {
	in, f := s.preprocess(img)
	s.encodes.Add(1)
	out, err := s.enc.Run(ctx, in)
	if err != nil {
		return samEmbedding{}, f, fmt.Errorf("detect: sam encoder: %w", err)
	}
	return samEmbedding{t: out[0]}, f, nil
}

// preprocess builds the encoder's input for img.
func (s *SAM) preprocess(img image.Image) (ort.Tensor, samFrame) {
	rgba := imageio.ToRGBA(img)
	f := newSAMFrame(rgba.Rect.Dx(), rgba.Rect.Dy())
	if !s.hwc {
		pix := make([]float32, 3*samSize*samSize)
		var mul, add [3]float32
		mean := [3]float32{123.675, 116.28, 103.53}
		std := [3]float32{58.395, 57.12, 57.375}
		for c := range 3 {
			mul[c], add[c] = 1/std[c], -mean[c]/std[c]
		}
		resample(rgba, rgba.Rect, f.nw, f.nh, planes{data: pix, w: samSize, h: samSize}, mul, add)
		return ort.NewFloat32([]int64{1, 3, samSize, samSize}, pix), f
	}
	w, h := f.nw, f.nh
	if s.fixedHWC {
		n := len(s.encShape)
		h, w = int(s.encShape[n-3]), int(s.encShape[n-2])
	}
	pix := make([]float32, 3*w*h)
	if w > f.nw || h > f.nh {
		// The graph normalises: pad with the mean colour, which it turns
		// into the 0 that segment-anything pads with.
		for i := 0; i < len(pix); i += 3 {
			pix[i], pix[i+1], pix[i+2] = 123.675, 116.28, 103.53
		}
	}
	resample(rgba, rgba.Rect, f.nw, f.nh, planes{data: pix, w: w, h: h, hwc: true}, [3]float32{1, 1, 1}, [3]float32{})
	shape := []int64{int64(h), int64(w), 3}
	if s.batchHWC {
		shape = append([]int64{1}, shape...)
	}
	if s.uint8In {
		u := make([]uint8, len(pix))
		for i, v := range pix {
			u[i] = uint8(min(max(v+0.5, 0), 255))
		}
		return ort.Tensor{Shape: shape, Data: u}, f
	}
	return ort.NewFloat32(shape, pix), f
}

// decodeInputs builds the decoder's inputs for one box.
func (f samFrame) decodeInputs(emb samEmbedding, box Box) []ort.Tensor {
	sx, sy := float64(f.nw)/float64(f.w), float64(f.nh)/float64(f.h)
	coords := []float32{float32(box.X1 * sx), float32(box.Y1 * sy), float32(box.X2 * sx), float32(box.Y2 * sy)}
	return []ort.Tensor{
		emb.t,
		ort.NewFloat32([]int64{1, 2, 2}, coords),
		ort.NewFloat32([]int64{1, 2}, []float32{2, 3}),
		ort.NewFloat32([]int64{1, 1, 256, 256}, make([]float32, 256*256)),
		ort.NewFloat32([]int64{1}, []float32{0}),
		ort.NewFloat32([]int64{2}, []float32{float32(f.h), float32(f.w)}),
	}
}

func (s *SAM) decode(ctx context.Context, emb samEmbedding, f samFrame, box Box) (Mask, error) {
	out, err := s.dec.Run(ctx, f.decodeInputs(emb, box)...)
	if err != nil {
		return Mask{}, err
	}
	return samMask(out[0], out[1], f)
}

// samMultimask is the number of masks a decoder export gives when its
// first is the single-mask output and the rest are the multimask outputs.
const samMultimask = 4

// samMask picks the mask with the best predicted IoU, leaving out output 0
// when there are four (see SAM), and thresholds it at logit 0, at the
// photo's size.
func samMask(masks, ious ort.Tensor, f samFrame) (Mask, error) {
	md, err := masks.Float32s()
	if err != nil {
		return Mask{}, err
	}
	iou, err := ious.Float32s()
	if err != nil {
		return Mask{}, err
	}
	ms := masks.Shape
	k, mh, mw := int(ms[1]), int(ms[2]), int(ms[3])
	if k == 0 || len(iou) < k || len(md) < k*mh*mw {
		return Mask{}, fmt.Errorf("%w: masks %v with iou_predictions %v", ort.ErrSignature, ms, ious.Shape)
	}
	first := 0
	if k == samMultimask {
		first = 1
	}
	best := first
	for i := first + 1; i < k; i++ {
		if iou[i] > iou[best] {
			best = i
		}
	}
	plane := md[best*mh*mw : (best+1)*mh*mw]
	if mh != f.h || mw != f.w {
		// A mask in the 1024 frame (at any resolution): the photo is its
		// top-left nw×nh part.
		rw := float64(f.nw) * float64(mw) / samSize
		rh := float64(f.nh) * float64(mh) / samSize
		plane = samplePlane(plane, mw, mh, 0, 0, rw, rh, f.w, f.h)
	}
	a := image.NewAlpha(image.Rect(0, 0, f.w, f.h))
	for i, v := range plane {
		if v > 0 {
			a.Pix[i] = 255
		}
	}
	return Mask{Alpha: a, Score: float64(iou[best])}, nil
}
