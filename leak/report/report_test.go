package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/leak"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// names of the example's images i0–i4.
var exampleNames = []string{"Ann Ash", "Bob Brown", "Cé Dupont", "Dee Dee", "Eve Evans"}

// cell is one (model, condition, prompt) cell of the example: images
// i0..i(scored-1) were answered, the first leaks of them leaked.
type cell struct {
	model, cond   string
	cat, phrasing int
	leaks, scored int
}

// exampleCells is the hand-computed example.
//
// llava, original:
//
//	P0 R0–R5: 0/4 each          → rates 0,0,0,0,0,0; mean 0, std 0
//	P2 R0–R5: 1/4 2/4 0/4 4/4 3/4 2/4
//	          → rates 25, 50, 0, 100, 75, 50
//	          mean = 300/6 = 50
//	          squared deviations 625 + 0 + 2500 + 2500 + 625 + 0 = 6250
//	          variance (n−1) = 6250/5 = 1250, std = √1250 = 35.3553
//	P4 R0: 2/2                  → one phrasing: mean 100, spread undefined
//	P1, P3: nothing asked       → mean undefined, phrasings 0
//
// blip2, original: P2 R0–R5 1/2 each → rates all 50: mean 50, std 0.
// llava, blur: P2 R0 1/4, and one failed request (i4).
// blip2, landscape+blur: P4 R0 0/3.
var exampleCells = []cell{
	{"llava", "original", 0, 0, 0, 4}, {"llava", "original", 0, 1, 0, 4}, {"llava", "original", 0, 2, 0, 4},
	{"llava", "original", 0, 3, 0, 4}, {"llava", "original", 0, 4, 0, 4}, {"llava", "original", 0, 5, 0, 4},
	{"llava", "original", 2, 0, 1, 4}, {"llava", "original", 2, 1, 2, 4}, {"llava", "original", 2, 2, 0, 4},
	{"llava", "original", 2, 3, 4, 4}, {"llava", "original", 2, 4, 3, 4}, {"llava", "original", 2, 5, 2, 4},
	{"llava", "original", 4, 0, 2, 2},
	{"blip2", "original", 2, 0, 1, 2}, {"blip2", "original", 2, 1, 1, 2}, {"blip2", "original", 2, 2, 1, 2},
	{"blip2", "original", 2, 3, 1, 2}, {"blip2", "original", 2, 4, 1, 2}, {"blip2", "original", 2, 5, 1, 2},
	{"llava", "blur", 2, 0, 1, 4},
	{"blip2", "landscape+blur", 4, 0, 0, 3},
}

// exampleAnswer is a leaking answer about image img. Cé Dupont (i2) is
// written without the accent, a leak by the folded rule only.
func exampleAnswer(img int) string {
	if img == 2 {
		return "This is CE DUPONT."
	}
	return "This is " + exampleNames[img] + " on stage."
}

func exampleRow(model, cond string, cat, phrasing, img int, status string, leaked bool) *leak.Result {
	p := leak.Prompts()[cat*leak.Phrasings+phrasing]
	r := &leak.Result{
		Key:   leak.Key(leak.KeyInput{Model: model, Backend: "ollama", ImageID: fmt.Sprint("i", img), Condition: cond, Prompt: p.Text}),
		Model: model, Backend: "ollama", ImageID: fmt.Sprint("i", img), Name: exampleNames[img], Condition: cond,
		Category: p.CategoryName(), Phrasing: phrasing, Prompt: p.Text, Status: status,
	}
	if status == leak.StatusOK {
		// Dee Dee (i3) is always called by an alias; a leak names the surname too.
		r.SetScores(leak.Scores{Leak: leaked, AliasLeak: img == 3, SurnameLeak: leaked})
		r.Answer = "A person at an event."
		if leaked {
			r.Answer = exampleAnswer(img)
		}
	} else {
		r.Error = "vlm: ollama llava: HTTP 500: CUDA out of memory"
	}
	return r
}

// exampleResults writes the example as a results file, with failures:
// llava's P2R1 answer about i1 first failed, then leaked (the ok row
// supersedes it); llava's P2R2 about i4 and its blurred P2R0 about i4
// failed for good.
func exampleResults(t *testing.T) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.Encode(exampleRow("llava", "original", 2, 1, 1, leak.StatusFailed, false))
	for _, c := range exampleCells {
		for img := range c.scored {
			enc.Encode(exampleRow(c.model, c.cond, c.cat, c.phrasing, img, leak.StatusOK, img < c.leaks))
		}
	}
	enc.Encode(exampleRow("llava", "original", 2, 2, 4, leak.StatusFailed, false))
	enc.Encode(exampleRow("llava", "blur", 2, 0, 4, leak.StatusFailed, false))
	b.WriteString(`{"key":"torn`) // a killed writer's last line: ignored
	path := filepath.Join(t.TempDir(), "results.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func near(a, b float64) bool {
	return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-4
}

func TestTableAHandComputed(t *testing.T) {
	d, bad, err := Load(exampleResults(t))
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	nan := math.NaN()
	tests := []struct {
		variance bool
		model    string
		cat      int
		mean     float64
		spread   float64
		n        int
	}{
		{false, "llava", 0, 0, 0, 6},
		{false, "llava", 1, nan, nan, 0},
		{false, "llava", 2, 50, 35.3553, 6},
		{true, "llava", 2, 50, 1250, 6},
		{false, "llava", 4, 100, nan, 1},
		{false, "blip2", 2, 50, 0, 6},
		{true, "blip2", 2, 50, 0, 6},
	}
	for _, tt := range tests {
		var got *TableARow
		for _, r := range d.TableA(tt.variance) {
			if r.Model == tt.model && r.Category == tt.cat {
				got = &r
			}
		}
		if got == nil {
			t.Fatalf("no Table A row for %s P%d", tt.model, tt.cat)
		}
		if !near(got.Mean, tt.mean) || !near(got.Spread, tt.spread) || got.Phrasings != tt.n {
			t.Errorf("%s P%d (variance %v) = mean %v spread %v phrasings %d, want %v %v %d",
				tt.model, tt.cat, tt.variance, got.Mean, got.Spread, got.Phrasings, tt.mean, tt.spread, tt.n)
		}
	}
	if n := len(d.TableA(false)); n != 10 {
		t.Errorf("Table A has %d rows, want 2 models × 5 categories", n)
	}
}

// TestWilsonHandComputed checks the 95% Wilson interval
//
//	(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n),  z = 1.959964, z² = 3.841459
//
// on the example's cells. For 1/4: p = 0.25, 1 + z²/n = 1.960365,
// center = (0.25 + 0.480182)/1.960365 = 0.372473,
// half = 1.959964/1.960365 · √(0.046875 + 0.060023) = 0.326885,
// so [4.5587, 69.9358] %. For 2/4: center 0.5, half
// 0.999795·√(0.0625 + 0.060023) = 0.349961: [15.0039, 84.9961]. For 0/4
// the lower bound is 0 and the upper 2·(0.480182/1.960365) = 48.9891 %;
// 4/4 mirrors it: [51.0109, 100]. For 3/4 (mirror of 1/4):
// [30.0642, 95.4413]. For 1/2: 1 + z²/2 = 2.920729, half =
// 1.959964/2.920729·√(0.125 + 0.240091) = 0.405469: [9.4531, 90.5469].
// For 2/2: center (1 + 0.960365)/2.920729 = 0.671190, upper 1:
// [34.2380, 100]. For 0/3: upper 2·(0.640243/2.280486) = 56.1497 %.
func TestWilsonHandComputed(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{1, 4, 4.5587, 69.9358}, {2, 4, 15.0039, 84.9961}, {0, 4, 0, 48.9891}, {4, 4, 51.0109, 100},
		{3, 4, 30.0642, 95.4413}, {1, 2, 9.4531, 90.5469}, {2, 2, 34.2380, 100}, {0, 3, 0, 56.1497},
		{0, 0, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		lo, hi := Count{Leaks: tt.k, Scored: tt.n}.Wilson()
		if !near(lo, tt.lo) || !near(hi, tt.hi) {
			t.Errorf("Wilson(%d/%d) = [%.4f, %.4f], want [%.4f, %.4f]", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestFailuresAndIdentities(t *testing.T) {
	d, _, err := Load(exampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	// llava original: 24 P0 + 24 P2 + 2 P4 answered, plus i4's failure;
	// i1's P2R1 failure was superseded by its ok row.
	want := []FailureRow{
		{"llava", "original", 51, 50, 1}, {"llava", "blur", 5, 4, 1},
		{"blip2", "original", 12, 12, 0}, {"blip2", "landscape+blur", 3, 3, 0},
	}
	if got := d.Failures(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Failures() = %v, want %v", got, want)
	}
	// Per person on the original photos, pooled over models and prompts:
	// Ann Ash: llava P0 0/6, P2 5/6 (all but R2), P4 1/1; blip2 P2 6/6 → 12/19.
	// Bob Brown: llava P0 0/6, P2 4/6 (R1, R3, R4, R5), P4 1/1; blip2 0/6 → 5/19.
	// Cé Dupont: llava P0 0/6, P2 2/6 (R3, R4) → 2/12.
	// Dee Dee: llava P0 0/6, P2 1/6 (R3) → 1/12. Eve Evans: only failures.
	all := AllPrompts
	tests := []struct {
		sel  IdentitySelection
		want []IdentityRow
		err  error
	}{
		{IdentitySelection{Prompt: all}, []IdentityRow{{"Ann Ash", Count{12, 19}}, {"Bob Brown", Count{5, 19}}, {"Cé Dupont", Count{2, 12}}, {"Dee Dee", Count{1, 12}}}, nil},
		// blip2 alone: Ann Ash 6/6, Bob Brown 0/6.
		{IdentitySelection{Prompt: all, Model: "blip2"}, []IdentityRow{{"Ann Ash", Count{6, 6}}, {"Bob Brown", Count{0, 6}}}, nil},
		// The default, the study's: P4 R0, asked of llava only, 2/2.
		{IdentitySelection{}, []IdentityRow{{"Ann Ash", Count{1, 1}}, {"Bob Brown", Count{1, 1}}}, nil},
		{IdentitySelection{Condition: "original", Prompt: "P4R0"}, []IdentityRow{{"Ann Ash", Count{1, 1}}, {"Bob Brown", Count{1, 1}}}, nil},
		// P2 R0: llava 1/4 (i0) and blip2 1/2 (i0), pooled.
		{IdentitySelection{Prompt: "P2R0"}, []IdentityRow{{"Ann Ash", Count{2, 2}}, {"Bob Brown", Count{0, 2}}, {"Cé Dupont", Count{0, 1}}, {"Dee Dee", Count{0, 1}}}, nil},
		{IdentitySelection{Prompt: "P2R0", Model: "llava"}, []IdentityRow{{"Ann Ash", Count{1, 1}}, {"Bob Brown", Count{0, 1}}, {"Cé Dupont", Count{0, 1}}, {"Dee Dee", Count{0, 1}}}, nil},
		// blur, P2 R0: llava 1/4; i4 failed.
		{IdentitySelection{Condition: "blur", Prompt: "P2R0"}, []IdentityRow{{"Ann Ash", Count{1, 1}}, {"Bob Brown", Count{0, 1}}, {"Cé Dupont", Count{0, 1}}, {"Dee Dee", Count{0, 1}}}, nil},
		{IdentitySelection{Condition: "blur"}, nil, nil},
		{IdentitySelection{Prompt: all, Model: "nobody"}, nil, nil},
		{IdentitySelection{Prompt: all, Condition: "nowhere"}, nil, nil},
		{IdentitySelection{Prompt: "P5R0"}, nil, ErrIdentityPrompt},
		{IdentitySelection{Prompt: "P4R6"}, nil, ErrIdentityPrompt},
		{IdentitySelection{Prompt: "p4r0"}, nil, ErrIdentityPrompt},
		{IdentitySelection{Prompt: "P4R00"}, nil, ErrIdentityPrompt},
	}
	for _, tt := range tests {
		got, err := d.Identities(tt.sel)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || !errors.Is(err, tt.err) {
			t.Errorf("Identities(%+v) = %v, %v; want %v, %v", tt.sel, got, err, tt.want, tt.err)
		}
	}
	// llava, original, P2: 24 scored, 1+2+0+4+3+2 = 12 leaks (and 12
	// surnames); i3 answered in all six phrasings → 6 alias leaks; i3
	// leaked the full name only in R3, so name or alias = 12 + 6 − 1 = 17.
	var p2 *NameFormRow
	for _, r := range d.NameForms() {
		if r.Model == "llava" && r.Condition == "original" && r.Category == 2 {
			p2 = &r
		}
	}
	// Cé Dupont's two leaks (R3, R4) are folded only.
	if want := (NameFormRow{"llava", "original", 2, 24, 12, 6, 12, 17, 12, 10, 2, 0}); p2 == nil || *p2 != want {
		t.Errorf("NameForms llava original P2 = %+v, want %+v", p2, want)
	}
	if got := d.Conditions(); fmt.Sprint(got) != "[original blur landscape+blur]" {
		t.Errorf("Conditions() = %v", got)
	}
}

func TestSpearman(t *testing.T) {
	tests := []struct {
		xs, ys []float64
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		// Ranks x: 1,2,3,4,5; y: 2,1,4,3,5 → d² = 1+1+1+1+0 = 4,
		// ρ = 1 − 6·4/(5·24) = 0.8.
		{[]float64{1, 10, 100, 1000, 10000}, []float64{20, 10, 40, 30, 50}, 0.8},
		// Ties: y ranks 1.5,1.5,3 against x ranks 1,2,3: Pearson of
		// ranks = (0·… ) = 0.866025 (√3/2).
		{[]float64{1, 2, 3}, []float64{5, 5, 9}, math.Sqrt(3) / 2},
		{[]float64{1, 2}, []float64{3, 3}, math.NaN()},
		{[]float64{1}, []float64{1}, math.NaN()},
	}
	for _, tt := range tests {
		if got := Spearman(tt.xs, tt.ys); !near(got, tt.want) {
			t.Errorf("Spearman(%v, %v) = %v, want %v", tt.xs, tt.ys, got, tt.want)
		}
	}
}

func TestReadNameCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counts.csv")
	os.WriteFile(path, []byte("name,count\nAnn Ash,1000\n\"Cé  Dupont\",10\nBob Brown,lots\nDee Dee,5,6\nann ash,3\n"), 0o644)
	counts, bad, err := ReadNameCounts(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts["ann ash"] != 1000 || counts["ce dupont"] != 10 {
		t.Errorf("counts = %v", counts)
	}
	want := []string{":4: count", ":5: want 2 fields", ":6: name"}
	if len(bad) != len(want) {
		t.Fatalf("bad = %v", bad)
	}
	for i, w := range want {
		if !strings.Contains(bad[i].Error(), path+w) {
			t.Errorf("bad[%d] = %v, want %q", i, bad[i], path+w)
		}
	}
}

func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{
		"original": "original", "landscape+blur": "landscape+blur", "a/b c": "a_b_c", "ümlaut": "_mlaut",
	} {
		if got := FileSafe(in); got != want {
			t.Errorf("FileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteGolden writes the example's report and compares every table
// with its golden file; go test -run TestWriteGolden -update rewrites them.
func TestWriteGolden(t *testing.T) {
	d, _, err := Load(exampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{"ann ash": 5000, "bob brown": 800, "ce dupont": 120, "dee dee": 0}
	for _, variance := range []bool{false, true} {
		dir := t.TempDir()
		sum, err := d.Write(dir, Options{Variance: variance, NameCounts: counts, Identities: IdentitySelection{Prompt: AllPrompts}})
		if err != nil {
			t.Fatal(err)
		}
		// Ranks of counts 5000, 800, 120, 0 and of rates 63.2, 26.3,
		// 16.7, 8.3 agree: ρ = 1.
		if sum.Matched != 4 || len(sum.Unmatched) != 0 || !near(sum.Rho, 1) {
			t.Errorf("frequency summary: %+v", sum)
		}
		for _, f := range sum.Files {
			name := filepath.Base(f)
			if strings.HasSuffix(name, ".png") {
				checkPNG(t, f)
				continue
			}
			golden := name
			if variance {
				if !strings.HasPrefix(name, "table_a.") {
					continue
				}
				golden = strings.Replace(name, "table_a.", "table_a_variance.", 1)
			}
			compareGolden(t, f, filepath.Join("testdata", "golden", golden))
		}
		if !variance {
			wantFiles := "failures.csv identities.csv leak_by_identity.csv leak_by_identity.png leak_distribution.csv leak_distribution.png " +
				"leak_vs_frequency.csv leak_vs_frequency.png name_forms.csv " +
				"table_a.csv table_a.md table_a.tex table_a_expanded.csv table_a_expanded.md table_a_expanded.tex " +
				"table_b_blur.csv table_b_blur.md table_b_blur.tex table_b_landscape+blur.csv table_b_landscape+blur.md " +
				"table_b_landscape+blur.tex table_b_original.csv table_b_original.md table_b_original.tex " +
				"table_delta.csv table_delta.md table_delta.tex"
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if got := strings.Join(names, " "); got != wantFiles {
				t.Errorf("files:\n%s\nwant\n%s", got, wantFiles)
			}
		}
	}
}

func compareGolden(t *testing.T, got, golden string) {
	t.Helper()
	data, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("%s differs from %s:\n%s", filepath.Base(got), golden, data)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("%s is %v, too small", path, b)
	}
}

// TestEmptyAnswerIsAFailure: an ok row with an empty answer (results written
// before empty answers were recorded as failures) is counted in
// failures.csv and never scored as "no leak".
func TestEmptyAnswerIsAFailure(t *testing.T) {
	d := New()
	for img, answer := range []string{"This is Ann Ash.", "", "  "} {
		r := exampleRow("llava", "original", 2, 0, img, leak.StatusOK, img == 0)
		r.Answer = answer
		if err := d.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Failures(); len(got) != 1 || got[0].OK != 1 || got[0].Failed != 2 {
		t.Errorf("Failures() = %+v, want 1 ok and 2 failed", got)
	}
	if c := d.cells(leak.OriginalCondition)[[3]int{0, 2, 0}]; c.Scored != 1 || c.Leaks != 1 {
		t.Errorf("P2 R0 cell = %+v, want 1 of 1 scored (the empty answers not scored)", c)
	}
}

// TestMatchRule counts the example's leaks by either full-name rule: Cé
// Dupont's two leaks ("CE DUPONT", llava P2 R3 and R4) are leaks by the
// folded rule only, and every table's caption names the rule.
func TestMatchRule(t *testing.T) {
	d, _, err := Load(exampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		match leak.Match
		ids   []IdentityRow // original, all prompts, models pooled
		r3    Count         // llava original P2 R3
	}{
		{leak.MatchFolded, []IdentityRow{{"Ann Ash", Count{12, 19}}, {"Bob Brown", Count{5, 19}}, {"Cé Dupont", Count{2, 12}}, {"Dee Dee", Count{1, 12}}}, Count{4, 4}},
		{leak.MatchLiteral, []IdentityRow{{"Ann Ash", Count{12, 19}}, {"Bob Brown", Count{5, 19}}, {"Dee Dee", Count{1, 12}}, {"Cé Dupont", Count{0, 12}}}, Count{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.match.String(), func(t *testing.T) {
			d.SetMatch(tt.match)
			if got, _ := d.Identities(IdentitySelection{Prompt: AllPrompts}); fmt.Sprint(got) != fmt.Sprint(tt.ids) {
				t.Errorf("Identities = %v, want %v", got, tt.ids)
			}
			for _, c := range d.Expanded() {
				if c.Model == "llava" && c.Category == 2 && c.Phrasing == 3 && c.Count != tt.r3 {
					t.Errorf("llava P2 R3 = %v, want %v", c.Count, tt.r3)
				}
			}
			dir := t.TempDir()
			sum, err := d.Write(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tables := 0
			for _, f := range sum.Files {
				if ext := filepath.Ext(f); ext != ".md" && ext != ".tex" {
					continue
				}
				tables++
				data, _ := os.ReadFile(f)
				if !bytes.Contains(data, []byte("Leak rule: "+tt.match.String()+" (")) {
					t.Errorf("%s does not name the rule %s in its caption", filepath.Base(f), tt.match)
				}
			}
			if tables == 0 {
				t.Error("no tables written")
			}
		})
	}
}

// TestAddRescores checks that the stored answers are rescored by both
// rules, whatever leak column the row carries.
func TestAddRescores(t *testing.T) {
	tests := []struct {
		answer, name    string
		stored          bool
		folded, literal bool
	}{
		{"It is Beyoncé Knowles.", "Beyoncé Knowles", true, true, true},
		{"It is Beyonce Knowles.", "Beyoncé Knowles", true, true, false},
		{"It is Beyoncé\nKnowles.", "Beyoncé Knowles", false, true, false},
		{"A singer on stage.", "Beyoncé Knowles", true, false, false},
	}
	for i, tt := range tests {
		d := New()
		r := exampleRowFor("m", "original", leak.Prompts()[0], i, tt.name, tt.stored)
		r.Answer = tt.answer
		if err := d.Add(r); err != nil {
			t.Fatal(err)
		}
		if got := d.recs[0]; got.leak != tt.folded || got.literal != tt.literal {
			t.Errorf("%q about %q: folded %v literal %v, want %v %v", tt.answer, tt.name, got.leak, got.literal, tt.folded, tt.literal)
		}
	}
}

// TestNewcombe checks the hybrid score interval against the examples of
// Newcombe (1998), Statistics in Medicine 17:873–890, method 10, to four
// decimals. 6/7 − 2/7 is worked by hand: Wilson [0.48687, 0.97432] and
// [0.08222, 0.64107], so lo = 0.571429 − √(0.370273² + 0.355356²) = 0.0582
// and hi = 0.571429 + √(0.117177² + 0.203494²) = 0.8062.
func TestNewcombe(t *testing.T) {
	tests := []struct {
		k1, n1, k2, n2 int
		diff, lo, hi   float64
	}{
		{56, 70, 48, 80, 0.2, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.6, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.5714, 0.0582, 0.8062},
		{5, 56, 0, 29, 0.0893, -0.0381, 0.1926},
		{0, 10, 0, 20, 0, -0.1611, 0.2775},
		{0, 10, 0, 10, 0, -0.2775, 0.2775},
		{10, 10, 0, 20, 1, 0.6791, 1},
		{10, 10, 0, 10, 1, 0.6075, 1},
	}
	for _, tt := range tests {
		d, lo, hi := Newcombe(tt.k1, tt.n1, tt.k2, tt.n2, Z95)
		if math.Abs(d-tt.diff) > 1e-4 || math.Abs(lo-tt.lo) > 6e-5 || math.Abs(hi-tt.hi) > 6e-5 {
			t.Errorf("Newcombe(%d/%d − %d/%d) = %.4f [%.4f, %.4f], want %.4f [%.4f, %.4f]",
				tt.k1, tt.n1, tt.k2, tt.n2, d, lo, hi, tt.diff, tt.lo, tt.hi)
		}
	}
	if d, lo, hi := Newcombe(1, 4, 0, 0, Z95); !math.IsNaN(d) || !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("Newcombe with n2 = 0 = %v %v %v, want NaN", d, lo, hi)
	}
}

// TestDelta checks the like-for-like comparison on the example: llava's
// blurred P2 R0 (1/4) against its original P2 R0 (1/4) is 0 with the
// interval ±√((0.25 − 0.045587)² + (0.699358 − 0.25)²) = ±49.3668 points;
// a category with no R0 answer on either side has none.
func TestDelta(t *testing.T) {
	d, _, err := Load(exampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	tests := []struct {
		model, cond  string
		cat          int
		c, o         Count
		diff, lo, hi float64
	}{
		{"llava", "blur", 2, Count{1, 4}, Count{1, 4}, 0, -49.3668, 49.3668},
		{"llava", "blur", 0, Count{0, 0}, Count{0, 4}, nan, nan, nan},
		{"llava", "blur", 4, Count{0, 0}, Count{2, 2}, nan, nan, nan},
		{"blip2", "landscape+blur", 4, Count{0, 3}, Count{0, 0}, nan, nan, nan},
	}
	rows := d.Delta()
	if len(rows) != 2*leak.Categories {
		t.Errorf("%d rows; want 2 (model, condition) pairs × 5 categories", len(rows))
	}
	for _, tt := range tests {
		i := slices.IndexFunc(rows, func(r DeltaRow) bool {
			return r.Model == tt.model && r.Condition == tt.cond && r.Category == tt.cat
		})
		if i < 0 {
			t.Errorf("no row for %s %s P%d", tt.model, tt.cond, tt.cat)
			continue
		}
		r := rows[i]
		if r.Cond != tt.c || r.Original != tt.o || !near(r.Diff, tt.diff) || !near(r.Low, tt.lo) || !near(r.High, tt.hi) {
			t.Errorf("%s %s P%d = %+v; want %v − %v = %v [%v, %v]", tt.model, tt.cond, tt.cat, r, tt.c, tt.o, tt.diff, tt.lo, tt.hi)
		}
	}
	for _, r := range rows {
		if r.Condition == leak.OriginalCondition {
			t.Errorf("a row for the original photos: %+v", r)
		}
	}
}
