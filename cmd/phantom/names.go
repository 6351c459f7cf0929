package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/internal/progress"
	"github.com/phantom-vlm/phantom/names"
	"github.com/phantom-vlm/phantom/shard"
)

// namesCountOptions are phantom names count's flags and arguments.
type namesCountOptions struct {
	streams
	ins                                      []string
	names, out, column, field, format, shard string
	substring                                bool
	jobs                                     int
}

// newNamesCmd returns phantom names, with its subcommands count and merge.
func newNamesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "names",
		Short: "Count how many captions of a pretraining corpus contain each name",
	}
	cmd.AddCommand(newNamesCountCmd(&namesCountOptions{}), newNamesMergeCmd(&namesMergeOptions{}))
	return cmd
}

// newNamesCountCmd returns phantom names count, parsing its flags into
// opts.
func newNamesCountCmd(opts *namesCountOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "count INPUT... --names FILE -o counts.csv [--shard i/n|auto] [--jobs N]",
		Short: "Count, in one pass, the captions of a corpus that contain each name",
		Long: `count reads caption corpora and writes counts.csv: name,count sorted by name, where count is
the number of captions that contain the name. phantom report --name-counts reads that file.

INPUT is files, folders (searched for .parquet, .jsonl, .ndjson, .json, .txt) or globs:
  - parquet (LAION's SAMPLE_ID, URL, TEXT, ...): the --column, default TEXT, then caption;
    only that column is read, one row group at a time;
  - JSONL: the --field of each line's object, default TEXT, then caption;
  - text: one caption per line.
JSONL and text may be gzip- or zstd-compressed.

--names is a file with one name a line, or a built dataset's metadata.jsonl (each row's name
and aliases). Names that fold to the same text are counted once, under the first spelling.

The rule: caption and name are folded as leak scoring folds them (Unicode NFKD, accents
removed, case folded, runs of white space as one space), and the folded name must appear in
the caption as whole words: no letter or digit right before or after it. "Messi's" and
"(Lionel Messi)" count; "Will Smithsonian" does not count for "Will Smith". --substring drops
the word rule. The rule, the totals (captions, empty or missing captions) and the files go to
counts.summary.json beside the output.

Each file's count is written to counts.csv.parts/ as soon as it is done, so a run killed and
started again reads only the files not finished. --shard i/n (or auto, from a Slurm job array
or a Kubernetes Indexed Job) counts only the files of one part, chosen by each file's path;
"phantom names merge" sums the parts' outputs. A file that cannot be read is reported with its
row or line and the others go on; the command then exits 1.`,
		Example: `  phantom names count laion/ --names names.txt -o counts.csv --jobs 8
  phantom names count 'laion/*.parquet' --names dataset/metadata.jsonl -o part-$SLURM_ARRAY_TASK_ID.csv --shard auto
  phantom names merge part-*.csv -o counts.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runNamesCount(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.names, "names", "", "the names: one a line, or a dataset's metadata.jsonl (required)")
	f.StringVarP(&opts.out, "out", "o", "", "the output CSV file (required)")
	f.StringVar(&opts.column, "column", "", "the parquet caption column (default TEXT, then caption)")
	f.StringVar(&opts.field, "field", "", "the JSONL caption field (default TEXT, then caption)")
	f.StringVar(&opts.format, "format", "auto", "input format: auto (by file name), parquet, jsonl or text")
	f.StringVar(&opts.shard, "shard", "", "count only part i of n of the files (i/n, i from 0), or auto from Slurm or Kubernetes")
	f.BoolVar(&opts.substring, "substring", false, "count the folded name anywhere, not only as whole words")
	f.IntVar(&opts.jobs, "jobs", 0, "files read at once (default: the number of CPUs)")
	_ = cmd.MarkFlagRequired("names")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// namesMergeOptions are phantom names merge's flags and arguments.
type namesMergeOptions struct {
	streams
	parts []string
	out   string
}

// newNamesMergeCmd returns phantom names merge, parsing its flags into
// opts.
func newNamesMergeCmd(opts *namesMergeOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge PARTS... -o counts.csv",
		Short: "Sum the counts of several shards into one counts.csv",
		Long: `merge sums the name,count files that "phantom names count --shard" wrote on several machines.
Each part's summary (part.summary.json, beside it) must have the same names and rule as the
others, and no corpus file may have been counted by two parts; the merged summary adds up
the captions and lists every file. The merge exits 1 when a part had failed files.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.parts = args
			return runNamesMerge(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.out, "out", "o", "", "the merged CSV file (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runNamesCount counts the captions of the corpus nf.ins that contain each
// name.
func runNamesCount(ctx context.Context, nf *namesCountOptions) error {
	stdout, stderr := nf.Out, nf.ErrOut
	format, err := names.ParseFormat(nf.format)
	if err != nil {
		return err
	}
	sh, err := shard.Parse(nf.shard, nil)
	if err != nil {
		return err
	}
	list, err := names.ReadNames(nf.names)
	if err != nil {
		return err
	}
	set, dropped := names.NewSet(list)
	for _, d := range dropped {
		fmt.Fprintf(stderr, "phantom names count: name %s: counted once\n", d)
	}
	files, err := names.Expand(nf.ins)
	inputFailed := 0
	if err != nil {
		for _, e := range splitJoined(err) {
			inputFailed++
			fmt.Fprintln(stderr, "phantom names count:", e)
		}
	}
	rule := names.Words
	if nf.substring {
		rule = names.Substring
	}
	var total int64
	for _, f := range files {
		if sh.Whole() || sh.HasKey(names.ShardKey(f)) {
			if st, err := os.Stat(f); err == nil {
				total += st.Size()
			}
		}
	}
	var resumed atomic.Int64
	display := progress.New(stderr, 0)
	opt := names.Options{
		Source: names.Source{Format: format, Column: nf.column, Field: nf.field},
		Rule:   rule,
		Jobs:   nf.jobs,
		Shard:  sh,
		Parts:  names.PartsPath(nf.out),
		OnFile: func(fc names.FileCount, err error) {
			if err != nil {
				display.Logf("phantom names count: %v", err)
			} else if fc.Resumed {
				resumed.Add(1)
			}
		},
	}
	before := names.Done(files, set, opt) // a rerun's finished files: progress, but not rate
	mb := &mbCounter{bar: display.NewBar("names", "MB", int(total>>20), int(before>>20)), bytes: before, moved: before >> 20}
	opt.Progress = mb.add
	display.Start()
	start := time.Now()
	res, err := names.Count(ctx, files, set, opt)
	display.Stop()
	if err != nil {
		return err
	}
	shardName := ""
	if !sh.Whole() {
		shardName = sh.String()
	}
	if err := res.Write(nf.out, res.Summary("phantom names count", shardName)); err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "%s: %d names, rule %s; %d captions scanned (%d empty or missing) in %d files (%d resumed, %d in other shards); %.1f MB of captions in %.1fs\n",
		nf.out, len(set.Names), rule, res.Captions, res.Empty, len(res.Files), resumed.Load(), res.Skipped,
		float64(res.Bytes)/1e6, elapsed.Seconds())
	return failedStatus(stderr, "phantom names count", len(res.Failed)+inputFailed)
}

// runNamesMerge sums the counts of the shards opts.parts.
func runNamesMerge(opts *namesMergeOptions) error {
	stdout, stderr := opts.Out, opts.ErrOut
	res, sum, warnings, err := names.Merge(opts.parts)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "phantom names merge:", w)
	}
	if err != nil {
		return err
	}
	if err := res.Write(opts.out, sum); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d names, rule %s; %d captions (%d empty or missing) in %d files from %d parts\n",
		opts.out, len(res.Set.Names), sum.Rule, sum.Captions, sum.Empty, len(sum.Files), len(opts.parts))
	for _, f := range sum.Failed {
		fmt.Fprintf(stderr, "phantom names merge: a part failed %s: %v\n", f.File, f.Err)
	}
	return failedStatus(stderr, "phantom names merge", len(sum.Failed))
}

// failedStatus prints the failure count and returns errSomeFailed when
// there were failures.
func failedStatus(w io.Writer, prog string, failed int) error {
	if failed == 0 {
		return nil
	}
	fmt.Fprintf(w, "%s: %d failed\n", prog, failed)
	return errSomeFailed
}

// splitJoined returns the errors an errors.Join made, or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// mbCounter moves a bar counted in MiB as bytes are read.
type mbCounter struct {
	bar   *progress.Bar
	mu    sync.Mutex
	bytes int64
	moved int64 // MiB the bar was moved by
}

func (c *mbCounter) add(n int64) {
	c.mu.Lock()
	c.bytes += n
	d := c.bytes>>20 - c.moved
	c.moved += d
	c.mu.Unlock()
	c.bar.AddN(int(d))
}
