// Package wordpiece is the BERT "uncased" tokenizer: the basic
// pre-tokenisation (clean-up, CJK spacing, lower case, accent stripping,
// punctuation splitting) followed by WordPiece's greedy longest-match-first
// split into vocabulary pieces, with "##" marking a piece that continues a
// word. It reads the vocab.txt that ships with every BERT checkpoint: one
// token per line, the token's id being its zero-based line number.
//
// A Tokenizer is immutable after New and safe for concurrent use.
package wordpiece

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ErrMissingToken is returned (wrapped) when a vocabulary lacks one of the
// special tokens [CLS], [SEP] or [UNK].
var ErrMissingToken = errors.New("wordpiece: vocabulary lacks a special token")

// maxWordChars is BERT's limit: a longer word becomes [UNK] as a whole.
const maxWordChars = 100

// Tokenizer turns text into BERT token ids.
type Tokenizer struct {
	vocab  map[string]int
	tokens []string
	cls    int
	sep    int
	unk    int
}

// Load reads a vocab.txt file.
func Load(path string) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wordpiece: %w", err)
	}
	defer f.Close()
	t, err := New(f)
	if err != nil {
		return nil, fmt.Errorf("wordpiece: %s: %w", path, err)
	}
	return t, nil
}

// New reads a vocabulary in vocab.txt form from r: one token per line, the
// id of a token being its zero-based line number. Trailing white space on a
// line is ignored. When a token occurs twice the first line wins.
func New(r io.Reader) (*Tokenizer, error) {
	t := &Tokenizer{vocab: make(map[string]int)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		tok := strings.TrimRight(sc.Text(), " \t\r")
		if _, dup := t.vocab[tok]; !dup && tok != "" {
			t.vocab[tok] = len(t.tokens)
		}
		t.tokens = append(t.tokens, tok)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading vocabulary: %w", err)
	}
	for _, sp := range []struct {
		name string
		dst  *int
	}{{"[CLS]", &t.cls}, {"[SEP]", &t.sep}, {"[UNK]", &t.unk}} {
		id, ok := t.vocab[sp.name]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrMissingToken, sp.name)
		}
		*sp.dst = id
	}
	return t, nil
}

// Size returns the number of lines (ids) in the vocabulary.
func (t *Tokenizer) Size() int { return len(t.tokens) }

// CLS returns the id of [CLS].
func (t *Tokenizer) CLS() int { return t.cls }

// SEP returns the id of [SEP].
func (t *Tokenizer) SEP() int { return t.sep }

// UNK returns the id of [UNK].
func (t *Tokenizer) UNK() int { return t.unk }

// ID returns the id of a vocabulary token and whether it exists.
func (t *Tokenizer) ID(token string) (int, bool) {
	id, ok := t.vocab[token]
	return id, ok
}

// Token returns the vocabulary token with the given id, or "" when the id is
// out of range.
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// Encode tokenises text and wraps it as BERT expects a single sentence:
// [CLS] pieces... [SEP].
func (t *Tokenizer) Encode(text string) []int {
	pieces := t.Tokenize(text)
	ids := make([]int, 0, len(pieces)+2)
	ids = append(ids, t.cls)
	for _, p := range pieces {
		ids = append(ids, t.vocab[p])
	}
	return append(ids, t.sep)
}

// Tokenize returns the WordPiece pieces of text, without special tokens. A
// word that cannot be split into vocabulary pieces becomes "[UNK]".
func (t *Tokenizer) Tokenize(text string) []string {
	var out []string
	for _, w := range BasicTokenize(text) {
		out = t.appendPieces(out, w)
	}
	return out
}

// appendPieces splits one basic token greedily, longest vocabulary match
// first, continuation pieces prefixed with "##".
func (t *Tokenizer) appendPieces(out []string, word string) []string {
	runes := []rune(word)
	if len(runes) > maxWordChars {
		return append(out, t.tokens[t.unk])
	}
	start := len(out)
	for i := 0; i < len(runes); {
		found := ""
		j := len(runes)
		for ; j > i; j-- {
			cand := string(runes[i:j])
			if i > 0 {
				cand = "##" + cand
			}
			if _, ok := t.vocab[cand]; ok {
				found = cand
				break
			}
		}
		if found == "" {
			return append(out[:start], t.tokens[t.unk])
		}
		out = append(out, found)
		i = j
	}
	return out
}

// BasicTokenize is BERT's uncased pre-tokenisation: it drops control
// characters and U+FFFD, turns every white space into a separator, puts
// spaces around CJK ideographs, folds case, strips accents (NFD, then
// removes non-spacing marks) and splits every punctuation character into a
// token of its own.
func BasicTokenize(text string) []string {
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		switch {
		case r == 0 || r == unicode.ReplacementChar || isControl(r):
			continue
		case isWhitespace(r):
			b.WriteByte(' ')
		case isCJK(r):
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	var out []string
	for _, w := range strings.Fields(b.String()) {
		w = stripAccents(strings.ToLower(w))
		out = splitPunct(out, w)
	}
	return out
}

func stripAccents(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func splitPunct(out []string, w string) []string {
	start := -1
	for i, r := range w {
		if isPunct(r) {
			if start >= 0 {
				out = append(out, w[start:i])
				start = -1
			}
			out = append(out, string(r))
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, w[start:])
	}
	return out
}

// isWhitespace follows BERT: space, tab, newline, carriage return and the
// Unicode space separators (Zs).
func isWhitespace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// isControl follows BERT: the C* categories except tab, newline and carriage
// return, which count as white space.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// isPunct follows BERT: every non-alphanumeric ASCII printable character
// (so "$", "+", "^" and "`" count, though Unicode calls them symbols) and
// every character of a Unicode P* category.
func isPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return unicode.IsPunct(r)
}

// isCJK reports whether r is in one of the CJK Unified Ideographs blocks
// that BERT spaces out (Hangul, Hiragana and Katakana are not among them).
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}
