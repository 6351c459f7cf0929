package disjoint

import (
	"fmt"
	"testing"
)

func TestSets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		unions [][2]int
		same   [][2]int
		apart  [][2]int
	}{
		{"singletons", 3, nil, nil, [][2]int{{0, 1}, {1, 2}, {0, 2}}},
		{"one pair", 4, [][2]int{{2, 3}}, [][2]int{{2, 3}, {3, 2}}, [][2]int{{0, 2}, {1, 3}}},
		{"transitive chain", 5, [][2]int{{0, 1}, {1, 2}, {3, 2}}, [][2]int{{0, 3}, {3, 1}}, [][2]int{{4, 0}}},
		{"two groups", 6, [][2]int{{0, 2}, {4, 2}, {1, 3}, {5, 3}}, [][2]int{{0, 4}, {1, 5}}, [][2]int{{0, 1}, {4, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.n)
			for _, u := range tc.unions {
				s.Union(u[0], u[1])
			}
			for _, p := range tc.same {
				if s.Find(p[0]) != s.Find(p[1]) {
					t.Errorf("%d and %d in different sets", p[0], p[1])
				}
			}
			for _, p := range tc.apart {
				if s.Find(p[0]) == s.Find(p[1]) {
					t.Errorf("%d and %d in the same set", p[0], p[1])
				}
			}
		})
	}
}

func TestUnionKeepsFirstRepresentative(t *testing.T) {
	s := New(4)
	if !s.Union(1, 3) || s.Find(3) != 1 {
		t.Errorf("after Union(1, 3): Find(3) = %d, want 1", s.Find(3))
	}
	if s.Union(3, 1) {
		t.Error("Union of one set reported a merge")
	}
}

func Example() {
	s := New(5)
	s.Union(0, 1)
	s.Union(3, 4)
	s.Union(1, 4)
	fmt.Println(s.Find(4) == s.Find(0), s.Find(2) == s.Find(0))
	// Output: true false
}
