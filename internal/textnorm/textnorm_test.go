package textnorm

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Beyoncé", "beyonce"},
		{"  Beyoncé\tKNOWLES \n", "beyonce knowles"},
		{"ZLATAN Ibrahimović", "zlatan ibrahimovic"},
		{"Ｌｉｏｎｅｌ", "lionel"}, // full-width letters fold under NFKD
		{"", ""},
		{"   ", ""},
		{"Jean-Luc  Picard", "jean-luc picard"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		text, name string
		want       bool
	}{
		{"This is BEYONCE KNOWLES on stage.", "Beyoncé Knowles", true},
		{"This is beyonce\n knowles.", "Beyoncé Knowles", true},
		{"This is Beyoncé.", "Beyoncé Knowles", false},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := Contains(tt.text, tt.name); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.text, tt.name, got, tt.want)
		}
	}
}

func TestContainsWord(t *testing.T) {
	tests := []struct {
		s, w string
		want bool
	}{
		{"lionel messi's goal", "messi", true},
		{"(lionel messi)", "lionel messi", true},
		{"will smithsonian", "will smith", false},
		{"xbono", "bono", false},
		{"xbono and bono", "bono", true}, // a later occurrence counts
		{"bono2", "bono", false},         // a digit is a word rune
		{"zoë bono", "bono", true},       // not preceded by a letter
		{"ébono", "bono", false},         // a non-ASCII letter counts as one
		{"bono", "bono", true},           // whole string
		{"anything", "", false},          // empty never occurs
		{"aaa", "aa", false},             // every start tried, none whole
		{"a-ha", "a", true},              // hyphen is not a word rune
	}
	for _, tt := range tests {
		if got := ContainsWord(tt.s, tt.w); got != tt.want {
			t.Errorf("ContainsWord(%q, %q) = %v, want %v", tt.s, tt.w, got, tt.want)
		}
	}
}

// normalizeUnicode is Normalize as first written, the general path: the
// whole text through NFKD, then rune by rune. Normalize must give the same
// bytes.
func normalizeUnicode(s string) string {
	var b strings.Builder
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

// normSeeds are texts where a fold that works piece by piece could differ
// from the whole-text fold: combining marks after ASCII, long runs of them,
// invalid UTF-8, compatibility characters, Unicode white space.
var normSeeds = []string{
	"", " ", "e\u0301", "E\u0301\u0323x", "a\u0323\u0301b", "\u1100\u1161\u11a8", "한국어 텍스트",
	"ﬁancé ① ½ Ｌｉｏｎｅｌ", "\xff\xfeab\xc3", "a\xc3(b", "x\u00a0y\u2003z\u3000", "\u0085x\u200by",
	"İstanbul ΣΑΣ ß ǅ", strings.Repeat("\u0301", 40) + "a" + strings.Repeat("\u0323\u0301", 20),
	"\u0301leading mark", "Zoë  Saldaña\t\n", "ǆemal ǈ", "\u212b\u2126", "e\u0301\u0000\x7f",
}

func TestNormalizeSameAsReference(t *testing.T) {
	for _, s := range normSeeds {
		if got, want := Normalize(s), normalizeUnicode(s); got != want {
			t.Errorf("Normalize(%q) = %q, reference %q", s, got, want)
		}
		var f Folder
		if got, want := string(f.Append([]byte("x"), []byte(s))), "x"+normalizeUnicode(s); got != want {
			t.Errorf("Folder.Append(x, %q) = %q, want %q", s, got, want)
		}
	}
}

// TestNormalizeASCII checks the ASCII fast path against the general one on
// every ASCII byte, alone and between letters, and on answers.
func TestNormalizeASCII(t *testing.T) {
	inputs := []string{"", " ", "  Lionel\tMESSI \n", "It is Lionel\r\n\v\fMessi.", "a\x00b\x1fc\x7f", "ZZ top_@[`{"}
	for c := range 128 {
		inputs = append(inputs, string(rune(c)), "A"+string(rune(c))+"z", string(rune(c))+" x "+string(rune(c)))
	}
	for _, in := range inputs {
		if got, want := normalizeASCII(in), normalizeUnicode(in); got != want {
			t.Errorf("normalizeASCII(%q) = %q, normalizeUnicode gives %q", in, got, want)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	answer := strings.Repeat("The image shows a person standing at a podium in front of flags. ", 5)
	b.Run("ascii", func(b *testing.B) {
		for b.Loop() {
			Normalize(answer)
		}
	})
	b.Run("unicode-path", func(b *testing.B) {
		for b.Loop() {
			normalizeUnicode(answer)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range normSeeds {
		f.Add(s)
	}
	var folder Folder // reused, as a corpus scan reuses it
	f.Fuzz(func(t *testing.T, s string) {
		want := normalizeUnicode(s)
		if got := Normalize(s); got != want {
			t.Errorf("Normalize(%q) = %q, reference %q", s, got, want)
		}
		if got := folder.Append(nil, []byte(s)); string(got) != want {
			t.Errorf("Folder.Append(%q) = %q, reference %q", s, got, want)
		}
	})
}

// BenchmarkFolder folds a caption-like text with a few non-ASCII
// characters; BenchmarkReference is the whole-text fold it replaced.
func BenchmarkFolder(b *testing.B) {
	s := []byte("Beautiful “vintage” café in Zürich — photo © 2019 by JOSÉ  Müller, 4k")
	var dst []byte
	var f Folder
	b.SetBytes(int64(len(s)))
	for range b.N {
		dst = f.Append(dst[:0], s)
	}
}

func BenchmarkReference(b *testing.B) {
	s := "Beautiful “vintage” café in Zürich — photo © 2019 by JOSÉ  Müller, 4k"
	b.SetBytes(int64(len(s)))
	for range b.N {
		normalizeUnicode(s)
	}
}
