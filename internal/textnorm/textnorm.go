// Package textnorm normalises names and free text the same way everywhere in
// phantom: the OCR filter matches names against OCR'd text with it, the
// leak scorer matches names against model answers with it, and the corpus
// name counter matches names against captions with it.
package textnorm

import (
	"strings"
	"sync"
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
	f := folders.Get().(*Folder)
	defer folders.Put(f)
	return string(appendNormalized(f, make([]byte, 0, len(s)), s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeASCII is Normalize for ASCII s, where NFKD changes nothing and
// there are no combining marks: the general path's ASCII byte loop, with no
// Folder (one is used only for non-ASCII runs) and so no pool.
func normalizeASCII(s string) string {
	return string(appendNormalized(nil, make([]byte, 0, len(s)), s))
}

// folders lends Folders to Normalize.
var folders = sync.Pool{New: func() any { return new(Folder) }}

// A Folder folds texts as Normalize does, into a caller's buffer and with
// buffers of its own that it reuses, for callers that fold many texts (a
// corpus's captions): it remembers the fold of the non-ASCII runs it has
// seen. The zero Folder is ready to use; a Folder is not safe for
// concurrent use.
type Folder struct {
	cache map[string][]byte // a non-ASCII run → its fold, white space as one ' '
}

// maxCache is the number of runs a Folder remembers before it forgets them
// all.
const maxCache = 1 << 14

// maxCachedRun is the longest run, in bytes, a Folder remembers.
const maxCachedRun = 32

// Append appends the fold of s (Normalize(string(s))) to dst and returns
// it.
func (f *Folder) Append(dst, s []byte) []byte { return appendNormalized(f, dst, s) }

// asciiSpace marks the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// appendNormalized is Normalize into dst. ASCII bytes are folded one by
// one (NFKD leaves them as they are). Each run of other bytes is
// decomposed by itself, which is the same as decomposing the whole text
// because an ASCII character is a starter that no combining mark is
// reordered across; a run that is not valid UTF-8 takes the ASCII byte
// after it along, so that NFKD reads a broken sequence at its end as it
// does in the whole text, not as one cut short. FuzzNormalize checks this
// against the whole-text fold.
func appendNormalized[T string | []byte](f *Folder, dst []byte, s T) []byte {
	start := len(dst)
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if asciiSpace[c] {
				space = len(dst) > start
				continue
			}
			if space {
				dst = append(dst, ' ')
				space = false
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= utf8.RuneSelf {
			j++
		}
		run := s[i:j]
		if j < len(s) && !validUTF8(run) {
			j++
			run = s[i:j]
		}
		i = j
		for _, b := range foldRun(f, run) {
			if b == ' ' {
				space = len(dst) > start
				continue
			}
			if space {
				dst = append(dst, ' ')
				space = false
			}
			dst = append(dst, b)
		}
	}
	return dst
}

func validUTF8[T string | []byte](s T) bool {
	switch v := any(s).(type) {
	case string:
		return utf8.ValidString(v)
	case []byte:
		return utf8.Valid(v)
	}
	return false
}

// foldRun returns the fold of a run of text on its own: NFKD, combining
// marks dropped, lower case, each run of white space one ' ' (kept at
// either end, for the caller to join).
func foldRun[T string | []byte](f *Folder, run T) []byte {
	var key string
	switch v := any(run).(type) {
	case string:
		if out, ok := f.cache[v]; ok {
			return out
		}
		key = v
	case []byte:
		if out, ok := f.cache[string(v)]; ok {
			return out
		}
		key = string(v)
	}
	// NFKD of the run as Form.String does it (norm.Iter differs from it on
	// broken UTF-8).
	var out []byte
	space := false
	for _, r := range norm.NFKD.String(key) {
		switch {
		case r < utf8.RuneSelf && asciiSpace[r], r >= utf8.RuneSelf && unicode.IsSpace(r):
			if !space {
				out = append(out, ' ')
				space = true
			}
			continue
		case unicode.Is(unicode.Mn, r):
			continue
		}
		space = false
		out = utf8.AppendRune(out, unicode.ToLower(r))
	}
	if len(key) > maxCachedRun {
		return out // a long run (a caption in a script without spaces) seldom comes again
	}
	if f.cache == nil || len(f.cache) >= maxCache {
		f.cache = make(map[string][]byte)
	}
	f.cache[key] = out
	return out
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
