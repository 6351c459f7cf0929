// Package textnorm normalises names and free text the same way everywhere in
// phantom: the OCR filter matches names against OCR'd text with it, the
// leak scorer matches names against model answers with it, and the corpus
// name counter matches names against captions with it.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds s for name matching: Unicode NFKD decomposition with
// combining marks (accents) removed, case folded to lower case, and every run
// of white space collapsed to one ASCII space, with none at either end.
// "  Beyoncé\tKNOWLES " becomes "beyonce knowles".
func Normalize(s string) string {
	if isASCII(s) {
		return normalizeASCII(s)
	}
	return normalizeUnicode(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeASCII is normalizeUnicode for ASCII s, where NFKD changes
// nothing and there are no combining marks: lower-case, with white space
// ('\t', '\n', '\v', '\f', '\r', ' ', as unicode.IsSpace has them) collapsed.
func normalizeASCII(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\t', '\n', '\v', '\f', '\r', ' ':
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func normalizeUnicode(s string) string {
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

// IsWordRune reports whether r is a letter or a digit: a rune that may not
// stand right before or after a name matched as whole words.
func IsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// ContainsWord reports whether w occurs in s with no letter or digit (see
// [IsWordRune]) directly before or after it. Both are compared as given:
// callers pass normalised text. An empty w never occurs.
func ContainsWord(s, w string) bool {
	if w == "" {
		return false
	}
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !IsWordRune(before)) && (end == len(s) || !IsWordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[start:])
		off = start + size
	}
}
