// Package report turns a study's results.jsonl into the study's tables and
// figures (PROTOCOL.md §6): Table A (all 30 prompts on the original
// photos, mean ± spread of %leaks over the six phrasings), the expanded
// Table A (one row per phrasing), one Table B per condition (R0 prompts),
// failures per model and condition, and per-identity figures, each table as
// CSV, Markdown and LaTeX (booktabs) and each figure as PNG.
//
// It reads the results file alone and needs no server. Rows are
// superseded by key: a later ok row replaces an earlier failed one. Failed
// requests are never scored; they are counted in failures.csv.
//
// Rates are percentages. Every rate comes with its 95% Wilson score
// interval.
package report
