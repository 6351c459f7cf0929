// Package disjoint is a disjoint-set forest (union–find) over the integers
// 0..n-1, for grouping things that are linked transitively: detector hits
// that overlap, letters chained into a line of text.
package disjoint

// Sets partitions 0..n-1 into disjoint sets. Element i's parent is Sets[i];
// a representative is its own parent.
type Sets []int

// New returns n singleton sets.
func New(n int) Sets {
	s := make(Sets, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Find returns the representative of i's set, halving the path on the way.
func (s Sets) Find(i int) int {
	for s[i] != i {
		s[i] = s[s[i]]
		i = s[i]
	}
	return i
}

// Union merges the sets of a and b; the representative of a's set becomes
// the representative of the merged set. It reports whether the two were
// separate sets.
func (s Sets) Union(a, b int) bool {
	ra, rb := s.Find(a), s.Find(b)
	if ra == rb {
		return false
	}
	s[rb] = ra
	return true
}
