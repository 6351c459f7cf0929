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
// is what textnorm.Normalize does to ASCII; the classes are asked of
// Normalize itself) and on the folded caption otherwise. Under Words, raw
// ASCII captions go through a second automaton in which a name starts
// only after a boundary. A Matcher is safe for concurrent use; each goroutine
// scans with its own [Scanner].
type Matcher struct {
	rule     Rule
	patterns []string // folded, distinct
	nclass   uint32
	rawClass [256]uint8 // raw caption byte → class; bytes ≥ 0x80 → nonASCII
	// foldClass maps a byte of folded text to its class.
	foldClass [256]uint8
	rawWord   [256]bool // ASCII letters and digits
	space     uint8     // the class of ' '
	nonASCII  uint32    // the class that leads to the non-ASCII state
	// all finds every pattern anywhere; it scans folded text, and raw
	// ASCII text for Substring.
	all automaton
	// words is the automaton of Words on raw ASCII text, where a name may
	// only start after a byte that is not a letter or digit (see
	// buildWords): fewer states are visited than by all, in which every
	// name may start anywhere. (Stepping over the letters of a word without
	// the table, in its state 0, was tried: the branch at each word's end
	// cost more than it saved.)
	words automaton
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
	// ASCII letters and digits that no pattern has get a class of their
	// own, apart from the other bytes no pattern has: the Words automaton
	// tells a word byte from a boundary by its class.
	wordOther := n
	for b := 0; b < 0x80; b++ {
		m.rawWord[b] = textnorm.IsWordRune(rune(b))
		if m.rawWord[b] && !used[b] {
			m.foldClass[b] = wordOther
		}
	}
	m.nonASCII = uint32(n) + 1
	m.nclass = uint32(n) + 2
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
	nodes := m.build()
	if rule == Words {
		m.buildWords(nodes)
	}
	return m, nil
}

// node is a state of the trie of patterns.
type node struct {
	next   map[uint8]int32 // class → child
	fail   int32
	last   uint8   // the class of the byte that led here
	own    []int32 // the patterns that end here
	output []int32 // and those that end in its failure chain
}

// build makes the trie, the failure links and the dense table of the
// automaton that finds every pattern anywhere, and returns the trie.
func (m *Matcher) build() []node {
	nc := int(m.nclass)
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
		nodes[s].own = append(nodes[s].own, int32(id))
	}
	for i := range nodes {
		nodes[i].output = append([]int32(nil), nodes[i].own...)
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
	outputs := make([][]int32, states)
	for s := range nodes {
		outputs[s] = nodes[s].output
	}
	m.all = m.seal(table, na, outputs, 0)
	return nodes
}

// buildWords makes the automaton of the Words rule on raw ASCII text. A
// name may start only where the byte before is not a letter or digit (or
// at the start), so the automaton has two roots: R0 (state 0, the last
// byte was a letter or digit: no name starts at the next byte) and RB
// (state 1, the trie's root: one may). Trie node k is state k+1. A node's
// failure link is its longest proper suffix that is in the trie and
// starts after a boundary inside the node's own text, or the root its
// last byte leads to; its matches are its own and those of that chain.
// The byte after a match is still checked by the scan.
func (m *Matcher) buildWords(nodes []node) {
	nc := int(m.nclass)
	word := make([]bool, nc)
	for b := 0; b < 0x80; b++ {
		if m.rawWord[b] {
			word[m.rawClass[b]] = true
		}
	}
	const r0, rb = 0, 1
	states := len(nodes) + 2
	na := int32(states - 1)
	boundary := func(c int) int32 {
		if word[c] {
			return r0
		}
		return rb
	}
	table := make([]int32, states*nc)
	for c := 0; c < nc; c++ {
		table[r0*nc+c] = boundary(c)
		table[rb*nc+c] = boundary(c)
	}
	rfail := make([]int32, states)
	output := make([][]int32, states)
	queue := make([]int32, 0, len(nodes))
	for c, t := range nodes[0].next {
		table[rb*nc+int(c)] = t + 1
		rfail[t+1] = boundary(int(c))
		queue = append(queue, t+1)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := rfail[s]
		output[s] = append(append([]int32(nil), nodes[s-1].own...), output[f]...)
		copy(table[int(s)*nc:int(s+1)*nc], table[int(f)*nc:int(f+1)*nc])
		for c, t := range nodes[s-1].next {
			table[int(s)*nc+int(c)] = t + 1
			rfail[t+1] = table[int(f)*nc+int(c)]
			queue = append(queue, t+1)
		}
	}
	for s := 1; s < len(nodes); s++ { // white space folds to one space
		if nodes[s].last == m.space {
			table[(s+1)*nc+int(m.space)] = int32(s + 1)
		}
	}
	m.words = m.seal(table, na, output, rb)
}

// seal finishes a table of states × classes (plain state numbers): the
// non-ASCII class leads every state to na, which it never leaves. It
// returns the automaton, its entries premultiplied by the class count and
// flagged where a state has matches (outputs, sorted here) or is na.
func (m *Matcher) seal(table []int32, na int32, outputs [][]int32, start int32) automaton {
	nc := int(m.nclass)
	states := len(table) / nc
	for s := 0; s < states; s++ {
		table[s*nc+int(m.nonASCII)] = na
	}
	for c := 0; c < nc; c++ {
		table[int(na)*nc+c] = na
	}
	a := automaton{trans: make([]uint32, len(table)), outStart: make([]int32, states+1),
		start: uint32(start) * m.nclass, na: uint32(na)*m.nclass | flag}
	for i, t := range table {
		v := uint32(t) * m.nclass
		if t == na || len(outputs[t]) > 0 {
			v |= flag
		}
		a.trans[i] = v
	}
	for s := 0; s < states; s++ {
		out := outputs[s]
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		a.out = append(a.out, out...)
		a.outStart[s+1] = int32(len(a.out))
	}
	return a
}

// Patterns returns the folded patterns, in the order of their ids.
func (m *Matcher) Patterns() []string { return m.patterns }

// Rule returns the matcher's rule.
func (m *Matcher) Rule() Rule { return m.rule }

// States returns the number of states of the automaton of every name.
func (m *Matcher) States() int { return len(m.all.outStart) - 1 }

// automaton is one dense table with its matches.
type automaton struct {
	trans    []uint32 // (state×nclass + class) → next state×nclass, | flag
	outStart []int32  // state → first index in out; outStart[s+1] ends it
	out      []int32  // pattern ids matched in each state
	start    uint32   // the start state, premultiplied
	na       uint32   // the non-ASCII state, premultiplied and flagged
}

// raw is the automaton for raw ASCII captions: the Words one for Words.
func (m *Matcher) raw() automaton {
	if m.words.trans != nil {
		return m.words
	}
	return m.all
}

// Scanner counts, for each pattern, the captions that contain it. It reuses
// its buffers between captions and is not safe for concurrent use.
type Scanner struct {
	m        *Matcher
	raw, any automaton
	counts   []int64  // captions containing each pattern
	stamp    []uint64 // the caption a pattern was last counted in
	caption  uint64
	found    [2][]int32 // pattern ids found in the captions being scanned
	pending  []byte     // a caption given to Add, not scanned yet
	held     bool       // pending holds one
	folded   []byte
	folder   textnorm.Folder
}

// NewScanner returns a Scanner with zero counts.
func (m *Matcher) NewScanner() *Scanner {
	return &Scanner{m: m, raw: m.raw(), any: m.all, counts: make([]int64, len(m.patterns)), stamp: make([]uint64, len(m.patterns))}
}

// Counts returns the captions counted so far for each pattern id (those
// given to Add once Flush is called). The slice is the Scanner's own.
func (s *Scanner) Counts() []int64 { return s.counts }

// Reset sets every count to zero and drops a caption held by Add.
func (s *Scanner) Reset() {
	clear(s.counts)
	s.held = false
}

// Scan counts one caption. It returns whether any pattern was found.
func (s *Scanner) Scan(caption []byte) bool {
	found, ok := s.rawFrom(s.found[0][:0], caption, 0, s.raw.start)
	if !ok {
		found = s.slow(found[:0], caption)
	}
	s.found[0] = found
	s.count(found)
	return len(found) > 0
}

// Add counts one caption, as Scan does, but scans captions two at a time:
// the two walks through the table do not wait for each other, which about
// halves the time of a table step. It keeps a copy of every other caption
// until the next; call Flush after the last.
func (s *Scanner) Add(caption []byte) {
	if !s.held {
		s.pending = append(s.pending[:0], caption...)
		s.held = true
		return
	}
	s.held = false
	s.scanTwo(s.pending, caption)
}

// Flush counts the caption Add holds, if any.
func (s *Scanner) Flush() {
	if s.held {
		s.held = false
		s.Scan(s.pending)
	}
}

// scanTwo counts a and b, stepping the raw automaton over both at once.
func (s *Scanner) scanTwo(a, b []byte) {
	a0 := &s.raw
	trans, classes := a0.trans, &s.m.rawClass
	fa, fb := s.found[0][:0], s.found[1][:0]
	sa, sb := a0.start, a0.start
	n := min(len(a), len(b))
	i := 0
	for ; i < n; i++ {
		sa = trans[(sa&^flag)+uint32(classes[a[i]])]
		sb = trans[(sb&^flag)+uint32(classes[b[i]])]
		if (sa|sb)&flag == 0 {
			continue
		}
		if sa == a0.na || sb == a0.na {
			break // one is not ASCII: each goes on alone
		}
		if sa&flag != 0 {
			fa = s.matches(fa, a, i+1, sa, a0, classes)
		}
		if sb&flag != 0 {
			fb = s.matches(fb, b, i+1, sb, a0, classes)
		}
	}
	okA, okB := sa != a0.na, sb != a0.na
	if i < n {
		// The loop stopped at byte i, which both walks have read: the
		// one still ASCII counts its matches there and goes on alone.
		i++
		if okA && sa&flag != 0 {
			fa = s.matches(fa, a, i, sa, a0, classes)
		}
		if okB && sb&flag != 0 {
			fb = s.matches(fb, b, i, sb, a0, classes)
		}
	}
	if okA {
		fa, okA = s.rawFrom(fa, a, i, sa)
	}
	if okB {
		fb, okB = s.rawFrom(fb, b, i, sb)
	}
	if !okA {
		fa = s.slow(fa[:0], a)
	}
	s.count(fa)
	if !okB {
		fb = s.slow(fb[:0], b)
	}
	s.count(fb)
	s.found[0], s.found[1] = fa, fb
}

// rawFrom steps the automaton a over text from byte i in state st,
// appending the patterns that end there and pass the rule to found. It
// returns false at the first non-ASCII byte.
func (s *Scanner) rawFrom(found []int32, text []byte, i int, st uint32) ([]int32, bool) {
	a := &s.raw
	trans, classes := a.trans, &s.m.rawClass
	for ; i < len(text); i++ {
		st = trans[(st&^flag)+uint32(classes[text[i]])]
		if st&flag == 0 {
			continue
		}
		if st == a.na {
			return found, false
		}
		found = s.matches(found, text, i+1, st, a, classes)
	}
	return found, true
}

// slow folds a caption that is not ASCII and scans the folded text with
// the automaton of every pattern, whose bytes are classed as they are.
func (s *Scanner) slow(found []int32, caption []byte) []int32 {
	s.folded = s.folder.Append(s.folded[:0], caption)
	a := &s.any
	st := a.start
	for i, c := range s.folded {
		st = a.trans[(st&^flag)+uint32(s.m.foldClass[c])]
		if st&flag != 0 {
			found = s.matches(found, s.folded, i+1, st, a, &s.m.foldClass)
		}
	}
	return found
}

// matches appends the patterns of state st, ending at end in text, that
// pass the rule.
func (s *Scanner) matches(found []int32, text []byte, end int, st uint32, a *automaton, classes *[256]uint8) []int32 {
	q := (st &^ flag) / s.m.nclass
	for _, id := range a.out[a.outStart[q]:a.outStart[q+1]] {
		if s.m.rule == Substring || s.whole(text, end, s.m.patterns[id], classes) {
			found = append(found, id)
		}
	}
	return found
}

// count counts one caption's matches, each pattern once.
func (s *Scanner) count(found []int32) {
	s.caption++
	for _, id := range found {
		if s.stamp[id] != s.caption {
			s.stamp[id] = s.caption
			s.counts[id]++
		}
	}
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
