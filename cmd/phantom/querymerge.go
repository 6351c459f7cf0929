package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/leak"
)

var qmf struct{ out string }

var queryMergeCmd = &cobra.Command{
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
		if qmf.out == "" {
			return fmt.Errorf("-o is required: the merged results file")
		}
		ins, err := leak.ExpandResults(args)
		if err != nil {
			return err
		}
		st, bad, err := leak.MergeResults(cmd.Context(), qmf.out, ins)
		for _, e := range bad {
			fmt.Fprintln(cmd.ErrOrStderr(), "phantom query merge: skipped:", e)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%d files, %d rows: %d questions (%d ok, %d failed) in %s\n",
			st.Files, st.Rows, st.Keys, st.OK, st.Failed, qmf.out)
		if len(bad) > 0 {
			return errSomeFailed
		}
		return nil
	},
}

func init() {
	queryMergeCmd.Flags().StringVarP(&qmf.out, "out", "o", "", "the merged results file (written atomically)")
	queryCmd.AddCommand(queryMergeCmd)
}
