package pipeline

import (
	"testing"

	"github.com/phantom-vlm/phantom/detect"
)

func TestMatchResiduals(t *testing.T) {
	box := func(x1, y1, x2, y2 float64) detect.Box { return detect.Box{X1: x1, Y1: y1, X2: x2, Y2: y2} }
	face := func(b detect.Box) detect.Face { return detect.Face{Box: b} }
	tests := []struct {
		name     string
		original []detect.Box
		found    []detect.Face
		want     int
	}{
		{name: "nothing found", original: []detect.Box{box(0, 0, 10, 10)}, want: 0},
		{name: "same box", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(0, 0, 10, 10))}, want: 1},
		{name: "IoU 0.33 counts", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(5, 0, 15, 10))}, want: 1},
		{name: "IoU 0.14 does not", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(7.5, 0, 17.5, 10))}, want: 0},
		{name: "a face elsewhere is no residual", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(50, 50, 60, 60))}, want: 0},
		{name: "two detections of one face count once", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(0, 0, 10, 10)), face(box(1, 1, 10, 10))}, want: 1},
		{name: "two faces", original: []detect.Box{box(0, 0, 10, 10), box(20, 0, 30, 10)}, found: []detect.Face{face(box(21, 0, 31, 10)), face(box(0, 1, 10, 11))}, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MatchResiduals(tc.original, tc.found, DefaultResidualIoU)
			if len(got) != tc.want {
				t.Fatalf("%d residuals %+v, want %d", len(got), got, tc.want)
			}
			for _, r := range got {
				if r.IoU < DefaultResidualIoU || r.Original.IoU(r.Found) != r.IoU {
					t.Errorf("residual %+v", r)
				}
			}
		})
	}
}
