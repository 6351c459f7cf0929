package names

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/textnorm"
)

// wordRule is the independent rule the counts are checked against: a
// regular expression over the folded caption.
func wordRule(name string, rule Rule) *regexp.Regexp {
	q := regexp.QuoteMeta(textnorm.Normalize(name))
	if rule == Substring {
		return regexp.MustCompile(q)
	}
	return regexp.MustCompile(`(?:^|[^\pL\p{Nd}])` + q + `(?:$|[^\pL\p{Nd}])`)
}

func fold(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, textnorm.Normalize(n))
	}
	return out
}

func TestScan(t *testing.T) {
	names := []string{"Lionel Messi", "Messi", "Will Smith", "Bono", "Beyoncé Knowles", "Zoë Saldaña", "Jean-Luc Picard", "Ai", "张伟"}
	tests := []struct {
		caption string
		want    []string // names counted, words rule
	}{
		{"Lionel Messi's goal", []string{"Lionel Messi", "Messi"}},
		{"(Lionel Messi)", []string{"Lionel Messi", "Messi"}},
		{"LIONEL   MESSI", []string{"Lionel Messi", "Messi"}},
		{"lionel\n\tmessi scores", []string{"Lionel Messi", "Messi"}},
		{"Will Smithsonian museum", nil},
		{"xbono", nil},
		{"xbono and Bono", []string{"Bono"}},
		{"Bono, Bono, bono", []string{"Bono"}},
		{"beyonce knowles", []string{"Beyoncé Knowles"}},
		{"BEYONCÉ  KNOWLES on stage", []string{"Beyoncé Knowles"}},
		{"Beyonce\u0301 Knowles", []string{"Beyoncé Knowles"}}, // combining accent
		{"zoe saldana and Will Smith", []string{"Zoë Saldaña", "Will Smith"}},
		{"Ｂｏｎｏ", []string{"Bono"}}, // full-width
		{"Jean-Luc Picard", []string{"Jean-Luc Picard"}},
		{"jean luc picard", nil},
		{"said", nil},
		{"Ai Weiwei", []string{"Ai"}},
		{"Aimé", nil},
		{"ai①", nil},   // ① folds to 1, a digit
		{"Bono①", nil}, // the ASCII pass must not decide this one
		{"张伟在北京", nil}, // no spaces in CJK: letters on both sides, so not whole words
		{"张伟，北京", []string{"张伟"}},
		{"", nil},
		{"   ", nil},
	}
	m, err := NewMatcher(fold(names), Words)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		sc := m.NewScanner()
		sc.Scan([]byte(tt.caption))
		var got []string
		for i, c := range sc.Counts() {
			if c > 0 {
				got = append(got, names[i])
			}
		}
		if strings.Join(got, "|") != strings.Join(orderLike(names, tt.want), "|") {
			t.Errorf("Scan(%q) counted %q, want %q", tt.caption, got, tt.want)
		}
		for i, n := range names {
			if r := wordRule(n, Words).MatchString(textnorm.Normalize(tt.caption)); r != (sc.Counts()[i] > 0) {
				t.Errorf("Scan(%q) for %q = %v, regexp says %v", tt.caption, n, !r, r)
			}
		}
	}
}

func orderLike(all, some []string) []string {
	var out []string
	for _, a := range all {
		for _, s := range some {
			if a == s {
				out = append(out, a)
			}
		}
	}
	return out
}

// TestScanRandom checks the automaton against the regexp rule on random
// captions built from the names' pieces, white space, case and accents.
func TestScanRandom(t *testing.T) {
	names := []string{"Lionel Messi", "Messi", "Ana", "Anna", "an", "Will Smith", "Smith", "Éva Green", "O'Brien", "Bo", "Bono", "Bon Jovi"}
	pieces := []string{"lionel", "Messi", "MESSI", "ana", "Anna", "an", "will", "smith", "Smithsonian", "Éva", "eva", "green", "o'brien", "O'BRIEN", "bo", "Bono", "bon", "jovi", "x", "1", "①", "é", "e\u0301", "ß", "'s", "(", ")", ",", ".", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "-"}
	for _, rule := range []Rule{Words, Substring} {
		m, err := NewMatcher(fold(names), rule)
		if err != nil {
			t.Fatal(err)
		}
		res := make([]*regexp.Regexp, len(names))
		for i, n := range names {
			res[i] = wordRule(n, rule)
		}
		rng := rand.New(rand.NewPCG(1, uint64(rule)))
		sc := m.NewScanner()
		paired := m.NewScanner() // the same captions two at a time
		want := make([]int64, len(names))
		for range 5000 {
			var b strings.Builder
			for range rng.IntN(12) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
				if rng.IntN(3) == 0 {
					b.WriteByte(' ')
				}
			}
			c := b.String()
			sc.Scan([]byte(c))
			paired.Add([]byte(c))
			f := textnorm.Normalize(c)
			for i, re := range res {
				if re.MatchString(f) {
					want[i]++
				}
			}
		}
		paired.Flush()
		for i, n := range names {
			if sc.Counts()[i] != want[i] || paired.Counts()[i] != want[i] {
				t.Errorf("%v: %q counted in %d captions (%d two at a time), regexp %d", rule, n, sc.Counts()[i], paired.Counts()[i], want[i])
			}
		}
	}
}

func TestNewMatcherRefuses(t *testing.T) {
	for _, p := range [][]string{{""}, {"Messi"}, {"a  b"}, {"messi", "messi"}} {
		if _, err := NewMatcher(p, Words); err == nil {
			t.Errorf("NewMatcher(%q) took it", p)
		}
	}
}
