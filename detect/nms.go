package detect

import (
	"cmp"
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
