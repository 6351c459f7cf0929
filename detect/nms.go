package detect

import (
	"cmp"
	"math"
	"slices"
)

// NMS runs greedy non-maximum suppression: it visits the boxes from the
// highest score down and keeps a box unless its IoU with an already kept box
// exceeds iou. It returns the indices of the kept boxes, highest score first;
// boxes itself is not modified. Ties in score keep the input order.
func NMS(boxes []Box, iou float64) []int {
	order := make([]int, len(boxes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(boxes[b].Score, boxes[a].Score) })
	keep := order[:0:0]
	for _, i := range order {
		b := boxes[i]
		ok := true
		for _, k := range keep {
			if b.IoU(boxes[k]) > iou {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	return keep
}

// nmsGrid returns exactly what NMS(boxes, iou) returns, faster for many
// boxes: the score order comes from an unstable sort with the index as the
// tie-break, and each box is compared only with the kept boxes that share a
// cell of a coarse grid with it. Boxes that share no cell do not intersect,
// so their IoU is 0 and, for iou >= 0, cannot suppress. Small sets, a
// negative iou and non-finite coordinates go to NMS itself.
func nmsGrid(boxes []Box, iou float64) []int {
	const g = 32 // grid cells per side
	if len(boxes) < 64 || !(iou >= 0) {
		return NMS(boxes, iou)
	}
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, b := range boxes {
		x0, y0 = min(x0, b.X1), min(y0, b.Y1)
		x1, y1 = max(x1, b.X2), max(y1, b.Y2)
	}
	if math.IsInf(x0, 0) || math.IsInf(y0, 0) || math.IsInf(x1, 0) || math.IsInf(y1, 0) ||
		math.IsNaN(x0+y0+x1+y1) || !(x1 > x0) || !(y1 > y0) {
		return NMS(boxes, iou)
	}
	for _, b := range boxes {
		if math.IsNaN(b.X1+b.Y1+b.X2+b.Y2) || math.IsInf(b.X1+b.Y1+b.X2+b.Y2, 0) {
			return NMS(boxes, iou)
		}
	}
	// cell maps a coordinate to its column or row, clamped to the grid.
	fx, fy := g/(x1-x0), g/(y1-y0)
	cell := func(v, lo, f float64) int { return min(g-1, max(0, int((v-lo)*f))) }
	type scored struct {
		score float64
		i     int
	}
	byScore := make([]scored, len(boxes))
	for i, b := range boxes {
		byScore[i] = scored{b.Score, i}
	}
	slices.SortFunc(byScore, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	order := make([]int, len(boxes))
	for k, s := range byScore {
		order[k] = s.i
	}
	// Each cell holds a linked list of the kept boxes that cover it: head
	// is its first entry (+1, 0 for none), and entry e is box[e] with the
	// next entry next[e] (+1).
	var head [g * g]int32
	box := make([]int32, 0, 4*len(boxes))
	next := make([]int32, 0, 4*len(boxes))
	seen := make([]int32, len(boxes)) // the last box (order position + 1) that checked each kept box
	keep := order[:0:0]
	for pos, i := range order {
		b := boxes[i]
		c0, c1 := cell(b.X1, x0, fx), cell(b.X2, x0, fx)
		r0, r1 := cell(b.Y1, y0, fy), cell(b.Y2, y0, fy)
		stamp := int32(pos + 1)
		ok := true
	scan:
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				for e := head[r*g+c]; e != 0; e = next[e-1] {
					k := box[e-1]
					if seen[k] == stamp {
						continue
					}
					seen[k] = stamp
					if iouInline(b, boxes[k]) > iou {
						ok = false
						break scan
					}
				}
			}
		}
		if !ok {
			continue
		}
		keep = append(keep, i)
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				box = append(box, int32(i))
				next = append(next, head[r*g+c])
				head[r*g+c] = int32(len(box))
			}
		}
	}
	return keep
}
