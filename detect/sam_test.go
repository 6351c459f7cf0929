package detect

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/phantom-vlm/phantom/internal/ort"
)

// maskRect returns the bounding rectangle of a mask's non-zero pixels and
// their count.
func maskRect(a *image.Alpha) (image.Rectangle, int) {
	var r image.Rectangle
	n := 0
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			if a.AlphaAt(x, y).A != 0 {
				n++
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r, n
}

// TestSAMTiny runs the generated encoder and decoder of tools/onnxgen/sam.py:
// the decoder's masks follow the box prompt (by label 2 and 3, in the 1024
// frame) and its best IoU falls on the exact box only when the encoder saw a
// correctly normalised photo.
func TestSAMTiny(t *testing.T) {
	onnxOrSkip(t)
	grey := uniform(400, 300, imagenetGrey)
	white := uniform(400, 300, color.RGBA{255, 255, 255, 255})
	boxes := []Box{{X1: 100, Y1: 50, X2: 300, Y2: 250}, {X1: 20, Y1: 10, X2: 120, Y2: 290}}
	// Mask 2 of the tiny decoder is the box shrunk by 80 pixels of the 1024
	// frame, 31.25 photo pixels (scale 2.56).
	shrunk := func(r image.Rectangle) image.Rectangle { return r.Inset(31) }
	tests := []struct {
		name    string
		encoder string
		img     image.Image
		want    []image.Rectangle
		score   float64
		tol     int // pixels the mask edges may be off
	}{
		{"nchw", "sam_tiny_encoder.onnx", grey,
			[]image.Rectangle{image.Rect(100, 50, 300, 250), image.Rect(20, 10, 120, 290)}, 0.9, 0},
		{"hwc", "sam_tiny_encoder_hwc.onnx", grey,
			[]image.Rectangle{image.Rect(100, 50, 300, 250), image.Rect(20, 10, 120, 290)}, 0.9, 0},
		// A fixed-size raw encoder: padding with black instead of the mean
		// colour would shift the embedding and pick another mask.
		{"hwc fixed 1024", "sam_tiny_encoder_hwc1024.onnx", grey,
			[]image.Rectangle{image.Rect(100, 50, 300, 250), image.Rect(20, 10, 120, 290)}, 0.9, 0},
		{"unnormalised picks another mask", "sam_tiny_encoder.onnx", white,
			[]image.Rectangle{shrunk(image.Rect(100, 50, 300, 250)), shrunk(image.Rect(20, 10, 120, 290))}, 0.7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSAM("testdata/"+tt.encoder, "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			masks, err := s.Segment(context.Background(), tt.img, boxes)
			if err != nil {
				t.Fatal(err)
			}
			if n := s.encodes.Load(); n != 1 {
				t.Errorf("%d encoder runs for %d boxes; want 1", n, len(boxes))
			}
			if len(masks) != len(boxes) {
				t.Fatalf("got %d masks for %d boxes", len(masks), len(boxes))
			}
			for i, m := range masks {
				if m.Rect != tt.img.Bounds() {
					t.Errorf("mask %d bounds %v; want %v", i, m.Rect, tt.img.Bounds())
				}
				r, n := maskRect(m.Alpha)
				want := tt.want[i]
				// A shrunk box's edge falls mid-pixel: tol allows for it.
				if iabs(r.Min.X-want.Min.X) > tt.tol || iabs(r.Max.X-want.Max.X) > tt.tol ||
					iabs(r.Min.Y-want.Min.Y) > tt.tol || iabs(r.Max.Y-want.Max.Y) > tt.tol {
					t.Errorf("mask %d covers %v; want %v", i, r, want)
				}
				if n != r.Dx()*r.Dy() {
					t.Errorf("mask %d: %d pixels set in %v: not a full rectangle", i, n, r)
				}
				if m.Score < tt.score-0.02 || m.Score > tt.score+0.02 {
					t.Errorf("mask %d score %.3f; want %.2f", i, m.Score, tt.score)
				}
			}
		})
	}
}

func iabs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestSAMMaskSelection checks which decoder output samMask keeps: the best
// predicted IoU, with output 0 (the single-mask output) left out when the
// export gives four masks, as SamPredictor's multimask output leaves it out.
// Output k of the hand-made masks covers the first k+1 pixels of a 4×1
// photo.
func TestSAMMaskSelection(t *testing.T) {
	f := samFrame{w: 4, h: 1, nw: 1024, nh: 256}
	tests := []struct {
		name  string
		ious  []float32
		want  int // the output kept
		score float64
	}{
		{"four: output 0 left out though best", []float32{0.99, 0.6, 0.8, 0.7}, 2, 0.8},
		{"four: output 1", []float32{0.1, 0.9, 0.8, 0.7}, 1, 0.9},
		{"four: output 3", []float32{0.5, 0.2, 0.3, 0.4}, 3, 0.4},
		{"three (multimask only): all compete", []float32{0.9, 0.6, 0.8}, 0, 0.9},
		{"one (single-mask export)", []float32{0.3}, 0, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := len(tt.ious)
			md := make([]float32, k*4)
			for i := range k {
				for x := range 4 {
					md[i*4+x] = -1
					if x <= i {
						md[i*4+x] = 1
					}
				}
			}
			m, err := samMask(ort.NewFloat32([]int64{1, int64(k), 1, 4}, md), ort.NewFloat32([]int64{1, int64(k)}, tt.ious), f)
			if err != nil {
				t.Fatal(err)
			}
			if _, n := maskRect(m.Alpha); n != tt.want+1 || math.Abs(m.Score-tt.score) > 1e-6 {
				t.Errorf("kept a mask of %d pixels, score %v; want output %d (%d pixels, score %v)", n, m.Score, tt.want, tt.want+1, tt.score)
			}
		})
	}
}

// TestSAMTinyOutputZeroBest checks the generated decoder's premise that
// TestSAMTiny relies on: output 0 has the highest predicted IoU of its four,
// so a selection that did not leave it out would keep the shrunk mask 0.
func TestSAMTinyOutputZeroBest(t *testing.T) {
	onnxOrSkip(t)
	s, err := NewSAM("testdata/sam_tiny_encoder.onnx", "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	img := uniform(400, 300, imagenetGrey)
	emb, f, err := s.embed(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.dec.Run(ctx, f.decodeInputs(emb, Box{X1: 100, Y1: 50, X2: 300, Y2: 250})...)
	if err != nil {
		t.Fatal(err)
	}
	iou, err := out[1].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	if len(iou) != 4 || iou[0] <= max(iou[1], iou[2], iou[3]) {
		t.Fatalf("iou_predictions %v: want four with output 0 the highest", iou)
	}
	m, err := samMask(out[0], out[1], f)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := maskRect(m.Alpha); r != image.Rect(100, 50, 300, 250) || math.Abs(m.Score-float64(iou[1])) > 1e-6 {
		t.Errorf("kept %v score %.3f; want output 1, the box (100,50)-(300,250), score %.3f", r, m.Score, iou[1])
	}
}

// TestSAMMaskLowRes checks the scaling of a mask given in the 1024 frame at
// low resolution back to the photo.
func TestSAMMaskLowRes(t *testing.T) {
	f := newSAMFrame(400, 200) // 1024×512 in the frame
	// A 256×256 low-res mask whose left half of the photo area is on.
	low := make([]float32, 256*256)
	for y := range 128 {
		for x := range 128 {
			low[y*256+x] = 5
		}
		for x := 128; x < 256; x++ {
			low[y*256+x] = -5
		}
	}
	for y := 128; y < 256; y++ { // padding area: on, must be ignored
		for x := range 256 {
			low[y*256+x] = 5
		}
	}
	m, err := samMask(ort.NewFloat32([]int64{1, 1, 256, 256}, low), ort.NewFloat32([]int64{1, 1}, []float32{0.8}), f)
	if err != nil {
		t.Fatal(err)
	}
	r, n := maskRect(m.Alpha)
	if r != image.Rect(0, 0, 200, 200) || n != 200*200 {
		t.Errorf("low-res mask maps to %v (%d pixels); want (0,0)-(200,200)", r, n)
	}
}

// TestSAMSubImage checks that a photo whose bounds do not start at (0,0)
// gets masks in its own coordinates.
func TestSAMSubImage(t *testing.T) {
	onnxOrSkip(t)
	s, err := NewSAM("testdata/sam_tiny_encoder.onnx", "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := uniform(500, 400, imagenetGrey)
	sub := big.SubImage(image.Rect(100, 100, 500, 400)) // 400×300 at (100,100)
	masks, err := s.Segment(context.Background(), sub, []Box{{X1: 200, Y1: 150, X2: 400, Y2: 350}})
	if err != nil {
		t.Fatal(err)
	}
	if r, n := maskRect(masks[0].Alpha); masks[0].Rect != sub.Bounds() || r != image.Rect(200, 150, 400, 350) || n != 200*200 {
		t.Errorf("mask bounds %v, set %v (%d pixels); want bounds %v, set (200,150)-(400,350)", masks[0].Rect, r, n, sub.Bounds())
	}
}

func TestSAMNoBoxes(t *testing.T) {
	onnxOrSkip(t)
	s, err := NewSAM("testdata/sam_tiny_encoder.onnx", "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	masks, err := s.Segment(context.Background(), uniform(10, 10, imagenetGrey), nil)
	if err != nil || len(masks) != 0 {
		t.Errorf("no boxes: %d masks, err %v", len(masks), err)
	}
	if n := s.encodes.Load(); n != 0 {
		t.Errorf("no boxes: %d encoder runs; want 0", n)
	}
}

func TestGDINOAndSAMCancelled(t *testing.T) {
	onnxOrSkip(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	img := uniform(40, 30, imagenetGrey)
	gd, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/gdino_vocab.txt", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer gd.Close()
	if _, err := gd.DetectPeople(ctx, img); !errors.Is(err, context.Canceled) {
		t.Errorf("Grounding DINO: err = %v; want context.Canceled", err)
	}
	s, err := NewSAM("testdata/sam_tiny_encoder.onnx", "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Segment(ctx, img, []Box{{X1: 1, Y1: 1, X2: 9, Y2: 9}}); !errors.Is(err, context.Canceled) {
		t.Errorf("SAM: err = %v; want context.Canceled", err)
	}
}

func TestSAMWrongModels(t *testing.T) {
	onnxOrSkip(t)
	tests := []struct{ enc, dec string }{
		{"gdino_tiny.onnx", "sam_tiny_decoder.onnx"},
		{"sam_tiny_encoder.onnx", "sam_tiny_encoder.onnx"},
		{"sam_tiny_decoder.onnx", "sam_tiny_decoder.onnx"},
	}
	for _, tt := range tests {
		_, err := NewSAM("testdata/"+tt.enc, "testdata/"+tt.dec, WithDevice(DeviceCPU))
		if !errors.Is(err, ort.ErrSignature) {
			t.Errorf("NewSAM(%s, %s): err = %v; want ErrSignature", tt.enc, tt.dec, err)
		}
	}
}

func BenchmarkSAMTiny(b *testing.B) {
	onnxOrSkip(b)
	s, err := NewSAM("testdata/sam_tiny_encoder.onnx", "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	img := uniform(1280, 960, imagenetGrey)
	box := Box{X1: 100, Y1: 100, X2: 600, Y2: 900}
	ctx := context.Background()
	in, f := s.preprocess(img)
	emb, _, err := s.embed(ctx, img)
	if err != nil {
		b.Fatal(err)
	}
	out, err := s.dec.Run(ctx, f.decodeInputs(emb, box)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("preprocess", func(b *testing.B) {
		loopCPU(b, func() {
			s.preprocess(img)
		})
	})
	b.Run("run-encoder", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := s.enc.Run(ctx, in); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("run-decoder", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := s.dec.Run(ctx, f.decodeInputs(emb, box)...); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("postprocess", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := samMask(out[0], out[1], f); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// TestGDINOThenSAM runs the two generated models as the study does:
// Grounding DINO's people prompt SAM, through an Analyzer, from several
// goroutines at once (both are documented as safe for concurrent use).
func TestGDINOThenSAM(t *testing.T) {
	onnxOrSkip(t)
	gd, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/gdino_vocab.txt", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer gd.Close()
	sam, err := NewSAM("testdata/sam_tiny_encoder.onnx", "testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer sam.Close()
	a := Compose(nil, gd, sam)
	img := uniform(400, 300, imagenetGrey)
	const workers = 4
	errs := make(chan error, workers)
	for range workers {
		go func() {
			s, err := a.Analyze(context.Background(), img)
			if err == nil && (len(s.People) != 4 || len(s.Masks) != 4) {
				err = fmt.Errorf("%d people, %d masks; want 4 and 4", len(s.People), len(s.Masks))
			}
			for i := 0; err == nil && i < len(s.Masks); i++ {
				r, n := maskRect(s.Masks[i].Alpha)
				// The tiny SAM's best mask is the prompt box, to the pixel
				// (the box's corners are float32 sums, a hair off whole).
				p := s.People[i]
				want := image.Rect(int(math.Round(p.X1)), int(math.Round(p.Y1)), int(math.Round(p.X2)), int(math.Round(p.Y2)))
				if r != want || n != want.Dx()*want.Dy() {
					err = fmt.Errorf("mask %d covers %v; want the person box %v", i, r, want)
				}
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := sam.encodes.Load(); n != workers {
		t.Errorf("%d encoder runs for %d photos; want one per photo", n, workers)
	}
}
