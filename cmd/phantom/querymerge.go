package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/leak"
)

// queryMergeOptions are phantom query merge's flags and arguments.
type queryMergeOptions struct {
	streams
	ins []string
	out string
}

// newQueryMergeCmd returns phantom query merge, parsing its flags into
// opts.
func newQueryMergeCmd(opts *queryMergeOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge RESULTS... -o results.jsonl",
		Short: "Join the results files of a sharded query (or of reruns) into one",
		Long: `merge joins results files, such as the shards' files of "phantom query --shard", into one
with one row per question key: the last ok row when the key has one, else the last failed row,
as resuming a run keeps. "Last" follows the files in the order given, then the rows in each
file; a quoted glob ("results-*.jsonl") expands to its matches sorted. Rows are copied byte for
byte and the output is written atomically; it may not be one of the inputs. Unreadable lines
are reported, skipped, and make the exit status 1.`,
		Example: `  phantom query merge 'results-*.jsonl' -o results.jsonl
  phantom report --results results.jsonl --out report/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runQueryMerge(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.out, "out", "o", "", "the merged results file, written atomically (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runQueryMerge joins the results files opts.ins into opts.out.
func runQueryMerge(ctx context.Context, opts *queryMergeOptions) error {
	ins, err := leak.ExpandResults(opts.ins)
	if err != nil {
		return err
	}
	st, bad, err := leak.MergeResults(ctx, opts.out, ins)
	for _, e := range bad {
		fmt.Fprintln(opts.ErrOut, "phantom query merge: skipped:", e)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "%d files, %d rows: %d questions (%d ok, %d failed) in %s\n",
		st.Files, st.Rows, st.Keys, st.OK, st.Failed, opts.out)
	if len(bad) > 0 {
		return errSomeFailed
	}
	return nil
}
