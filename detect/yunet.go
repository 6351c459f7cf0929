package detect

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"

	"github.com/phantom-vlm/phantom/internal/ort"
)

var yunetStrides = []int{8, 16, 32}

// YuNet is OpenCV Zoo's YuNet face detector (MIT licence) on ONNX Runtime,
// with five landmarks per face. Its outputs are cls, obj, bbox and kps at
// strides 8, 16 and 32 (cls_8 … kps_32). The photo goes in as BGR 0..255,
// scaled to fit the model's input and placed at its top-left corner (zero
// padding), as OpenCV's FaceDetectorYN does.
//
// A YuNet is safe for concurrent use. Close releases it.
type YuNet struct {
	sess *ort.Session
	w, h int
	conf float64
	iou  float64
	pool *inputPool
	file string
}

// NewYuNet loads a YuNet model. Defaults: score threshold 0.6, NMS IoU 0.3
// (WithConfidence, WithIoU), device auto. An export with a dynamic input size
// runs at 640×640. A file without YuNet's outputs gives an error wrapping
// ErrModelSignature.
func NewYuNet(path string, opts ...Option) (*YuNet, error) {
	y, err := openYuNet(path, opts)
	if err != nil {
		return nil, openError("yunet", err)
	}
	return y, nil
}

func openYuNet(path string, opts []Option) (*YuNet, error) {
	o := newOptions(opts)
	if err := ort.InitDevice(o.library, ort.Device(o.device)); err != nil {
		return nil, err
	}
	got, err := ort.Inspect(path)
	if err != nil {
		return nil, err
	}
	want := ort.Signature{Inputs: []ort.TensorSpec{{Type: ort.Float32, Shape: []int64{1, 3, -1, -1}}}}
	for _, s := range yunetStrides {
		for _, k := range []struct {
			name string
			n    int64
		}{{"cls", 1}, {"obj", 1}, {"bbox", 4}, {"kps", 10}} {
			want.Outputs = append(want.Outputs, ort.TensorSpec{Name: fmt.Sprintf("%s_%d", k.name, s), Type: ort.Float32, Shape: []int64{1, -1, k.n}})
		}
	}
	res, err := want.Resolve(got)
	if err != nil {
		return nil, fmt.Errorf("%s: not a YuNet model: %w", path, err)
	}
	y := &YuNet{file: filepath.Base(path), conf: orDefault(o.confidence, 0.6), iou: orDefault(o.iou, 0.3)}
	y.h, y.w = int(res.Inputs[0].Shape[2]), int(res.Inputs[0].Shape[3])
	if y.h <= 0 || y.w <= 0 {
		y.h, y.w = 640, 640
	}
	if y.h%32 != 0 || y.w%32 != 0 {
		return nil, fmt.Errorf("%s: %w: YuNet input %dx%d is not a multiple of 32", path, ErrModelSignature, y.w, y.h)
	}
	want.Inputs[0].Name = res.Inputs[0].Name
	if y.sess, err = ort.Open(path, want, o.ortOptions()...); err != nil {
		return nil, err
	}
	y.pool = newInputPool(3 * y.w * y.h)
	return y, nil
}

// Name returns "yunet:" and the model's file name.
func (y *YuNet) Name() string { return "yunet:" + y.file }

// Provider returns the execution provider the session asked for.
func (y *YuNet) Provider() string { return y.sess.Provider() }

// DetectFaces returns the faces in img, highest score first.
func (y *YuNet) DetectFaces(ctx context.Context, img image.Image) ([]Face, error) {
	if img.Bounds().Empty() {
		return nil, nil
	}
	buf, l := y.preprocess(img)
	defer y.pool.put(buf)
	outs, err := y.sess.Run(ctx, ort.NewFloat32([]int64{1, 3, int64(y.h), int64(y.w)}, buf.data))
	if err != nil {
		return nil, err
	}
	return y.decode(outs, l, img.Bounds())
}

func (y *YuNet) preprocess(img image.Image) (*inputBuf, letterbox) {
	src := rgbaOf(img)
	l := newLetterbox(src.Rect.Dx(), src.Rect.Dy(), y.w, y.h, false)
	l.ox, l.oy = img.Bounds().Min.X, img.Bounds().Min.Y
	buf := y.pool.get()
	buf.fill(src, l, pixelNorm{bgr: true, mul: [3]float32{1, 1, 1}})
	return buf, l
}

func (y *YuNet) decode(outs []ort.Tensor, l letterbox, bounds image.Rectangle) ([]Face, error) {
	// Candidates are cells over the threshold; their landmarks are read only
	// for the faces that NMS keeps.
	type cand struct{ si, i int }
	var cands []cand
	var boxes []Box
	kps := make([][]float32, len(yunetStrides))
	// score = sqrt(cls*obj) >= conf  <=>  cls*obj >= conf².
	c2 := float32(y.conf * y.conf)
	for si, s := range yunetStrides {
		cls, err1 := outs[4*si].Float32s()
		obj, err2 := outs[4*si+1].Float32s()
		bbox, err3 := outs[4*si+2].Float32s()
		kp, err4 := outs[4*si+3].Float32s()
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return nil, fmt.Errorf("decoding %s: %w", y.file, err)
			}
		}
		cols := y.w / s
		n := cols * (y.h / s)
		if len(cls) != n || len(obj) != n || len(bbox) != 4*n || len(kp) != 10*n {
			return nil, fmt.Errorf("decoding %s: stride %d outputs have %d/%d/%d/%d values, expected %d cells", y.file, s, len(cls), len(obj), len(bbox), len(kp), n)
		}
		kps[si] = kp
		fs := float64(s)
		for i := range n {
			c := min(max(cls[i], 0), 1)
			o := min(max(obj[i], 0), 1)
			if c*o < c2 {
				continue
			}
			col, row := float64(i%cols), float64(i/cols)
			b := bbox[4*i : 4*i+4]
			cx, cy := (col+float64(b[0]))*fs, (row+float64(b[1]))*fs
			w, h := math.Exp(float64(b[2]))*fs, math.Exp(float64(b[3]))*fs
			boxes = append(boxes, Box{X1: cx - w/2, Y1: cy - h/2, X2: cx + w/2, Y2: cy + h/2, Score: math.Sqrt(float64(c * o))})
			cands = append(cands, cand{si, i})
		}
	}
	keep := nmsGrid(boxes, y.iou)
	out := make([]Face, 0, len(keep))
	marks := make([]Point, 5*len(keep))
	for _, k := range keep {
		f := Face{Box: boxes[k]}
		f.X1, f.Y1 = l.toPhoto(f.X1, f.Y1)
		f.X2, f.Y2 = l.toPhoto(f.X2, f.Y2)
		f.Box = f.Box.Clip(bounds)
		if f.Width() <= 0 || f.Height() <= 0 {
			continue
		}
		si, i := cands[k].si, cands[k].i
		s := yunetStrides[si]
		cols := y.w / s
		col, row, fs := float64(i%cols), float64(i/cols), float64(s)
		kp := kps[si][10*i : 10*i+10]
		f.Landmarks, marks = marks[:5:5], marks[5:]
		for j := range 5 {
			f.Landmarks[j].X, f.Landmarks[j].Y = l.toPhoto((col+float64(kp[2*j]))*fs, (row+float64(kp[2*j+1]))*fs)
		}
		out = append(out, f)
	}
	return out, nil
}

// Close releases the model.
func (y *YuNet) Close() error {
	if y == nil || y.sess == nil {
		return nil
	}
	return y.sess.Close()
}
