// Package textnorm normalises names and free text the same way everywhere in
// phantom: the OCR filter matches names against OCR'd text with it, and the
// leak scorer matches names against model answers with it.
package textnorm

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds s for name matching: Unicode NFKD decomposition with
// combining marks (accents) removed, case folded to lower case, and every run
// of white space collapsed to one ASCII space, with none at either end.
// "  Beyoncé\tKNOWLES " becomes "beyonce knowles".
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Contains reports whether the normalised form of text contains the
// normalised form of name. An empty name is never contained.
func Contains(text, name string) bool {
	n := Normalize(name)
	return n != "" && strings.Contains(Normalize(text), n)
}
