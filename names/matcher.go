package names

import (
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/phantom-vlm/phantom/internal/textnorm"
)

// Rule says when a caption contains a name.
type Rule int

const (
	// Words is the default rule: the folded name appears in the folded
	// caption with no letter or digit right before or after it
	// ([textnorm.ContainsWord]), so "Messi's" and "(Lionel Messi)" count
	// for "Messi" and "Lionel Messi", "Will Smithsonian" does not count for
	// "Will Smith", nor "xbono" for "Bono".
	Words Rule = iota
	// Substring drops the word-boundary rule: the folded name anywhere in
	// the folded caption.
	Substring
)

// String names the rule as the output files do: "words" or "substring".
func (r Rule) String() string {
	if r == Substring {
		return "substring"
	}
	return "words"
}

// ParseRule parses "words" or "substring".
func ParseRule(s string) (Rule, error) {
	switch s {
	case "words", "":
		return Words, nil
	case "substring":
		return Substring, nil
	}
	return 0, fmt.Errorf("names: unknown rule %q (want words or substring)", s)
}

// Describe says in a sentence what the rule counts, for the summary.
func (r Rule) Describe() string {
	const fold = "caption and name folded by textnorm.Normalize (Unicode NFKD, accents removed, case folded, runs of white space as one space)"
	if r == Substring {
		return "a caption counts for a name when the folded name appears in it anywhere; " + fold
	}
	return "a caption counts for a name when the folded name appears in it as whole words (no letter or digit right before or after); " + fold
}

// flag marks a transition into a state that needs a look: one where a
// pattern ends, or the non-ASCII state.
const flag = 1 << 31

// Matcher finds every folded name of a set in a caption in one pass: an
// Aho–Corasick automaton compiled to a dense table over byte classes, run
// on the caption's raw bytes when they are ASCII (the byte classes fold
// case and white space, and white-space states loop on white space, which
// is what textnorm.Normalize does to ASCII) and on textnorm.Normalize's
// output otherwise. A Matcher is safe for concurrent use; each goroutine
// scans with its own [Scanner].
type Matcher struct {
	rule     Rule
	patterns []string // folded, distinct
	nclass   uint32
	rawClass [256]uint8 // raw caption byte → class; bytes ≥ 0x80 → nonASCII
	// foldClass maps a byte of folded text to its class.
	foldClass [256]uint8
	space     uint8    // the class of ' '
	nonASCII  uint32   // the class that leads to the non-ASCII state
	trans     []uint32 // (state×nclass + class) → next state×nclass, | flag
	outStart  []int32  // state → first index in out; outStart[s+1] ends it
	out       []int32  // pattern ids ending at each state
	stateNA   uint32   // the non-ASCII state, premultiplied, flagged
}

// NewMatcher compiles the folded patterns (each already textnorm.Normalize'd,
// non-empty, distinct) for rule.
func NewMatcher(patterns []string, rule Rule) (*Matcher, error) {
	m := &Matcher{rule: rule, patterns: patterns}
	seen := make(map[string]bool, len(patterns))
	for _, p := range patterns {
		if p == "" || textnorm.Normalize(p) != p {
			return nil, fmt.Errorf("names: pattern %q is not a non-empty normalised name", p)
		}
		if seen[p] {
			return nil, fmt.Errorf("names: pattern %q given twice", p)
		}
		seen[p] = true
	}
	// Byte classes: class 0 is every byte no pattern has; each byte of a
	// pattern gets its own.
	var used [256]bool
	used[' '] = true
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	n := uint8(1)
	for b := 0; b < 256; b++ {
		if used[b] {
			m.foldClass[b] = n
			n++
		}
	}
	m.space = m.foldClass[' ']
	m.nonASCII = uint32(n)
	m.nclass = uint32(n) + 1
	// A raw ASCII byte's class is the class of its folded form, which is
	// asked of textnorm.Normalize itself: between two letters a byte folds
	// to one byte (white space to ' ', capitals to small letters).
	for b := 0; b < 0x80; b++ {
		f := textnorm.Normalize("a" + string(rune(b)) + "a")
		if len(f) != 3 {
			return nil, fmt.Errorf("names: textnorm.Normalize folds ASCII %#x to %q", b, f)
		}
		m.rawClass[b] = m.foldClass[f[1]]
	}
	for b := 0x80; b < 256; b++ {
		m.rawClass[b] = uint8(m.nonASCII)
	}
	m.build()
	return m, nil
}

// build makes the trie, the failure links and the dense table.
func (m *Matcher) build() {
	nc := int(m.nclass)
	type node struct {
		next   map[uint8]int32
		fail   int32
		last   uint8 // the class of the byte that led here
		output []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, p := range m.patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := m.foldClass[p[i]]
			t, ok := nodes[s].next[c]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}, last: c})
				nodes[s].next[c] = t
			}
			s = t
		}
		nodes[s].output = append(nodes[s].output, int32(id))
	}
	states := len(nodes) + 1 // and the non-ASCII state
	na := int32(len(nodes))
	table := make([]int32, states*nc)
	// Breadth first: a state's failure target is shallower, so its row is
	// complete when it is copied.
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < nc; c++ {
		table[c] = 0
	}
	for c, t := range nodes[0].next {
		table[int(c)] = t
		nodes[t].fail = 0
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].output = append(nodes[s].output, nodes[f].output...)
		copy(table[int(s)*nc:int(s+1)*nc], table[int(f)*nc:int(f+1)*nc])
		// Map iteration order does not matter: each child is set once.
		for c, t := range nodes[s].next {
			table[int(s)*nc+int(c)] = t
			nodes[t].fail = table[int(f)*nc+int(c)]
			queue = append(queue, t)
		}
	}
	// White space folds to one space: a state reached by a space stays
	// there on more white space. No folded name holds two spaces in a row,
	// so no match is lost, and none is found twice.
	for s := 1; s < len(nodes); s++ {
		if nodes[s].last == m.space {
			table[s*nc+int(m.space)] = int32(s)
		}
	}
	for s := 0; s < states; s++ {
		table[s*nc+int(m.nonASCII)] = na
	}
	for c := 0; c < nc; c++ {
		table[int(na)*nc+c] = na
	}
	m.trans = make([]uint32, len(table))
	for i, t := range table {
		v := uint32(t) * m.nclass
		if t == na || len(nodes[t].output) > 0 {
			v |= flag
		}
		m.trans[i] = v
	}
	m.stateNA = uint32(na)*m.nclass | flag
	m.outStart = make([]int32, states+1)
	for s := 0; s < len(nodes); s++ {
		out := nodes[s].output
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		m.out = append(m.out, out...)
		m.outStart[s+1] = int32(len(m.out))
	}
	m.outStart[states] = int32(len(m.out))
}

// Patterns returns the folded patterns, in the order of their ids.
func (m *Matcher) Patterns() []string { return m.patterns }

// Rule returns the matcher's rule.
func (m *Matcher) Rule() Rule { return m.rule }

// States returns the number of automaton states.
func (m *Matcher) States() int { return len(m.outStart) - 1 }

// Scanner counts, for each pattern, the captions that contain it. It reuses
// its buffers between captions and is not safe for concurrent use.
type Scanner struct {
	m       *Matcher
	counts  []int64  // captions containing each pattern
	stamp   []uint64 // the caption a pattern was last counted in
	caption uint64
	found   []int32 // pattern ids found in the current caption
	folded  []byte
	folder  textnorm.Folder
}

// NewScanner returns a Scanner with zero counts.
func (m *Matcher) NewScanner() *Scanner {
	return &Scanner{m: m, counts: make([]int64, len(m.patterns)), stamp: make([]uint64, len(m.patterns))}
}

// Counts returns the captions counted so far for each pattern id. The slice
// is the Scanner's own.
func (s *Scanner) Counts() []int64 { return s.counts }

// Reset sets every count to zero.
func (s *Scanner) Reset() {
	clear(s.counts)
}

// Scan counts one caption. It returns whether any pattern was found.
func (s *Scanner) Scan(caption []byte) bool {
	s.caption++
	s.found = s.found[:0]
	if !s.scan(caption, &s.m.rawClass) {
		// Not ASCII: start again on the folded text, whose bytes are
		// classed as they are.
		s.found = s.found[:0]
		s.folded = s.folder.Append(s.folded[:0], caption)
		s.scan(s.folded, &s.m.foldClass)
	}
	for _, id := range s.found {
		if s.stamp[id] != s.caption {
			s.stamp[id] = s.caption
			s.counts[id]++
		}
	}
	return len(s.found) > 0
}

// scan runs the automaton over text, appending the ids of the patterns that
// end at each position (and pass the rule) to s.found. It returns false at
// the first non-ASCII byte when classes is the raw table.
func (s *Scanner) scan(text []byte, classes *[256]uint8) bool {
	m := s.m
	trans := m.trans
	st := uint32(0)
	for i := 0; i < len(text); i++ {
		st = trans[(st&^flag)+uint32(classes[text[i]])]
		if st&flag == 0 {
			continue
		}
		if st == m.stateNA {
			return false
		}
		q := (st &^ flag) / m.nclass
		for _, id := range m.out[m.outStart[q]:m.outStart[q+1]] {
			if m.rule == Substring || s.whole(text, i+1, m.patterns[id], classes) {
				s.found = append(s.found, id)
			}
		}
	}
	return true
}

// whole reports whether the pattern p, which ends at end in text, has no
// word rune right before or after it. In raw ASCII text a space of p stands
// for a run of white space, which is walked back over.
func (s *Scanner) whole(text []byte, end int, p string, classes *[256]uint8) bool {
	if end < len(text) {
		r, _ := utf8.DecodeRune(text[end:])
		if textnorm.IsWordRune(r) {
			return false
		}
	}
	j := end
	for k := len(p) - 1; k >= 0; k-- {
		j--
		if p[k] == ' ' {
			for j > 0 && classes[text[j-1]] == s.m.space {
				j--
			}
		}
	}
	if j == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRune(text[:j])
	return !textnorm.IsWordRune(r)
}
