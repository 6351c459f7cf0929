package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/leak"
	"github.com/phantom-vlm/phantom/leak/report"
)

var rf struct {
	results                                                   []string
	out, spread, nameCounts, identityCondition, identityModel string
	top, bottom                                               int
}

var reportCmd = &cobra.Command{
	Use:   "report --results results.jsonl[,MORE...] --out REPORT [--spread std|variance] [--name-counts counts.csv]",
	Short: "Write the study's tables and figures from a results file",
	Long: `report reads the results file that "phantom query" wrote (it needs no server) and writes
into the --out folder: Table A (all 30 prompts on the original photos, mean ± spread over the
six phrasings), the expanded Table A, one Table B per condition (R0 prompts), each as .csv, .md
and .tex (booktabs), failures.csv, name_forms.csv (full-name, alias and surname matches),
identities.csv, and the figures leak_by_identity.png,
leak_distribution.png and, given --name-counts (a name,count CSV), leak_vs_frequency.png.

Rates are percentages with 95% Wilson intervals. A later ok row for a question supersedes an
earlier failed one; failed requests are counted in failures.csv and never scored. Condition
names appear in file names as they are ("table_b_landscape+blur.csv"); characters other than
letters, digits, '.', '-', '_' and '+' become '_'.

--results may be given several times, as a comma-separated list or as a quoted glob
("results-*.jsonl"): the shards of "phantom query --shard" are read as one run, in the order
given (a glob's matches sorted), and report exactly what one unsharded run's file reports.`,
	Args: cobra.NoArgs,
	RunE: runReport,
}

func init() {
	f := reportCmd.Flags()
	f.StringSliceVar(&rf.results, "results", []string{"results.jsonl"}, "the results file; several files or globs (the shards of a sharded query) are read as one")
	f.StringVar(&rf.out, "out", "", "the report folder (created)")
	f.StringVar(&rf.spread, "spread", "std", "Table A's spread: std (sample standard deviation) or variance (sample variance, the study's ±)")
	f.StringVar(&rf.nameCounts, "name-counts", "", "a name,count CSV of name frequencies in a text corpus")
	f.StringVar(&rf.identityCondition, "identity-condition", "original", "the condition of the per-person figures")
	f.StringVar(&rf.identityModel, "identity-model", "", "the model of the per-person figures (default: all models pooled)")
	f.IntVar(&rf.top, "top", 30, "most leaked people in leak_by_identity.png")
	f.IntVar(&rf.bottom, "bottom", 5, "least leaked people in leak_by_identity.png")
	rootCmd.AddCommand(reportCmd)
}

func runReport(cmd *cobra.Command, _ []string) error {
	stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
	if rf.out == "" {
		return errors.New("--out is required: the folder to write the report into")
	}
	opts := report.Options{IdentityCondition: rf.identityCondition, IdentityModel: rf.identityModel, Top: rf.top, Bottom: rf.bottom}
	switch rf.spread {
	case "std":
	case "variance":
		opts.Variance = true
	default:
		return fmt.Errorf("--spread %q: want std or variance", rf.spread)
	}
	var bad []error
	if rf.nameCounts != "" {
		counts, cbad, err := report.ReadNameCounts(rf.nameCounts)
		if err != nil {
			return err
		}
		bad = append(bad, cbad...)
		opts.NameCounts = counts
	}
	paths, err := leak.ExpandResults(rf.results)
	if err != nil {
		return err
	}
	data, rbad, err := report.LoadFiles(paths...)
	if err != nil {
		return err
	}
	bad = append(bad, rbad...)
	for _, e := range bad {
		fmt.Fprintln(stderr, "phantom report: skipped:", e)
	}
	if data.Questions() == 0 {
		return fmt.Errorf("%s holds no results", strings.Join(paths, ", "))
	}
	sum, err := data.Write(rf.out, opts)
	if sum != nil {
		for _, f := range sum.Files {
			fmt.Fprintln(stdout, f)
		}
		if opts.NameCounts != nil {
			fmt.Fprintf(stdout, "name counts: %d of %d people matched, Spearman's rho %.3f\n", sum.Matched, sum.Identities, sum.Rho)
		}
	}
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return errSomeFailed
	}
	return nil
}
