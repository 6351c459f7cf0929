package detect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/ort"
)

// TestInferYOLOLayout reads the layout of each YOLOv8 export shape from its
// outputs alone, without a model file.
func TestInferYOLOLayout(t *testing.T) {
	f32 := func(name string, shape ...int64) ort.TensorSpec {
		return ort.TensorSpec{Name: name, Type: ort.Float32, Shape: shape}
	}
	face, coco := yoloKind{face: true}, yoloKind{nc: 80}
	head := func(c int64) []ort.TensorSpec {
		return []ort.TensorSpec{f32("p8", 1, c, 80, 80), f32("p16", 1, c, 40, 40), f32("p32", 1, c, 20, 20)}
	}
	tests := []struct {
		name    string
		outs    []ort.TensorSpec
		kind    yoloKind
		want    yoloShape
		wantErr string
	}{
		{"face standard with landmarks", []ort.TensorSpec{f32("output0", 1, 20, 8400)}, face,
			yoloShape{layout: layoutStandard, nc: 1, nk: 5, outputs: []string{"output0"}}, ""},
		{"face standard, boxes only", []ort.TensorSpec{f32("output0", 1, 5, 8400)}, face,
			yoloShape{layout: layoutStandard, nc: 1, outputs: []string{"output0"}}, ""},
		{"face end-to-end", []ort.TensorSpec{f32("output0", 1, 300, 21)}, face,
			yoloShape{layout: layoutEndToEnd, nc: 1, nk: 5, outputs: []string{"output0"}}, ""},
		{"face raw head", head(80), face,
			yoloShape{layout: layoutRawHead, nc: 1, nk: 5, strides: []int{8, 16, 32}, outputs: []string{"p8", "p16", "p32"}}, ""},
		{"coco standard", []ort.TensorSpec{f32("output0", 1, 84, 8400)}, coco,
			yoloShape{layout: layoutStandard, nc: 80, outputs: []string{"output0"}}, ""},
		{"coco end-to-end", []ort.TensorSpec{f32("output0", 1, 300, 6)}, coco,
			yoloShape{layout: layoutEndToEnd, nc: 80, outputs: []string{"output0"}}, ""},
		{"coco raw head", head(144), coco,
			yoloShape{layout: layoutRawHead, nc: 80, strides: []int{8, 16, 32}, outputs: []string{"p8", "p16", "p32"}}, ""},
		{"no outputs", nil, face, yoloShape{}, "no outputs"},
		{"not float32", []ort.TensorSpec{{Name: "output0", Type: ort.Int64, Shape: []int64{1, 20, 8400}}}, face, yoloShape{}, "is int64"},
		{"a COCO model as a face model", []ort.TensorSpec{f32("output0", 1, 84, 8400)}, face, yoloShape{}, "fits no face layout"},
		{"a face model as COCO", []ort.TensorSpec{f32("output0", 1, 20, 8400)}, coco, yoloShape{}, "fits no detector layout"},
		{"two outputs", []ort.TensorSpec{f32("a", 1, 20, 8400), f32("b", 1, 20, 8400)}, face, yoloShape{}, "2 outputs"},
		{"raw head with the wrong channels", head(70), face, yoloShape{}, "has 70 channels"},
		{"raw head grid not dividing the input", []ort.TensorSpec{f32("p8", 1, 80, 80, 80), f32("p16", 1, 80, 41, 40), f32("p32", 1, 80, 20, 20)}, face,
			yoloShape{}, "does not divide the input 640x640"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inferYOLOLayout(tc.outs, tc.kind, 640, 640)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("layout %+v, want %+v", got, tc.want)
			}
		})
	}
}
