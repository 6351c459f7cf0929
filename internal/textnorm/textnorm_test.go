package textnorm

import (
	"strings"
	"testing"
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
