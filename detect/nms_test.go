package detect

import (
	"fmt"
	"slices"
	"testing"
)

func TestNMS(t *testing.T) {
	b := func(x1, y1, x2, y2, s float64) Box { return Box{X1: x1, Y1: y1, X2: x2, Y2: y2, Score: s} }
	tests := []struct {
		name  string
		boxes []Box
		iou   float64
		want  []int
	}{
		{"empty", nil, 0.45, []int{}},
		{"one", []Box{b(0, 0, 10, 10, 0.5)}, 0.45, []int{0}},
		{"overlap removed, order by score", []Box{b(0, 0, 10, 10, 0.6), b(1, 1, 11, 11, 0.9), b(50, 50, 60, 60, 0.7)}, 0.45, []int{1, 2}},
		// IoU of these two is 50/150 = 0.333: kept at 0.45, removed at 0.3.
		{"below threshold kept", []Box{b(0, 0, 10, 10, 0.9), b(5, 0, 15, 10, 0.8)}, 0.45, []int{0, 1}},
		{"above threshold removed", []Box{b(0, 0, 10, 10, 0.9), b(5, 0, 15, 10, 0.8)}, 0.3, []int{0}},
		// A removed box does not remove others: c overlaps b (removed by a) but not a.
		{"chain", []Box{b(0, 0, 10, 10, 0.9), b(3, 0, 13, 10, 0.8), b(9, 0, 19, 10, 0.7)}, 0.45, []int{0, 2}},
		{"ties keep input order", []Box{b(0, 0, 10, 10, 0.5), b(0, 0, 10, 10, 0.5)}, 0.45, []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NMS(tc.boxes, tc.iou)
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("NMS = %v, want %v", got, tc.want)
			}
		})
	}
}

func ExampleNMS() {
	boxes := []Box{
		{X1: 10, Y1: 10, X2: 50, Y2: 50, Score: 0.8},
		{X1: 12, Y1: 12, X2: 52, Y2: 52, Score: 0.9}, // the same face, found twice
		{X1: 100, Y1: 10, X2: 140, Y2: 50, Score: 0.7},
	}
	for _, i := range NMS(boxes, 0.45) {
		fmt.Printf("box %d score %.1f\n", i, boxes[i].Score)
	}
	// Output:
	// box 1 score 0.9
	// box 2 score 0.7
}
