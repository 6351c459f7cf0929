package report

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/leak"
)

// AuditFile is the audit's file in a dataset folder, as phantom audit
// writes it (pipeline.WriteAudit).
const AuditFile = "audit.json"

// Audit is the part of phantom audit's report (pipeline.AuditReport, the
// file audit.json) that the report shows. It is declared here, with the
// same JSON names, so that the report depends on the file format only.
type Audit struct {
	// Detector is the face detector of the audit; FacesFrom the ones that
	// found the original faces; SameFamily whether they are of one family.
	Detector   string           `json:"detector"`
	FacesFrom  []string         `json:"faces_from"`
	SameFamily bool             `json:"same_family"`
	IoU        float64          `json:"iou"`
	Conditions []AuditCondition `json:"conditions"`
}

// AuditCondition is one condition's line of the audit.
type AuditCondition struct {
	Condition     string      `json:"condition"`
	Variants      int         `json:"variants"`
	OriginalFaces int         `json:"original_faces"`
	Residuals     int         `json:"residuals"`
	BySize        []AuditSize `json:"by_size"`
}

// AuditSize is one band of face heights of a condition's audit.
type AuditSize struct {
	Size          string `json:"size"`
	OriginalFaces int    `json:"original_faces"`
	Residuals     int    `json:"residuals"`
}

// ReadAudit reads dataset/audit.json. The error wraps os.ErrNotExist when
// the dataset has not been audited.
func ReadAudit(dataset string) (*Audit, error) {
	path := filepath.Join(dataset, AuditFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w (run phantom audit %s first)", err, dataset)
	}
	var a Audit
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	return &a, nil
}

func (a *Audit) condition(c string) (AuditCondition, bool) {
	if a == nil {
		return AuditCondition{}, false
	}
	for _, ac := range a.Conditions {
		if ac.Condition == c {
			return ac, true
		}
	}
	return AuditCondition{}, false
}

// residualCell formats a residual count like a leak cell: "%", (k/n), and
// the 95% Wilson interval.
func residualCell(k, n int) string { return countCell(Count{Leaks: k, Scored: n}) }

// auditGrid is the audit table: one row per condition, the residual faces
// overall and per band of face height.
func auditGrid(a *Audit) grid {
	g := grid{
		caption: fmt.Sprintf("Audit: %% of the original faces still found on the anonymized variants by %s (faces found by %s%s; a residual has IoU ≥ %.2f), "+
			"(residual/faces) and 95%% Wilson interval, overall and by the face's height in the original photo.",
			a.Detector, strings.Join(a.FacesFrom, ", "), sameFamilyNote(a), a.IoU),
		label:  "tab:audit",
		header: []string{"condition", "variants", "all faces"},
	}
	var sizes []string
	for _, c := range a.Conditions {
		for _, s := range c.BySize {
			if !slices.Contains(sizes, s.Size) {
				sizes = append(sizes, s.Size)
			}
		}
	}
	for _, s := range sizes {
		g.header = append(g.header, "h "+s+" px")
	}
	for _, c := range a.Conditions {
		line := []string{c.Condition, strconv.Itoa(c.Variants), residualCell(c.Residuals, c.OriginalFaces)}
		for _, s := range sizes {
			cell := "–"
			for _, b := range c.BySize {
				if b.Size == s {
					cell = residualCell(b.Residuals, b.OriginalFaces)
				}
			}
			line = append(line, cell)
		}
		g.rows = append(g.rows, line)
	}
	return g
}

func sameFamilyNote(a *Audit) string {
	if a.SameFamily {
		return "; the same family: a model checking its own work"
	}
	return ""
}

func auditCSV(a *Audit) []byte {
	var rows [][]string
	for _, c := range a.Conditions {
		add := func(size string, k, n int) {
			lo, hi := Count{Leaks: k, Scored: n}.Wilson()
			rows = append(rows, []string{c.Condition, size, strconv.Itoa(c.Variants), strconv.Itoa(n), strconv.Itoa(k),
				csvNum(Count{Leaks: k, Scored: n}.Rate()), csvNum(lo), csvNum(hi), a.Detector})
		}
		add("all", c.Residuals, c.OriginalFaces)
		for _, s := range c.BySize {
			add(s.Size, s.Residuals, s.OriginalFaces)
		}
	}
	return writeCSV([]string{"condition", "face_size", "variants", "original_faces", "residuals", "residual_rate", "wilson_low", "wilson_high", "detector"}, rows)
}

// strength is a condition taken apart as the condition grammar writes it
// (see pipeline.Condition): a base, a method and its numeric parameters.
type strength struct {
	base, method string
	params       map[string]float64
}

// parseStrength reads a condition name: "original", "white", "blur",
// "white+blur", "pixelate:grid=4", "landscape+gaussian:sigma=0.2,scale=1.3".
// Every anonymized condition gets scale 1 unless it says otherwise; blur is
// pixelate on a 10×10 grid. ok is false for a name it cannot read.
func parseStrength(c string) (s strength, ok bool) {
	head, params, _ := strings.Cut(c, ":")
	s.base, s.method = "original", head
	if b, m, found := strings.Cut(head, "+"); found {
		s.base, s.method = b, m
	}
	switch s.method {
	case "original", "landscape", "white":
		if params != "" || strings.Contains(head, "+") {
			return s, false
		}
		return strength{base: s.method}, true
	case "blur":
		return strength{base: s.base, method: "pixelate", params: map[string]float64{"grid": 10, "scale": 1}}, params == ""
	case "pixelate", "gaussian", "fill":
	default:
		return s, false
	}
	s.params = map[string]float64{"scale": 1}
	if params != "" {
		for _, kv := range strings.Split(params, ",") {
			k, v, found := strings.Cut(kv, "=")
			f, err := strconv.ParseFloat(v, 64)
			if !found || err != nil {
				return s, false
			}
			s.params[k] = f
		}
	}
	return s, true
}

// Sweep is a set of conditions that differ in one parameter of one method
// on one base: a dose–response series.
type Sweep struct {
	// ID names the sweep in file names: base, method and parameter, and
	// the fixed parameters ("original+pixelate-grid", "white+gaussian-sigma-scale1.3").
	ID string
	// Base, Method and Param say what varies; Fixed the other parameters.
	Base, Method, Param string
	Fixed               map[string]float64
	// Points are the conditions from the weakest to the strongest setting
	// (a finer grid, a smaller cell, sigma or scale is weaker).
	Points []SweepPoint
}

// SweepPoint is one strength of a sweep.
type SweepPoint struct {
	Condition string
	Value     float64
}

// Sweeps finds the sweeps among conditions: for each method on each base,
// each parameter that takes at least two values while the others stay the
// same. The paper's blur counts as pixelate:grid=10.
func Sweeps(conditions []string) []Sweep {
	groups := map[string]*Sweep{}
	var order []string
	for _, c := range conditions {
		s, ok := parseStrength(c)
		if !ok || s.method == "" {
			continue
		}
		keys := make([]string, 0, len(s.params))
		for k := range s.params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			id := s.base + "+" + s.method + "-" + k
			fixed := map[string]float64{}
			for _, o := range keys {
				if o != k && !(o == "scale" && s.params[o] == 1) {
					fixed[o] = s.params[o]
					id += "-" + o + strconv.FormatFloat(s.params[o], 'g', -1, 64)
				}
			}
			g := groups[id]
			if g == nil {
				g = &Sweep{ID: id, Base: s.base, Method: s.method, Param: k, Fixed: fixed}
				groups[id] = g
				order = append(order, id)
			}
			if !slices.ContainsFunc(g.Points, func(p SweepPoint) bool { return p.Value == s.params[k] }) {
				g.Points = append(g.Points, SweepPoint{Condition: c, Value: s.params[k]})
			}
		}
	}
	var out []Sweep
	for _, id := range order {
		g := groups[id]
		if len(g.Points) < 2 {
			continue
		}
		desc := g.Param == "grid"
		sort.SliceStable(g.Points, func(i, j int) bool {
			if desc {
				return g.Points[i].Value > g.Points[j].Value
			}
			return g.Points[i].Value < g.Points[j].Value
		})
		out = append(out, *g)
	}
	return out
}

// DoseRow is one strength of a sweep for one series: a model's R0 leaks
// (all five categories' R0 prompts pooled), or the audit's residual faces.
type DoseRow struct {
	Sweep, Condition string
	// Value is the parameter's value, NaN for the base without
	// anonymization (the sweep's first point when the results have it).
	Value float64
	// Series is the model, or "audit: residual faces (DETECTOR)".
	Series string
	Count  Count
}

// Dose returns sw's table: for the unanonymized base (when the results
// have it) and each point from the weakest, one row per model with its R0
// leaks, and, with an audit, one row of residual faces.
func (d *Data) Dose(sw Sweep, a *Audit) []DoseRow {
	var out []DoseRow
	points := sw.Points
	if _, ok := d.condIdx[sw.Base]; ok {
		points = append([]SweepPoint{{Condition: sw.Base, Value: math.NaN()}}, points...)
	}
	for _, p := range points {
		cells := d.cells(p.Condition)
		for mi, m := range d.models {
			var c Count
			for cat := range leak.Categories {
				k := cells[[3]int{mi, cat, 0}]
				c.Leaks += k.Leaks
				c.Scored += k.Scored
			}
			if c.Scored > 0 {
				out = append(out, DoseRow{Sweep: sw.ID, Condition: p.Condition, Value: p.Value, Series: m, Count: c})
			}
		}
		if ac, ok := a.condition(p.Condition); ok {
			out = append(out, DoseRow{Sweep: sw.ID, Condition: p.Condition, Value: p.Value, Series: auditSeries(a), Count: Count{Leaks: ac.Residuals, Scored: ac.OriginalFaces}})
		}
	}
	return out
}

func auditSeries(a *Audit) string { return "audit: residual faces (" + a.Detector + ")" }

func pointLabel(sw Sweep, cond string, v float64) string {
	if math.IsNaN(v) {
		return "none (" + cond + ")"
	}
	return sw.Param + "=" + strconv.FormatFloat(v, 'g', -1, 64)
}

// doseGrid is a sweep's table: one row per strength, one column per series.
func doseGrid(sw Sweep, rows []DoseRow, m string) grid {
	what := sw.Method + " on " + sw.Base + ", varying " + sw.Param
	fixed := make([]string, 0, len(sw.Fixed))
	for k := range sw.Fixed {
		fixed = append(fixed, k)
	}
	sort.Strings(fixed)
	for _, k := range fixed {
		what += fmt.Sprintf(", %s=%g", k, sw.Fixed[k])
	}
	g := grid{
		caption: fmt.Sprintf("Dose and response (%s), from the weakest setting to the strongest: %%leaks of the R0 prompts (P0–P4 pooled), "+
			"(leaks/scored) and 95%% Wilson interval, per model; the audit row is the %% of original faces a detector still finds. %s", what, m),
		label:  "tab:dose-" + FileSafe(sw.ID),
		header: []string{"strength"},
	}
	var series []string
	for _, r := range rows {
		if !slices.Contains(series, r.Series) {
			series = append(series, r.Series)
		}
	}
	g.header = append(g.header, series...)
	var conds []string
	for _, r := range rows {
		if !slices.Contains(conds, r.Condition) {
			conds = append(conds, r.Condition)
		}
	}
	for _, c := range conds {
		line := make([]string, 1+len(series))
		for i := range line {
			line[i] = "–"
		}
		for _, r := range rows {
			if r.Condition == c {
				line[0] = pointLabel(sw, c, r.Value)
				line[1+slices.Index(series, r.Series)] = countCell(r.Count)
			}
		}
		g.rows = append(g.rows, line)
	}
	return g
}

func doseCSV(rows []DoseRow) []byte {
	var out [][]string
	for _, r := range rows {
		lo, hi := r.Count.Wilson()
		out = append(out, []string{r.Sweep, r.Condition, csvNum(r.Value), r.Series, strconv.Itoa(r.Count.Leaks), strconv.Itoa(r.Count.Scored), csvNum(r.Count.Rate()), csvNum(lo), csvNum(hi)})
	}
	return writeCSV([]string{"sweep", "condition", "value", "series", "k", "n", "rate", "wilson_low", "wilson_high"}, out)
}

// doseSeries implements the XYer and YErrorer of one series of the dose
// figure: point i is at x = its strength's position.
type doseSeries struct {
	xs     []float64
	counts []Count
}

func (s doseSeries) Len() int                    { return len(s.xs) }
func (s doseSeries) XY(i int) (float64, float64) { return s.xs[i], s.counts[i].Rate() }
func (s doseSeries) YError(i int) (float64, float64) {
	lo, hi := s.counts[i].Wilson()
	r := s.counts[i].Rate()
	return r - lo, hi - r
}

var seriesColors = []color.RGBA{
	{0x3b, 0x6e, 0xa5, 0xff}, {0xe6, 0x7e, 0x22, 0xff}, {0x27, 0xae, 0x60, 0xff},
	{0x8e, 0x44, 0xad, 0xff}, {0x16, 0xa0, 0x85, 0xff}, {0x7f, 0x8c, 0x8d, 0xff},
}

// doseFigure draws a sweep: % against strength (positions from the
// weakest), one line per model with Wilson intervals, and the audit's
// residual faces dashed.
func doseFigure(sw Sweep, rows []DoseRow, title string) ([]byte, error) {
	var conds, labels, series []string
	for _, r := range rows {
		if !slices.Contains(conds, r.Condition) {
			conds = append(conds, r.Condition)
			labels = append(labels, pointLabel(sw, r.Condition, r.Value))
		}
		if !slices.Contains(series, r.Series) {
			series = append(series, r.Series)
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "strength, weakest to strongest"
	p.Y.Label.Text = "% (95% Wilson interval)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = plot.ConstantTicks(percentTicks(10))
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for si, name := range series {
		var s doseSeries
		// Each series a little to the side, so that intervals do not hide
		// one another.
		shift := 0.06 * (float64(si) - float64(len(series)-1)/2)
		for _, r := range rows {
			if r.Series == name && r.Count.Scored > 0 {
				s.xs = append(s.xs, float64(slices.Index(conds, r.Condition))+shift)
				s.counts = append(s.counts, r.Count)
			}
		}
		if s.Len() == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s)
		if err != nil {
			return nil, err
		}
		col := seriesColors[si%len(seriesColors)]
		if strings.HasPrefix(name, "audit:") {
			col = color.RGBA{0xc0, 0x39, 0x2b, 0xff}
			l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			pts.Shape = draw.SquareGlyph{}
		}
		l.LineStyle.Color, pts.Color = col, col
		l.LineStyle.Width = vg.Points(1.5)
		eb, err := plotter.NewYErrorBars(s)
		if err != nil {
			return nil, err
		}
		eb.Color = col
		p.Add(l, pts, eb)
		p.Legend.Add(name, l, pts)
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	return renderPNG(p, 7*vg.Inch, 4.5*vg.Inch)
}

// WriteStrength writes into dir (created if needed) the audit table when a
// is not nil, and a table and a figure for every sweep among the results'
// conditions, each file atomically:
//
//	audit.{csv,md,tex}          the audit: residual faces per condition and face size
//	dose_<sweep>.{csv,md,tex}   R0 %leaks per model against strength, and the audit's residual rate
//	dose_<sweep>.png            the same as a figure, on one axis
//
// It returns the paths written.
func (d *Data) WriteStrength(dir string, a *Audit) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var files []string
	put := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		if err := imageio.WriteFileAtomic(path, data); err != nil {
			return fmt.Errorf("report: write %s: %w", path, err)
		}
		files = append(files, path)
		return nil
	}
	if a != nil {
		g := auditGrid(a)
		for _, f := range []struct {
			name string
			data []byte
		}{{"audit.csv", auditCSV(a)}, {"audit.md", g.markdown()}, {"audit.tex", g.latex()}} {
			if err := put(f.name, f.data); err != nil {
				return files, err
			}
		}
	}
	conds := d.Conditions()
	if a != nil {
		for _, c := range a.Conditions {
			if !slices.Contains(conds, c.Condition) {
				conds = append(conds, c.Condition)
			}
		}
	}
	for _, sw := range Sweeps(conds) {
		rows := d.Dose(sw, a)
		if len(rows) == 0 {
			continue
		}
		base := "dose_" + FileSafe(sw.ID)
		g := doseGrid(sw, rows, matchCaption(d.match))
		png, err := doseFigure(sw, rows, fmt.Sprintf("R0 leaks against %s strength (%s on %s)", sw.Method, sw.Param, sw.Base))
		if err != nil {
			return files, fmt.Errorf("report: %s: %w", base, err)
		}
		for _, f := range []struct {
			name string
			data []byte
		}{{base + ".csv", doseCSV(rows)}, {base + ".md", g.markdown()}, {base + ".tex", g.latex()}, {base + ".png", png}} {
			if err := put(f.name, f.data); err != nil {
				return files, err
			}
		}
	}
	return files, nil
}
