package ocrfilter

import (
	"strings"
	"unicode"

	"github.com/phantom-vlm/phantom/internal/textnorm"
)

// Evidence is one place where the OCR text shows a run of the name.
type Evidence struct {
	// Name is the name or alias that matched, as the caller gave it.
	Name string `json:"name"`
	// Run is the matched run of the normalised name, with the name's own
	// spaces kept ("l messi", "lionel messi").
	Run string `json:"run"`
	// Words are the OCR words the run was found in, in reading order, with
	// their boxes and confidences.
	Words []Word `json:"words"`
}

// Matcher tests names against OCR words. The zero value uses the defaults.
type Matcher struct {
	// MinRun is the shortest run of name characters (letters and digits)
	// that counts; 0 means DefaultMinRun.
	MinRun int
	// MinConfidence is the lowest word confidence (0–100) for a word to take
	// part; weaker words are left out and break adjacency.
	MinConfidence float64
}

// Match tests name and aliases against words with the default Matcher. See
// Matcher.Match.
func Match(name string, aliases []string, words []Word) []Evidence {
	return Matcher{MinConfidence: DefaultMinConfidence}.Match(name, aliases, words)
}

// key is a name or alias folded for matching: its letters and digits, and
// for each of them its end offset in the normalised form (to cut runs out of
// it with their spaces).
type key struct {
	given string
	norm  string
	runes []rune
	end   []int // end[i]: byte offset in norm just after runes[i]
	start []int // start[i]: byte offset in norm of runes[i]
}

func newKey(s string) key {
	k := key{given: s, norm: textnorm.Normalize(s)}
	for i, r := range k.norm {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			k.runes = append(k.runes, r)
			k.start = append(k.start, i)
			k.end = append(k.end, i+len(string(r)))
		}
	}
	return k
}

// text is a stretch of adjacent OCR words folded to letters and digits, with
// each rune's word.
type text struct {
	runes []rune
	word  []int // index into the words slice given to Match
	first []bool
	last  []bool
}

// Match returns the evidence that words show a run of at least MinRun
// characters of name or of one of its aliases (see the package comment for
// the rules). For each name, the longest runs come first, and a run is
// reported once, at its first place in words, and not at all when a longer
// run of the same name already holds it. It returns nil when
// nothing matches.
func (m Matcher) Match(name string, aliases []string, words []Word) []Evidence {
	minRun := m.MinRun
	if minRun <= 0 {
		minRun = DefaultMinRun
	}
	texts := m.texts(words)
	var out []Evidence
	for _, s := range append([]string{name}, aliases...) {
		k := newKey(s)
		if len(k.runes) == 0 {
			continue
		}
		var evs []Evidence
		var runs []int // rune length of each evidence's run
		for _, t := range texts {
			for _, h := range hits(k, t, minRun) {
				ev := Evidence{Name: s, Run: k.norm[k.start[h.ki]:k.end[h.ki+h.n-1]]}
				for wi := t.word[h.ti]; wi <= t.word[h.ti+h.n-1]; wi++ {
					ev.Words = append(ev.Words, words[wi])
				}
				evs = append(evs, ev)
				runs = append(runs, h.n)
			}
		}
		// Longest runs first (stable), then drop a run already shown by a
		// longer or equal one of the same name.
		for a := 1; a < len(evs); a++ {
			for b := a; b > 0 && runs[b] > runs[b-1]; b-- {
				evs[b], evs[b-1] = evs[b-1], evs[b]
				runs[b], runs[b-1] = runs[b-1], runs[b]
			}
		}
		var kept []string
	next:
		for _, ev := range evs {
			for _, r := range kept {
				if strings.Contains(r, ev.Run) {
					continue next
				}
			}
			kept = append(kept, ev.Run)
			out = append(out, ev)
		}
	}
	return out
}

// texts splits words into stretches of adjacent words: same pass and line,
// one after the other, each word confident enough.
func (m Matcher) texts(words []Word) []text {
	var out []text
	var cur text
	flush := func() {
		if len(cur.runes) > 0 {
			out = append(out, cur)
		}
		cur = text{}
	}
	for i, w := range words {
		if i > 0 && (w.Pass != words[i-1].Pass || w.Line != words[i-1].Line) {
			flush()
		}
		if w.Confidence < m.MinConfidence {
			flush()
			continue
		}
		n := len(cur.runes)
		for _, r := range textnorm.Normalize(w.Text) {
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				cur.runes = append(cur.runes, r)
				cur.word = append(cur.word, i)
				cur.first = append(cur.first, len(cur.runes) == n+1)
				cur.last = append(cur.last, false)
			}
		}
		if len(cur.runes) > n {
			cur.last[len(cur.runes)-1] = true
		}
	}
	flush()
	return out
}

// hit is a common run: n runes from k.runes[ki] and t.runes[ti].
type hit struct{ ki, ti, n int }

// hits returns the maximal common runs of k and t at least minRun long, or,
// for a key shorter than minRun, the places where t shows the whole key on
// word boundaries. Longer runs come first.
func hits(k key, t text, minRun int) []hit {
	K, T := k.runes, t.runes
	var out []hit
	if len(K) < minRun {
		for ti := 0; ti+len(K) <= len(T); ti++ {
			if !t.first[ti] || !t.last[ti+len(K)-1] {
				continue
			}
			if equalRunes(K, T[ti:ti+len(K)]) {
				out = append(out, hit{0, ti, len(K)})
			}
		}
		return out
	}
	// prev[j+1] is the length of the common run ending at K[i-1], T[j].
	prev := make([]int, len(T)+1)
	cur := make([]int, len(T)+1)
	for i := range K {
		for j := range T {
			if K[i] == T[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = 0
			}
		}
		// A run ending at (i, j) is maximal when it cannot grow to the right.
		for j := range T {
			n := cur[j+1]
			if n < minRun {
				continue
			}
			if i+1 < len(K) && j+1 < len(T) && K[i+1] == T[j+1] {
				continue
			}
			out = append(out, hit{i - n + 1, j - n + 1, n})
		}
		prev, cur = cur, prev
	}
	// Longest first, then by place in the text; stable for equal runs.
	for a := 1; a < len(out); a++ {
		for b := a; b > 0 && (out[b].n > out[b-1].n || out[b].n == out[b-1].n && out[b].ti < out[b-1].ti); b-- {
			out[b], out[b-1] = out[b-1], out[b]
		}
	}
	return out
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
