package textnorm

import "testing"

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
