package report

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/leak"
)

func TestSweeps(t *testing.T) {
	conds := []string{"original", "blur", "white", "white+blur", "pixelate:grid=4", "pixelate:grid=16", "pixelate:grid=2",
		"white+pixelate:grid=4", "gaussian:sigma=0.2", "gaussian:sigma=0.05", "pixelate:grid=10,scale=1.3", "pixelate:cell=8", "fill", "my_own"}
	got := map[string][]string{}
	var ids []string
	for _, sw := range Sweeps(conds) {
		ids = append(ids, sw.ID)
		for _, p := range sw.Points {
			got[sw.ID] = append(got[sw.ID], p.Condition)
		}
	}
	want := map[string][]string{
		// grid: finer is weaker, so 16 comes first; blur is grid 10.
		"original+pixelate-grid":         {"pixelate:grid=16", "blur", "pixelate:grid=4", "pixelate:grid=2"},
		"original+pixelate-scale-grid10": {"blur", "pixelate:grid=10,scale=1.3"},
		"white+pixelate-grid":            {"white+blur", "white+pixelate:grid=4"},
		"original+gaussian-sigma":        {"gaussian:sigma=0.05", "gaussian:sigma=0.2"},
	}
	if len(got) != len(want) {
		t.Errorf("sweeps %v, want %d", ids, len(want))
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("sweep %s = %v, want %v", id, got[id], w)
		}
	}
}

func TestParseStrength(t *testing.T) {
	for _, tc := range []struct {
		in           string
		base, method string
		grid, scale  float64
		ok           bool
	}{
		{"original", "original", "", 0, 0, true},
		{"landscape+blur", "landscape", "pixelate", 10, 1, true},
		{"white+pixelate:grid=4,scale=1.3", "white", "pixelate", 4, 1.3, true},
		{"pixelate:grid=x", "", "", 0, 0, false},
		{"sepia", "", "", 0, 0, false},
		{"blur:grid=4", "", "", 0, 0, false},
		{"white+landscape", "", "", 0, 0, false},
	} {
		s, ok := parseStrength(tc.in)
		if ok != tc.ok {
			t.Errorf("parseStrength(%q) ok = %v", tc.in, ok)
			continue
		}
		if ok && (s.base != tc.base || s.method != tc.method || s.params["grid"] != tc.grid || s.params["scale"] != tc.scale) {
			t.Errorf("parseStrength(%q) = %+v", tc.in, s)
		}
	}
}

// TestDoseAndAudit builds results of a sweep by hand (two models, the
// original and three grids, R0 prompts) and an audit, and checks the dose
// rows, the written tables and the figure.
func TestDoseAndAudit(t *testing.T) {
	d := New()
	// leaks[model][condition] = leaks among the 5 R0 prompts × 4 images.
	leaks := map[string]map[string]int{
		"llava": {"original": 12, "pixelate:grid=16": 10, "blur": 6, "pixelate:grid=2": 1},
		"blip2": {"original": 4, "pixelate:grid=16": 4, "blur": 2, "pixelate:grid=2": 0},
	}
	for _, model := range []string{"llava", "blip2"} {
		for _, cond := range []string{"original", "pixelate:grid=16", "blur", "pixelate:grid=2"} {
			k := leaks[model][cond]
			n := 0
			for cat := range leak.Categories {
				for img := 0; img < 4; img++ {
					if err := d.Add(exampleRow(model, cond, cat, 0, img, leak.StatusOK, n < k)); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
		}
	}
	audit := &Audit{Detector: "yunet:yunet-face.onnx", FacesFrom: []string{"yolov8-face:yolov8-lite-t-face.onnx"}, IoU: 0.3, Conditions: []AuditCondition{
		{Condition: "blur", Variants: 4, OriginalFaces: 5, Residuals: 2, BySize: []AuditSize{{"<48", 3, 2}, {"48-96", 2, 0}}},
		{Condition: "pixelate:grid=16", Variants: 4, OriginalFaces: 5, Residuals: 4, BySize: []AuditSize{{"<48", 3, 3}, {"48-96", 2, 1}}},
		{Condition: "pixelate:grid=2", Variants: 4, OriginalFaces: 5, Residuals: 0, BySize: []AuditSize{{"<48", 3, 0}, {"48-96", 2, 0}}},
	}}
	sws := Sweeps(d.Conditions())
	if len(sws) != 1 {
		t.Fatalf("sweeps %+v", sws)
	}
	rows := d.Dose(sws[0], audit)
	type key struct{ cond, series string }
	got := map[key]Count{}
	var order []string
	for _, r := range rows {
		got[key{r.Condition, r.Series}] = r.Count
		if !slices.Contains(order, r.Condition) {
			order = append(order, r.Condition)
		}
		if (r.Condition == "original") != math.IsNaN(r.Value) {
			t.Errorf("%s value %v", r.Condition, r.Value)
		}
	}
	if !slices.Equal(order, []string{"original", "pixelate:grid=16", "blur", "pixelate:grid=2"}) {
		t.Errorf("dose order %v", order)
	}
	for model, byCond := range leaks {
		for cond, k := range byCond {
			if c := got[key{cond, model}]; c != (Count{Leaks: k, Scored: 20}) {
				t.Errorf("%s %s: %+v, want %d/20", model, cond, c, k)
			}
		}
	}
	if c := got[key{"blur", auditSeries(audit)}]; c != (Count{Leaks: 2, Scored: 5}) {
		t.Errorf("audit of blur %+v", c)
	}
	dir := t.TempDir()
	files, err := d.WriteStrength(dir, audit)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"audit.csv", "audit.md", "audit.tex", "dose_original+pixelate-grid.csv", "dose_original+pixelate-grid.md", "dose_original+pixelate-grid.tex", "dose_original+pixelate-grid.png"} {
		if !slices.Contains(files, filepath.Join(dir, name)) {
			t.Errorf("%s not written (%v)", name, files)
		}
	}
	checkPNG(t, filepath.Join(dir, "dose_original+pixelate-grid.png"))
	md, err := os.ReadFile(filepath.Join(dir, "dose_original+pixelate-grid.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| none (original) | 60.0 (12/20)", "| grid=10 | 30.0 (6/20)", "40.0 (2/5)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("dose table lacks %q:\n%s", want, md)
		}
	}
	am, err := os.ReadFile(filepath.Join(dir, "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(am), "| blur | 4 | 40.0 (2/5)") || !strings.Contains(string(am), "66.7 (2/3)") {
		t.Errorf("audit table:\n%s", am)
	}
	// Without an audit: the dose table alone.
	files, err = d.WriteStrength(t.TempDir(), nil)
	if err != nil || len(files) != 4 {
		t.Errorf("without audit: %v, %v", files, err)
	}
}

func TestReadAudit(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadAudit(dir); !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing audit: %v", err)
	}
	os.WriteFile(filepath.Join(dir, AuditFile), []byte(`{"detector":"d","conditions":[{"condition":"blur","original_faces":3,"residuals":1,"by_size":[{"size":"<48","original_faces":3,"residuals":1}]}]}`), 0o644)
	a, err := ReadAudit(dir)
	if err != nil || len(a.Conditions) != 1 || a.Conditions[0].BySize[0].Residuals != 1 {
		t.Errorf("ReadAudit = %+v, %v", a, err)
	}
	os.WriteFile(filepath.Join(dir, AuditFile), []byte(`{"detector":`), 0o644)
	if _, err := ReadAudit(dir); err == nil || !strings.Contains(err.Error(), AuditFile) {
		t.Errorf("bad audit: %v", err)
	}
}
