package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/textnorm"
)

// Options configure Write.
type Options struct {
	// Variance prints the sample variance as Table A's spread instead of
	// the sample standard deviation (n−1); the study's published "±"
	// figures are variances.
	Variance bool
	// Identities chooses the answers of the per-person figures; the zero
	// value is the study's: P4 R0 on the original photos, models pooled.
	Identities IdentitySelection
	// Top is how many of the most leaked people leak_by_identity.png shows
	// (0 means DefaultTop), and Random how many it draws at random from the
	// rest (0 means DefaultRandom, a negative number none), with Seed (see
	// PickIdentities).
	Top, Random int
	Seed        int64
	// NameCounts maps textnorm.Normalize(name) to how often the name
	// occurs in a text corpus (see ReadNameCounts); nil skips
	// leak_vs_frequency.png.
	NameCounts map[string]float64
}

// Summary is what Write wrote.
type Summary struct {
	// Files are the paths written, in order.
	Files []string
	// Conditions are the conditions with a Table B.
	Conditions []string
	// Identities is the number of people in the per-person figures.
	Identities int
	// Matched and Unmatched count the people with and without a name
	// count; Rho is Spearman's ρ over the matched (NaN without counts).
	Matched   int
	Unmatched []string
	Rho       float64
	// Scope says which answers the per-person figures count, as their
	// titles do: the prompt, the condition, the models and the leak rule.
	Scope string
}

// Write writes the report's tables and figures into dir (created if
// needed), each file atomically:
//
//	table_a.{csv,md,tex}           Table A
//	table_a_expanded.{csv,md,tex}  the expanded Table A
//	table_b_<condition>.{csv,md,tex} one per condition (see FileSafe)
//	table_delta.{csv,md,tex}       each condition's R0 %leaks minus the original photos' R0 %leaks,
//	                               with Newcombe's 95% interval (when there are other conditions)
//	failures.csv                   failed requests per model and condition
//	name_forms.csv                 full-name, alias and surname matches per model, condition, category,
//	                               and the answers where the folded and literal rules disagree
//	identities.csv                 per-person leak rates with Wilson intervals (Fig. 5a's data)
//	leak_by_identity.{png,csv}     the most leaked people and some drawn at random (Fig. 4)
//	leak_distribution.{png,csv}    the histogram of per-person rates (Fig. 5a)
//	leak_vs_frequency.{png,csv}    rate against name count (Fig. 5b), only with Options.NameCounts
//
// The per-person files count the answers Options.Identities chooses (P4 R0
// on the original photos, models pooled, by default) and each figure's
// title says which. Every table's caption names the full-name rule (see
// SetMatch). Tables A are written only when there are original photos among
// the results; the figures only when some person has a scored answer.
func (d *Data) Write(dir string, opts Options) (*Summary, error) {
	if opts.Top <= 0 {
		opts.Top = DefaultTop
	}
	if opts.Random == 0 {
		opts.Random = DefaultRandom
	}
	ids, models, err := d.identities(opts.Identities)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	s := &Summary{Rho: math.NaN()}
	var errs []error
	put := func(name string, data []byte) {
		path := filepath.Join(dir, name)
		if err := imageio.WriteFileAtomic(path, data); err != nil {
			errs = append(errs, fmt.Errorf("report: write %s: %w", path, err))
			return
		}
		s.Files = append(s.Files, path)
	}
	putGrid := func(base string, csvData []byte, g grid) {
		put(base+".csv", csvData)
		put(base+".md", g.markdown())
		put(base+".tex", g.latex())
	}

	if a := d.TableA(opts.Variance); len(a) > 0 {
		putGrid("table_a", tableACSV(a), tableAGrid(a, opts.Variance, d.match))
		e := d.Expanded()
		putGrid("table_a_expanded", expandedCSV(e), expandedGrid(e, d.match))
	}
	for _, c := range d.Conditions() {
		b := d.TableB(c)
		if len(b) == 0 {
			continue
		}
		s.Conditions = append(s.Conditions, c)
		putGrid("table_b_"+FileSafe(c), tableBCSV(b), tableBGrid(c, b, d.match))
	}
	if delta := d.Delta(); len(delta) > 0 {
		putGrid("table_delta", deltaCSV(delta), deltaGrid(delta, d.match))
	}
	put("failures.csv", failuresCSV(d.Failures()))
	put("name_forms.csv", nameFormsCSV(d.NameForms()))

	what := opts.Identities.describe(models) + "; leak rule " + d.match.String()
	s.Scope = what
	s.Identities = len(ids)
	put("identities.csv", identitiesCSV(ids))
	if len(ids) > 0 {
		shown := PickIdentities(ids, opts.Top, opts.Random, opts.Seed)
		top, drawn := 0, 0
		for _, r := range shown {
			if r.Drawn {
				drawn++
			} else {
				top++
			}
		}
		title := fmt.Sprintf("Leak rate per person, %d people", len(ids))
		if drawn > 0 {
			title = fmt.Sprintf("Leak rate per person: the %d most leaked and %d drawn at random (seed %d) of the other %d", top, drawn, opts.Seed, len(ids)-top)
		} else if top < len(ids) {
			title = fmt.Sprintf("Leak rate per person: the %d most leaked of %d", top, len(ids))
		}
		put("leak_by_identity.csv", shownCSV(shown))
		if png, err := identityFigure(shown, title+"\n"+what); err != nil {
			errs = append(errs, fmt.Errorf("report: leak_by_identity.png: %w", err))
		} else {
			put("leak_by_identity.png", png)
		}
		dist := Distribution(ids)
		put("leak_distribution.csv", distributionCSV(dist))
		if png, err := distributionFigure(dist, fmt.Sprintf("Distribution of per-person leak rates, %d people\n%s", len(ids), what)); err != nil {
			errs = append(errs, fmt.Errorf("report: leak_distribution.png: %w", err))
		} else {
			put("leak_distribution.png", png)
		}
	}
	if opts.NameCounts != nil && len(ids) > 0 {
		pts, unmatched := Frequencies(ids, opts.NameCounts)
		s.Matched, s.Unmatched = len(pts), unmatched
		xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
		for i, p := range pts {
			xs[i], ys[i] = p.Count, p.Rate
		}
		s.Rho = Spearman(xs, ys)
		put("leak_vs_frequency.csv", frequencyCSV(pts))
		if png, err := frequencyFigure(pts, s.Rho, what); err != nil {
			errs = append(errs, fmt.Errorf("report: leak_vs_frequency.png: %w", err))
		} else {
			put("leak_vs_frequency.png", png)
		}
	}
	return s, errors.Join(errs...)
}

// Frequencies joins per-person rates with name counts by normalised name,
// and returns the joined points and the names without a count.
func Frequencies(ids []IdentityRow, counts map[string]float64) (pts []FrequencyPoint, unmatched []string) {
	for _, r := range ids {
		c, ok := counts[textnorm.Normalize(r.Name)]
		if !ok {
			unmatched = append(unmatched, r.Name)
			continue
		}
		pts = append(pts, FrequencyPoint{Name: r.Name, Count: c, Leaks: r.Leaks, Scored: r.Scored, Rate: r.Rate()})
	}
	return pts, unmatched
}

// ReadNameCounts reads a name,count CSV file (a header line is allowed)
// into a map keyed by textnorm.Normalize(name). Bad lines (wrong number of
// fields, a count that is not a non-negative number, a repeated name) are
// skipped and returned in bad, each naming the file and line.
func ReadNameCounts(path string) (counts map[string]float64, bad []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("report: name counts: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	counts = make(map[string]float64)
	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, fmt.Errorf("%s:%d: %w", path, pe.Line, pe.Err))
				continue
			}
			return counts, bad, fmt.Errorf("report: name counts %s: %w", path, err)
		}
		if len(rec) != 2 {
			bad = append(bad, fmt.Errorf("%s:%d: want 2 fields (name,count), got %d", path, line, len(rec)))
			continue
		}
		c, perr := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if perr != nil || c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			if n == 1 {
				continue // a header
			}
			bad = append(bad, fmt.Errorf("%s:%d: count %q is not a non-negative number", path, line, rec[1]))
			continue
		}
		name := textnorm.Normalize(rec[0])
		if name == "" {
			bad = append(bad, fmt.Errorf("%s:%d: empty name", path, line))
			continue
		}
		if _, dup := counts[name]; dup {
			bad = append(bad, fmt.Errorf("%s:%d: name %q repeated", path, line, rec[0]))
			continue
		}
		counts[name] = c
	}
	return counts, bad, nil
}
