package names

import (
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/coregx/ahocorasick"

	"github.com/phantom-vlm/phantom/internal/textnorm"
)

// BenchmarkLibrary is the peer of BenchmarkScan: the same captions and
// names through github.com/coregx/ahocorasick (a dense DFA over byte
// classes, overlapping matches), which has no case or white-space folding,
// so each caption is folded by textnorm.Folder first and the word rule is
// checked on each match. It must count what Scanner counts.
func BenchmarkLibrary(b *testing.B) {
	names := benchNames(500)
	set, _ := NewSet(names)
	ac, err := ahocorasick.NewBuilder().AddStrings(set.Folded).Build()
	if err != nil {
		b.Fatal(err)
	}
	m, _ := NewMatcher(set.Folded, Words)
	for _, share := range []float64{0, 0.1, 1} {
		caps := benchCaptions(8<<20, share, names)
		b.Run(fmt.Sprintf("nonASCII=%.0f%%", share*100), func(b *testing.B) {
			var f textnorm.Folder
			var folded []byte
			counts := make([]int64, len(set.Folded))
			stamp := make([]int, len(set.Folded))
			b.SetBytes(captionBytes(caps))
			b.ResetTimer()
			c0 := cpuTime()
			for range b.N {
				clear(counts)
				clear(stamp)
				for k, c := range caps {
					folded = f.Append(folded[:0], c)
					for _, mt := range ac.FindAllOverlapping(folded) {
						if stamp[mt.PatternID] == k+1 || !wordAt(folded, mt.Start, mt.End) {
							continue
						}
						stamp[mt.PatternID] = k + 1
						counts[mt.PatternID]++
					}
				}
			}
			b.ReportMetric((cpuTime()-c0).Seconds()*1000/(float64(captionBytes(caps))/1e6)/float64(b.N), "cpu-ms/MB")
			b.StopTimer()
			sc := m.NewScanner()
			for _, c := range caps {
				sc.Scan(c)
			}
			for i, c := range sc.Counts() {
				if counts[i] != c {
					b.Fatalf("%q: the library counted %d captions, Scanner %d", set.Names[i], counts[i], c)
				}
			}
		})
	}
}

// wordAt reports whether folded[start:end] has no word rune right before
// or after it.
func wordAt(folded []byte, start, end int) bool {
	if r, _ := utf8.DecodeLastRune(folded[:start]); start > 0 && textnorm.IsWordRune(r) {
		return false
	}
	r, _ := utf8.DecodeRune(folded[end:])
	return end == len(folded) || !textnorm.IsWordRune(r)
}
