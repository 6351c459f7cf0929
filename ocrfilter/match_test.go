package ocrfilter

import (
	"image"
	"reflect"
	"strings"
	"testing"
)

// ws makes words from a space-separated string; a word written "TEXT@conf"
// gets that confidence (default 90), "/" starts a new line and "|" a new pass.
func ws(s string) []Word {
	var out []Word
	pass, line := 0, 1
	for i, f := range strings.Fields(s) {
		switch f {
		case "|":
			pass, line = pass+1, 1
			continue
		case "/":
			line++
			continue
		}
		conf := 90.0
		if at := strings.LastIndexByte(f, '@'); at > 0 {
			conf = 0
			for _, c := range f[at+1:] {
				conf = conf*10 + float64(c-'0')
			}
			f = f[:at]
		}
		out = append(out, Word{Text: f, Box: image.Rect(10*i, 0, 10*i+8, 10), Confidence: conf,
			Pass: []string{"original", "x2"}[pass], Line: line})
	}
	return out
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		aliases []string
		words   string
		minConf float64
		want    []string // "run=word word" for each evidence
	}{
		{"Lionel Messi", nil, "LIONEL MESSI", 0, []string{"lionel messi=LIONEL MESSI"}},
		{"Lionel Messi", nil, "lionelmessi", 0, []string{"lionel messi=lionelmessi"}},
		{"Lionel Messi", nil, "Goal by MESSI!", 0, []string{"messi=MESSI!"}},
		{"Lionel Messi", nil, "M E S S I", 0, []string{"messi=M E S S I"}},
		{"Lionel Messi", nil, "L MESSI", 0, []string{"l messi=L MESSI"}},
		{"Lionel Messi", nil, "NEL MES", 0, []string{"nel mes=NEL MES"}},
		{"Lionel Messi", nil, "MESSY LIONS CAFE", 0, nil},
		{"Lionel Messi", nil, "MESS", 0, nil},
		{"Lionel Messi", nil, "", 0, nil},
		// Accents and case fold on both sides.
		{"Beyoncé Knowles", nil, "BEYONCE", 0, []string{"beyonce=BEYONCE"}},
		{"Beyonce", nil, "BEYONCÉ", 0, []string{"beyonce=BEYONCÉ"}},
		{"Zlatan Ibrahimović", nil, "IBRAHIMOVIC", 0, []string{"ibrahimovic=IBRAHIMOVIC"}},
		// Punctuation is ignored on both sides.
		{"Conan O'Brien", nil, "OBRIEN", 0, []string{"o'brien=OBRIEN"}},
		{"Conan OBrien", nil, "O’BRIEN", 0, []string{"obrien=O’BRIEN"}},
		// Longest run first; shorter runs inside it are not repeated.
		{"Lionel Messi", nil, "MESSI and LIONEL MESSI", 0, []string{"lionel messi=LIONEL MESSI"}},
		{"Lionel Messi", nil, "LIONEL is MESSI", 0, []string{"lionel=LIONEL", "messi=MESSI"}},
		// Aliases match too, and are named in the evidence.
		{"Edson Arantes do Nascimento", []string{"Pelé"}, "PELE", 0, []string{"pele=PELE"}},
		{"Cristiano Ronaldo", []string{"CR7"}, "CR7 goal", 0, []string{"cr7=CR7"}},
		// Short names match whole words only.
		{"Bono", nil, "BONO", 0, []string{"bono=BONO"}},
		{"Bono", nil, "BONO,", 0, []string{"bono=BONO,"}},
		{"Bono", nil, "BONOBO", 0, nil},
		{"Bono", nil, "CARBONO", 0, nil},
		{"Bo Li", nil, "BO LI", 0, []string{"bo li=BO LI"}},
		{"Bo Li", nil, "BOLI", 0, []string{"bo li=BOLI"}},
		{"Bo Li", nil, "BOLIVIA", 0, nil},
		// Low-confidence words are left out and break adjacency.
		{"Lionel Messi", nil, "MESSI@30", 50, nil},
		{"Lionel Messi", nil, "MESSI@30", 20, []string{"messi=MESSI"}},
		{"Lionel Messi", nil, "MES xx@10 SI", 50, nil},
		{"Lionel Messi", nil, "MES xx@10 SI", 0, nil}, // "mesxxsi"
		{"Lionel Messi", nil, "MES SI", 50, []string{"messi=MES SI"}},
		// Words of different passes are not adjacent.
		{"Lionel Messi", nil, "MES | SI", 0, nil},
		{"Lionel Messi", nil, "XX | MESSI", 0, []string{"messi=MESSI"}},
		// Nor are words on different lines; each line matches on its own.
		{"Lionel Messi", nil, "MES / SI", 0, nil},
		{"Lionel Messi", nil, "LIONEL / MESSI", 0, []string{"lionel=LIONEL", "messi=MESSI"}},
	}
	for _, tt := range tests {
		words := ws(tt.words)
		evs := Matcher{MinConfidence: tt.minConf}.Match(tt.name, tt.aliases, words)
		var got []string
		for _, ev := range evs {
			var txt []string
			for _, w := range ev.Words {
				txt = append(txt, w.Text)
			}
			got = append(got, ev.Run+"="+strings.Join(txt, " "))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(%q, %q, %q) minconf %v = %q, want %q", tt.name, tt.aliases, tt.words, tt.minConf, got, tt.want)
		}
	}
}

func TestMatchEvidence(t *testing.T) {
	words := ws("Welcome LIONEL@80 MESSI@70 to Miami")
	evs := Match("Lionel Messi", []string{"Leo"}, words)
	if len(evs) != 1 {
		t.Fatalf("got %d evidence, want 1: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.Name != "Lionel Messi" || ev.Run != "lionel messi" {
		t.Errorf("evidence %q run %q", ev.Name, ev.Run)
	}
	if !reflect.DeepEqual(ev.Words, words[1:3]) {
		t.Errorf("evidence words %+v, want %+v", ev.Words, words[1:3])
	}
}

func TestMatchMinRun(t *testing.T) {
	words := ws("MESS")
	if evs := (Matcher{MinRun: 4}).Match("Lionel Messi", nil, words); len(evs) != 1 || evs[0].Run != "mess" {
		t.Errorf("MinRun 4: %+v", evs)
	}
	if evs := (Matcher{}).Match("Lionel Messi", nil, words); evs != nil {
		t.Errorf("MinRun 5: %+v", evs)
	}
}

// The decoy texts of the generated set must share fewer than 5 letters with
// their names, or the set would count right answers as false drops.
func TestDecoysShareFewerThanFive(t *testing.T) {
	for _, p := range people {
		if evs := Match(p.name, nil, ws(p.decoy)); evs != nil {
			t.Errorf("decoy %q for %q matches: %+v", p.decoy, p.name, evs)
		}
		if evs := Match(p.name, nil, ws(strings.ToUpper(p.name))); evs == nil {
			t.Errorf("%q does not match itself", p.name)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	words := ws(strings.Repeat("the quick brown fox jumps over the lazy dog ", 20) + "LIONEL MESSI")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(Match("Lionel Messi", []string{"Leo Messi"}, words)) == 0 {
			b.Fatal("no match")
		}
	}
}
