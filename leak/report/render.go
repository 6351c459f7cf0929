package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/phantom-vlm/phantom/leak"
)

// grid is a table in wide form, rendered as Markdown or LaTeX.
type grid struct {
	caption string
	label   string
	header  []string
	rows    [][]string
	// rules lists row indexes before which LaTeX draws \midrule.
	rules map[int]bool
}

// csvNum formats x with 4 decimals, or "" for NaN.
func csvNum(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

// num formats x with 1 decimal, or "–" for NaN.
func num(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// countCell formats "25.0 (1/4) [4.6, 69.9]", or "–" when nothing was
// scored.
func countCell(c Count) string {
	if c.Scored == 0 {
		return "–"
	}
	lo, hi := c.Wilson()
	return fmt.Sprintf("%s (%d/%d) [%s, %s]", num(c.Rate()), c.Leaks, c.Scored, num(lo), num(hi))
}

func categoryHeader(first ...string) []string {
	h := append([]string(nil), first...)
	for c := range leak.Categories {
		h = append(h, leak.CategoryName(c))
	}
	return h
}

func spreadName(variance bool) string {
	if variance {
		return "sample variance"
	}
	return "sample standard deviation"
}

// matchCaption names the full-name rule in a table's caption.
func matchCaption(m leak.Match) string {
	if m == leak.MatchLiteral {
		return "Leak rule: literal (the full name, lower-cased, in the lower-cased answer; the study's rule)."
	}
	return "Leak rule: folded (the full name in the answer, case, accents, white space and full-width forms folded)."
}

// tableAGrid is Table A in wide form: models × categories, "mean ± spread".
func tableAGrid(rows []TableARow, variance bool, m leak.Match) grid {
	g := grid{
		caption: fmt.Sprintf("Table A: %%leaks on the original photos, mean ± %s over the six phrasings R0–R5. %s", spreadName(variance), matchCaption(m)),
		label:   "tab:leak-a",
		header:  categoryHeader("model"),
	}
	for i := 0; i < len(rows); i += leak.Categories {
		line := []string{rows[i].Model}
		for _, r := range rows[i : i+leak.Categories] {
			cell := num(r.Mean)
			if !math.IsNaN(r.Spread) {
				cell += " ± " + num(r.Spread)
			}
			line = append(line, cell)
		}
		g.rows = append(g.rows, line)
	}
	return g
}

// expandedGrid is the expanded Table A: (model, phrasing) × categories.
func expandedGrid(rows []CellRow, m leak.Match) grid {
	g := grid{
		caption: "Expanded Table A: %leaks on the original photos per phrasing, (leaks/scored) and 95% Wilson interval. " + matchCaption(m),
		label:   "tab:leak-a-expanded",
		header:  categoryHeader("model", "phrasing"),
		rules:   make(map[int]bool),
	}
	per := leak.Categories * leak.Phrasings
	for i := 0; i < len(rows); i += per {
		block := rows[i : i+per]
		if len(g.rows) > 0 {
			g.rules[len(g.rows)] = true
		}
		for p := range leak.Phrasings {
			line := []string{block[0].Model, fmt.Sprintf("R%d", p)}
			for c := range leak.Categories {
				line = append(line, countCell(block[c*leak.Phrasings+p].Count))
			}
			g.rows = append(g.rows, line)
		}
	}
	return g
}

// tableBGrid is Table B of a condition: models × categories.
func tableBGrid(cond string, rows []CellRow, m leak.Match) grid {
	g := grid{
		caption: fmt.Sprintf("Table B (%s): %%leaks of the R0 prompts, (leaks/scored) and 95%% Wilson interval. %s", cond, matchCaption(m)),
		label:   "tab:leak-b-" + FileSafe(cond),
		header:  categoryHeader("model"),
	}
	for i := 0; i < len(rows); i += leak.Categories {
		line := []string{rows[i].Model}
		for _, r := range rows[i : i+leak.Categories] {
			line = append(line, countCell(r.Count))
		}
		g.rows = append(g.rows, line)
	}
	return g
}

// deltaGrid is the delta table: (model, condition) × categories, "Δ [lo, hi]".
func deltaGrid(rows []DeltaRow, m leak.Match) grid {
	g := grid{
		caption: "Table Δ: %leaks of each condition's R0 prompts minus %leaks of the same R0 prompt on the original photos " +
			"(same model), in percentage points, with Newcombe's 95% interval for a difference of two proportions. " +
			"(The study compares with Table A's mean over six phrasings instead.) " + matchCaption(m),
		label:  "tab:leak-delta",
		header: categoryHeader("model", "condition"),
	}
	for i := 0; i < len(rows); i += leak.Categories {
		line := []string{rows[i].Model, rows[i].Condition}
		for _, r := range rows[i : i+leak.Categories] {
			cell := "–"
			if !math.IsNaN(r.Diff) {
				cell = fmt.Sprintf("%s [%s, %s]", signed(r.Diff), signed(r.Low), signed(r.High))
			}
			line = append(line, cell)
		}
		g.rows = append(g.rows, line)
	}
	return g
}

// signed formats x with 1 decimal and a sign ("+12.5", "−3.0", "0.0").
func signed(x float64) string {
	s := num(x)
	switch {
	case s == "0.0" || s == "-0.0":
		return "0.0"
	case x > 0:
		return "+" + s
	}
	return "−" + strings.TrimPrefix(s, "-")
}

func deltaCSV(rows []DeltaRow) []byte {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Model, r.Condition, leak.CategoryName(r.Category),
			strconv.Itoa(r.Cond.Leaks), strconv.Itoa(r.Cond.Scored), csvNum(r.Cond.Rate()),
			strconv.Itoa(r.Original.Leaks), strconv.Itoa(r.Original.Scored), csvNum(r.Original.Rate()),
			csvNum(r.Diff), csvNum(r.Low), csvNum(r.High)})
	}
	return writeCSV([]string{"model", "condition", "category", "leaks", "n", "rate", "original_leaks", "original_n",
		"original_rate", "delta", "newcombe_low", "newcombe_high"}, out)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// markdown renders g as a GitHub-flavoured Markdown table under its caption.
func (g grid) markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n\n", g.caption)
	b.WriteString("|")
	for _, h := range g.header {
		fmt.Fprintf(&b, " %s |", mdEscape(h))
	}
	b.WriteString("\n|")
	for i := range g.header {
		if i == 0 || (len(g.header) > leak.Categories+1 && i == 1) {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, r := range g.rows {
		b.WriteString("|")
		for _, c := range r {
			fmt.Fprintf(&b, " %s |", mdEscape(c))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

var texReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`, `&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`, `_`, `\_`,
	`{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	"±", `$\pm$`, "–", `--`, "−", `$-$`, "Δ", `$\Delta$`,
)

func texEscape(s string) string { return texReplacer.Replace(s) }

// latex renders g as a booktabs table.
func (g grid) latex() []byte {
	var b bytes.Buffer
	left := 1
	if len(g.header) > leak.Categories+1 {
		left = 2
	}
	b.WriteString("% Generated by phantom report. Needs \\usepackage{booktabs}.\n")
	b.WriteString("\\begin{table}[ht]\n\\centering\n\\small\n")
	fmt.Fprintf(&b, "\\begin{tabular}{%s%s}\n\\toprule\n", strings.Repeat("l", left), strings.Repeat("r", len(g.header)-left))
	writeRow := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" & ")
			}
			b.WriteString(texEscape(c))
		}
		b.WriteString(" \\\\\n")
	}
	writeRow(g.header)
	b.WriteString("\\midrule\n")
	for i, r := range g.rows {
		if g.rules[i] {
			b.WriteString("\\midrule\n")
		}
		writeRow(r)
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	fmt.Fprintf(&b, "\\caption{%s}\n\\label{%s}\n\\end{table}\n", texEscape(g.caption), g.label)
	return b.Bytes()
}

func writeCSV(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(rows) // flushes; a bytes.Buffer does not fail
	return b.Bytes()
}

func tableACSV(rows []TableARow) []byte {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Model, leak.CategoryName(r.Category), csvNum(r.Mean), csvNum(r.Spread), strconv.Itoa(r.Phrasings)})
	}
	return writeCSV([]string{"model", "category", "mean", "spread", "phrasings"}, out)
}

func expandedCSV(rows []CellRow) []byte {
	var out [][]string
	for _, r := range rows {
		lo, hi := r.Wilson()
		out = append(out, []string{r.Model, leak.CategoryName(r.Category), strconv.Itoa(r.Phrasing),
			strconv.Itoa(r.Leaks), strconv.Itoa(r.Scored), csvNum(r.Rate()), csvNum(lo), csvNum(hi)})
	}
	return writeCSV([]string{"model", "category", "phrasing", "leaks", "scored", "rate", "wilson_low", "wilson_high"}, out)
}

func tableBCSV(rows []CellRow) []byte {
	var out [][]string
	for _, r := range rows {
		lo, hi := r.Wilson()
		out = append(out, []string{r.Model, leak.CategoryName(r.Category), strconv.Itoa(r.Leaks),
			strconv.Itoa(r.Scored), csvNum(r.Rate()), csvNum(lo), csvNum(hi)})
	}
	return writeCSV([]string{"model", "category", "leaks", "n", "rate", "wilson_low", "wilson_high"}, out)
}

func pct(k, n int) string { return csvNum(Count{Leaks: k, Scored: n}.Rate()) }

func nameFormsCSV(rows []NameFormRow) []byte {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Model, r.Condition, leak.CategoryName(r.Category), strconv.Itoa(r.Scored),
			strconv.Itoa(r.Leaks), strconv.Itoa(r.AliasLeaks), strconv.Itoa(r.SurnameLeaks), strconv.Itoa(r.AnyLeaks),
			pct(r.Leaks, r.Scored), pct(r.AliasLeaks, r.Scored), pct(r.SurnameLeaks, r.Scored), pct(r.AnyLeaks, r.Scored),
			strconv.Itoa(r.FoldedLeaks), strconv.Itoa(r.LiteralLeaks), strconv.Itoa(r.FoldedOnly), strconv.Itoa(r.LiteralOnly)})
	}
	return writeCSV([]string{"model", "condition", "category", "scored", "leaks", "alias_leaks", "surname_leaks",
		"name_or_alias_leaks", "rate", "alias_rate", "surname_rate", "name_or_alias_rate",
		"folded_leaks", "literal_leaks", "folded_only", "literal_only"}, out)
}

func failuresCSV(rows []FailureRow) []byte {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Model, r.Condition, strconv.Itoa(r.Questions), strconv.Itoa(r.OK), strconv.Itoa(r.Failed)})
	}
	return writeCSV([]string{"model", "condition", "questions", "ok", "failed"}, out)
}

func identitiesCSV(rows []IdentityRow) []byte {
	var out [][]string
	for _, r := range rows {
		lo, hi := r.Wilson()
		out = append(out, []string{r.Name, strconv.Itoa(r.Leaks), strconv.Itoa(r.Scored), csvNum(r.Rate()), csvNum(lo), csvNum(hi)})
	}
	return writeCSV([]string{"name", "leaks", "scored", "rate", "wilson_low", "wilson_high"}, out)
}

// FileSafe returns cond for use in a file name: letters, digits, '.', '-',
// '_' and '+' are kept ("landscape+blur" stays as is: '+' is valid in file
// names on Linux, macOS and Windows) and every other character becomes '_'.
func FileSafe(cond string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '-', r == '_', r == '+':
			return r
		}
		return '_'
	}, cond)
}
