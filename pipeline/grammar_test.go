package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

func TestParseCondition(t *testing.T) {
	tests := []struct {
		in   string
		want Condition
		dir  string
		spec Spec
	}{
		{"original", Original, "original", Spec{Base: Original}},
		{" White ", White, "white", Spec{Base: White}},
		{"blur", Blur, "blur", Spec{Base: Original, Anon: paperBlur}},
		{"pixelate", Blur, "blur", Spec{Base: Original, Anon: paperBlur}},
		{"pixelate:grid=10", Blur, "blur", Spec{Base: Original, Anon: paperBlur}},
		{"original+blur", Blur, "blur", Spec{Base: Original, Anon: paperBlur}},
		{"landscape+pixelate", LandscapeBlur, "landscape+blur", Spec{Base: Landscape, Anon: paperBlur}},
		{"white+blur", WhiteBlur, "white+blur", Spec{Base: White, Anon: paperBlur}},
		{"pixelate:grid=4", "pixelate:grid=4", "pixelate-grid4", Spec{Base: Original, Anon: Anonymization{Method: "pixelate", Grid: 4, Scale: 1}}},
		{"pixelate:grid=04", "pixelate:grid=4", "pixelate-grid4", Spec{Base: Original, Anon: Anonymization{Method: "pixelate", Grid: 4, Scale: 1}}},
		{"pixelate:cell=16", "pixelate:cell=16", "pixelate-cell16", Spec{Base: Original, Anon: Anonymization{Method: "pixelate", Cell: 16, Scale: 1}}},
		{"gaussian:sigma=0.2", "gaussian:sigma=0.2", "gaussian-sigma0.2", Spec{Base: Original, Anon: Anonymization{Method: "gaussian", Sigma: 0.2, Scale: 1}}},
		{"gaussian", "gaussian:sigma=0.1", "gaussian-sigma0.1", Spec{Base: Original, Anon: Anonymization{Method: "gaussian", Sigma: 0.1, Scale: 1}}},
		{"fill", "fill", "fill", Spec{Base: Original, Anon: Anonymization{Method: "fill", Scale: 1}}},
		{"fill:scale=1.50", "fill:scale=1.5", "fill-scale1.5", Spec{Base: Original, Anon: Anonymization{Method: "fill", Scale: 1.5}}},
		{"pixelate:scale=1.3,grid=10", "pixelate:grid=10,scale=1.3", "pixelate-grid10-scale1.3", Spec{Base: Original, Anon: Anonymization{Method: "pixelate", Grid: 10, Scale: 1.3}}},
		{"pixelate:grid=10,scale=1", Blur, "blur", Spec{Base: Original, Anon: paperBlur}},
		{"WHITE+Pixelate:Grid=4", "white+pixelate:grid=4", "white+pixelate-grid4", Spec{Base: White, Anon: Anonymization{Method: "pixelate", Grid: 4, Scale: 1}}},
		{"landscape + gaussian : sigma = 0.05", "landscape+gaussian:sigma=0.05", "landscape+gaussian-sigma0.05", Spec{Base: Landscape, Anon: Anonymization{Method: "gaussian", Sigma: 0.05, Scale: 1}}},
	}
	for _, tc := range tests {
		got, err := ParseCondition(tc.in)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want || got.Dir() != tc.dir {
			t.Errorf("ParseCondition(%q) = %q (folder %q), want %q (folder %q)", tc.in, got, got.Dir(), tc.want, tc.dir)
		}
		sp, err := got.Spec()
		if err != nil || sp != tc.spec {
			t.Errorf("%q.Spec() = %+v, %v; want %+v", got, sp, err, tc.spec)
		}
		// The canonical spelling reads back as itself.
		if again, err := ParseCondition(string(got)); err != nil || again != got {
			t.Errorf("ParseCondition(%q) = %q, %v; not canonical", got, again, err)
		}
	}
}

// TestParseConditionErrors checks that each error wraps ErrBadCondition and
// names the part that is wrong.
func TestParseConditionErrors(t *testing.T) {
	tests := []struct{ in, part string }{
		{"sepia", `unknown method "sepia"`},
		{"beach+blur", `unknown background "beach"`},
		{"white+", "nothing after '+'"},
		{"pixelate:grid=x", "grid=x: want a whole number"},
		{"pixelate:grid=0", "grid=0: want a whole number"},
		{"pixelate:grid=2.5", "grid=2.5"},
		{"pixelate:size=3", `unknown parameter "size" of pixelate (want grid, cell, scale)`},
		{"gaussian:grid=3", `unknown parameter "grid" of gaussian`},
		{"pixelate:grid=4,cell=8", "grid and cell both given"},
		{"pixelate:grid=4,grid=5", `parameter "grid" given twice`},
		{"pixelate:grid", `parameter "grid" is not key=value`},
		{"pixelate:", "no parameters after ':'"},
		{"gaussian:sigma=-1", "sigma=-1: want a number above 0"},
		{"fill:scale=0", "scale=0: want a number above 0"},
		{"blur:grid=4", "takes no parameters (use pixelate:grid=4)"},
		{"pixelate+white", `unknown background "pixelate"`},
		{"landscape+white", `"white" is a background`},
		{"", "empty"},
	}
	for _, tc := range tests {
		_, err := ParseCondition(tc.in)
		if !errors.Is(err, ErrBadCondition) {
			t.Errorf("ParseCondition(%q) err = %v, want ErrBadCondition", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.part) || !strings.Contains(err.Error(), `"`+tc.in+`"`) {
			t.Errorf("ParseCondition(%q) err = %q, want it to quote the condition and say %q", tc.in, err, tc.part)
		}
	}
	if _, err := ParseConditions("original,pixelate:grid=4,sepia"); err == nil || !strings.Contains(err.Error(), `"sepia"`) {
		t.Errorf("ParseConditions with sepia: %v", err)
	}
	if _, err := ParseConditions("scale=1.3"); err == nil || !strings.Contains(err.Error(), "no method before it") {
		t.Errorf("ParseConditions(scale=1.3): %v", err)
	}
}

func TestParseSweep(t *testing.T) {
	tests := []struct {
		in   string
		want []Condition
		err  string
	}{
		{in: "pixelate:grid=16,10,6,4,2", want: []Condition{"pixelate:grid=16", Blur, "pixelate:grid=6", "pixelate:grid=4", "pixelate:grid=2"}},
		{in: "white+pixelate:cell=8,16", want: []Condition{"white+pixelate:cell=8", "white+pixelate:cell=16"}},
		{in: "gaussian:scale=1.3,sigma=0.05,0.1", want: []Condition{"gaussian:sigma=0.05,scale=1.3", "gaussian:sigma=0.1,scale=1.3"}},
		{in: "pixelate:grid=4", want: []Condition{"pixelate:grid=4"}},
		{in: "pixelate:grid=4,4", want: []Condition{"pixelate:grid=4"}},
		{in: "pixelate:grid=16,x", err: "grid=x"},
		{in: "pixelate:grid=16,10,scale=1,1.3", err: "both grid and scale have several values"},
		{in: "pixelate", err: "a sweep needs a method and a parameter"},
		{in: "pixelate:4,6", err: `value "4" before any key=`},
	}
	for _, tc := range tests {
		got, err := ParseSweep(tc.in)
		if tc.err != "" {
			if !errors.Is(err, ErrBadCondition) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSweep(%q) err = %v, want one saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseSweep(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestConditionDirs checks that folder names use only characters every file
// system takes and that different conditions get different folders.
func TestConditionDirs(t *testing.T) {
	safe := regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*[a-z0-9]$`)
	var conds []Condition
	conds = append(conds, AllConditions...)
	for _, s := range []string{"pixelate:grid=16,10,6,4,2", "pixelate:cell=4,8,16,32", "gaussian:sigma=0.05,0.1,0.2,0.4", "pixelate:grid=10,scale=1,1.3,2", "white+pixelate:grid=16,10,4", "landscape+fill:scale=1,1.2"} {
		cs, err := ParseSweep(s)
		if err != nil {
			t.Fatal(err)
		}
		conds = append(conds, cs...)
	}
	dirs := map[string]Condition{}
	for _, c := range conds {
		d := c.Dir()
		if !safe.MatchString(d) {
			t.Errorf("%s: folder %q has unsafe characters", c, d)
		}
		if o, dup := dirs[d]; dup && o != c {
			t.Errorf("%s and %s share the folder %q", o, c, d)
		}
		dirs[d] = c
	}
}

func TestParametrisedConditionNeeds(t *testing.T) {
	tests := []struct {
		c                                   Condition
		faces, people, backgrounds, pixelat bool
	}{
		{Original, false, false, false, false},
		{Blur, true, false, false, true},
		{White, false, true, false, false},
		{LandscapeBlur, true, true, true, true},
		{"gaussian:sigma=0.2", true, false, false, false},
		{"white+fill", true, true, false, false},
		{"landscape+pixelate:cell=8", true, true, true, true},
	}
	for _, tc := range tests {
		if tc.c.NeedsFaces() != tc.faces || tc.c.NeedsPeople() != tc.people || tc.c.NeedsBackgrounds() != tc.backgrounds || tc.c.Pixelated() != tc.pixelat || tc.c.Anonymized() != tc.faces {
			t.Errorf("%s: faces %v people %v backgrounds %v pixelated %v", tc.c, tc.c.NeedsFaces(), tc.c.NeedsPeople(), tc.c.NeedsBackgrounds(), tc.c.Pixelated())
		}
	}
}

// TestBuildSweep builds the six conditions and a sweep: every parametrised
// condition gets its folder and its metadata columns, the rows keep the
// build's order, the folder still loads as an imagefolder, and the six
// conditions' files are the same as in a build without the sweep.
func TestBuildSweep(t *testing.T) {
	in, out, plain := t.TempDir(), t.TempDir(), t.TempDir()
	writeFixtures(t, in, 3)
	recs, err := FolderRecords(in)
	must(t, err)
	sweep, err := ParseSweep("pixelate:grid=16,10,6,4,2")
	must(t, err)
	extra, err := ParseConditions("white+pixelate:cell=8,gaussian:sigma=0.2,fill:scale=1.3")
	must(t, err)
	conds := orderConditions(append(append(slices.Clone(AllConditions), sweep...), extra...))
	if len(conds) != 6+4+3 {
		t.Fatalf("%d conditions: %q", len(conds), conds)
	}
	build := func(out string, conds []Condition) {
		b, err := New(out, WithAnalyzer(fixedAnalyzer{}), WithBackgrounds(testBackgrounds()), WithWorkers(2), WithFormat("png"), WithContactSheet(2), WithConditions(conds...))
		must(t, err)
		if _, err := b.Run(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	build(out, conds)
	build(plain, AllConditions)
	rows := checkOutput(t, out, conds)
	if len(rows) != 3*len(conds) {
		t.Fatalf("%d rows, want %d", len(rows), 3*len(conds))
	}
	type cols struct {
		method       string
		grid, cell   int
		sigma, scale float64
	}
	want := map[string]cols{
		"original":              {"", 0, 0, 0, 0},
		"white":                 {"", 0, 0, 0, 0},
		"blur":                  {"pixelate", 10, 0, 0, 1},
		"white+blur":            {"pixelate", 10, 0, 0, 1},
		"pixelate:grid=16":      {"pixelate", 16, 0, 0, 1},
		"pixelate:grid=2":       {"pixelate", 2, 0, 0, 1},
		"white+pixelate:cell=8": {"pixelate", 0, 8, 0, 1},
		"gaussian:sigma=0.2":    {"gaussian", 0, 0, 0.2, 1},
		"fill:scale=1.3":        {"fill", 0, 0, 0, 1.3},
	}
	for i, r := range rows {
		if w, ok := want[r.Condition]; ok {
			got := cols{r.Method, r.Grid, r.Cell, float64(r.Sigma), float64(r.Scale)}
			if got != w {
				t.Errorf("%s: columns %+v, want %+v", r.FileName, got, w)
			}
		}
		if c := conds[i%len(conds)]; r.Condition != string(c) {
			t.Errorf("row %d is %s, want %s (the build's order)", i, r.Condition, c)
		}
		if Condition(r.Condition).Paper() {
			a, err := os.ReadFile(filepath.Join(out, r.FileName))
			must(t, err)
			b, err := os.ReadFile(filepath.Join(plain, r.FileName))
			must(t, err)
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs from the build without the sweep", r.FileName)
			}
		}
	}
	line, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	must(t, err)
	first := string(line[:bytes.IndexByte(line, '\n')])
	if !strings.Contains(first, `"sigma":0.0`) || !strings.Contains(first, `"scale":0.0`) || !strings.Contains(first, `"method":""`) {
		t.Errorf("first row %s: want sigma and scale written as floats", first)
	}
	// Each strength of the sweep hides more: fewer colours in the face.
	face := image.Rect(37, 10, 59, 36) // the fixed face of the 96×80 photo 000
	prev := 1 << 30
	for _, c := range sweep {
		var r Row
		for _, x := range rows {
			if x.Condition == string(c) && x.Source == "Ada Lovelace/000.png" {
				r = x
			}
		}
		img, err := imageio.Load(filepath.Join(out, r.FileName))
		must(t, err)
		n := distinctColours(img, face)
		if n > prev {
			t.Errorf("%s: %d colours in the face, more than the weaker setting's %d", c, n, prev)
		}
		prev = n
	}
	// A different grid with parametrised conditions is refused.
	if _, err := New(t.TempDir(), WithAnalyzer(fixedAnalyzer{}), WithGrid(6), WithConditions("pixelate:grid=4")); err == nil {
		t.Error("grid 6 with pixelate:grid=4 accepted")
	}
	if _, err := New(t.TempDir(), WithAnalyzer(fixedAnalyzer{}), WithConditions("pixelate:grid=x")); !errors.Is(err, ErrBadCondition) {
		t.Errorf("bad condition: %v", err)
	}
}

func distinctColours(m *image.RGBA, r image.Rectangle) int {
	set := map[[4]uint8]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := m.PixOffset(x, y)
			set[[4]uint8(m.Pix[i:i+4])] = true
		}
	}
	return len(set)
}

// FuzzParseCondition checks the grammar on any input: no panic; a
// condition that parses has a canonical spelling that parses to itself, a
// safe folder name, and a Spec that spells it again.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"blur", "white+pixelate:grid=4", "pixelate:cell=16", "gaussian:sigma=0.2", "fill",
		"pixelate:grid=10,scale=1.3", "landscape+fill:scale=2", "pixelate:grid=1e1", "white+", "+blur", "pixelate:grid=4,,",
		"pixelate:scale=1e+0", "gaussian:sigma=NaN", "fill:scale=Inf", "pixelate:grid=-3", "original+original"} {
		f.Add(s)
	}
	safe := regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*$`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			if !errors.Is(err, ErrBadCondition) {
				t.Fatalf("ParseCondition(%q): error %v does not wrap ErrBadCondition", s, err)
			}
			return
		}
		again, err := ParseCondition(string(c))
		if err != nil || again != c {
			t.Fatalf("ParseCondition(%q) = %q, which reads back as %q, %v", s, c, again, err)
		}
		if !safe.MatchString(c.Dir()) {
			t.Fatalf("ParseCondition(%q) = %q: folder %q is not safe", s, c, c.Dir())
		}
		sp, err := c.Spec()
		if err != nil || sp.Condition() != c {
			t.Fatalf("%q.Spec() = %+v, %v; spells %q", c, sp, err, sp.Condition())
		}
	})
}
