// Package report turns a study's results.jsonl into the study's tables and
// figures (PROTOCOL.md §6): Table A (all 30 prompts on the original
// photos, mean ± spread of %leaks over the six phrasings), the expanded
// Table A (one row per phrasing), one Table B per condition (R0 prompts),
// the delta table (each condition's R0 rate minus the original photos', with
// Newcombe's interval), failures per model and condition, and the
// per-identity figures (the study's Fig. 4 and 5: P4 R0, models pooled, by
// default), each table as CSV, Markdown and LaTeX (booktabs) and each figure
// as PNG with its data as CSV.
//
// The stored answers are rescored by the full-name rule that SetMatch
// chooses: leak.MatchFolded (the default) or leak.MatchLiteral (the study's
// rule as written); every table's caption names it.
//
// It reads the results file alone and needs no server. Rows are
// superseded by key: a later ok row replaces an earlier failed one. Failed
// requests are never scored; they are counted in failures.csv.
//
// Rates are percentages. Every rate comes with its 95% Wilson score
// interval.
package report
