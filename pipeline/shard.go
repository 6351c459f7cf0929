package pipeline

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of N deterministic parts of a collection: photo id belongs to
// shard I when the first 64 bits of its ID, read as a number, are I modulo
// N. I counts from 0. The zero Shard is invalid; Shard{0, 1} is everything.
type Shard struct {
	I, N int
}

// ParseShard parses "i/n" with 0 ≤ i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("pipeline: shard %q: want i/n, e.g. 0/4", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("pipeline: shard %q: want i/n with whole numbers, e.g. 0/4", s)
	}
	sh := Shard{I: i, N: n}
	return sh, sh.validate()
}

func (s Shard) validate() error {
	if s.N < 1 || s.I < 0 || s.I >= s.N {
		return fmt.Errorf("pipeline: shard %d/%d: want 0 ≤ i < n", s.I, s.N)
	}
	return nil
}

// String returns "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Has reports whether the photo with this ID belongs to the shard.
func (s Shard) Has(id string) bool {
	if s.N <= 1 {
		return true
	}
	if len(id) > 16 {
		id = id[:16]
	}
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return s.I == 0
	}
	return int(v%uint64(s.N)) == s.I
}
