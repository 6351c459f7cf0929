package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// TestNMSGrid checks that nmsGrid keeps exactly the boxes NMS keeps, in the
// same order, on crowds of random boxes and on awkward ones.
func TestNMSGrid(t *testing.T) {
	crowd := func(n int, seed uint64, size float64) []Box {
		r := rand.New(rand.NewPCG(seed, 3))
		bs := make([]Box, n)
		for i := range bs {
			x, y := r.Float64()*640, r.Float64()*640
			w, h := size*(0.3+r.Float64()), size*(0.3+r.Float64())
			// Scores from a short list, so that there are ties.
			bs[i] = Box{X1: x, Y1: y, X2: x + w, Y2: y + h, Score: float64(r.IntN(20)) / 20}
		}
		return bs
	}
	withOdd := func(bs []Box) []Box {
		bs = append([]Box(nil), bs...)
		bs[3] = Box{X1: 50, Y1: 50, X2: 40, Y2: 60, Score: 0.9}   // inverted
		bs[4] = Box{X1: 10, Y1: 10, X2: 10, Y2: 30, Score: 0.95}  // zero width
		bs[5] = Box{X1: 0, Y1: 0, X2: 640, Y2: 640, Score: 0.5}   // everything
		bs[6] = Box{X1: 100, Y1: 100, X2: 140, Y2: 140, Score: 1} // duplicates
		bs[7] = bs[6]
		return bs
	}
	nan := withOdd(crowd(100, 9, 30))
	nan[10].X2 = math.NaN()
	inf := withOdd(crowd(100, 10, 30))
	inf[11].Y1 = math.Inf(-1)
	tests := []struct {
		name  string
		boxes []Box
	}{
		{"few", crowd(10, 1, 40)},
		{"crowd of small faces", crowd(400, 2, 20)},
		{"crowd of large faces", crowd(300, 3, 150)},
		{"dense", crowd(1000, 4, 60)},
		{"odd boxes", withOdd(crowd(200, 5, 25))},
		{"NaN coordinate", nan},
		{"infinite coordinate", inf},
		{"all in one place", func() []Box {
			bs := make([]Box, 100)
			for i := range bs {
				bs[i] = Box{X1: 5, Y1: 5, X2: 9, Y2: 9, Score: float64(i % 7)}
			}
			return bs
		}()},
	}
	for _, tc := range tests {
		for _, iou := range []float64{-0.1, 0, 0.3, 0.45, 0.7, 1} {
			want := NMS(tc.boxes, iou)
			got := nmsGrid(tc.boxes, iou)
			if !slices.Equal(got, want) {
				t.Errorf("%s, iou %v: kept %d boxes %v…, NMS keeps %d %v…", tc.name, iou, len(got), got[:min(8, len(got))], len(want), want[:min(8, len(want))])
			}
		}
	}
}
