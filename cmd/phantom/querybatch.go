package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/leak"
)

// batchFlags are phantom query's batch-file flags.
type batchFlags struct {
	exportDir   string
	imageRef    string
	maxRequests int
	maxBytes    int64
	imports     []string
}

// register adds the batch-file flags to phantom query's cmd.
func (b *batchFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&b.exportDir, "export-batch", "", "write the questions not yet answered ok as OpenAI batch input files (JSONL) and a manifest into this new folder, instead of asking a server")
	f.StringVar(&b.imageRef, "image-ref", "data", "with --export-batch: images as data URLs (data; hosted batch APIs need them) or as file:// URLs (file; vllm run-batch with --allowed-local-media-path)")
	f.IntVar(&b.maxRequests, "batch-max-requests", leak.DefaultBatchRequests, "with --export-batch: requests per file at most")
	f.Int64Var(&b.maxBytes, "batch-max-bytes", leak.DefaultBatchBytes, "with --export-batch: bytes per file at most")
	f.StringArrayVar(&b.imports, "import-batch", nil, "read batch output files (vllm run-batch or the OpenAI Batch API; more files, or globs, may follow as arguments) and append their answers to the results file, instead of asking a server")
	cmd.MarkFlagsMutuallyExclusive("export-batch", "import-batch")
}

// check refuses export flags out of range, naming the flag, before
// phantom query opens anything.
func (b *batchFlags) check() error {
	if b.exportDir == "" {
		return nil
	}
	if _, err := leak.ParseImageRef(b.imageRef); err != nil {
		return fmt.Errorf("--image-ref: %w", err)
	}
	if b.maxRequests < 0 {
		return fmt.Errorf("--batch-max-requests %d is negative", b.maxRequests)
	}
	if b.maxBytes < 0 {
		return fmt.Errorf("--batch-max-bytes %d is negative", b.maxBytes)
	}
	return nil
}

// batchMode reports whether the command exports or imports batch files.
func (b *batchFlags) batchMode() bool { return b.exportDir != "" || len(b.imports) > 0 }

// importFiles expands the --import-batch values and arguments: a glob
// pattern that names no file as it is becomes the files it matches.
func importFiles(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		if _, err := os.Stat(v); err == nil || !strings.ContainsAny(v, "*?[") {
			out = append(out, v)
			continue
		}
		m, err := filepath.Glob(v)
		if err != nil {
			return nil, fmt.Errorf("--import-batch %q: %w", v, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("--import-batch %q: no file matches", v)
		}
		out = append(out, m...)
	}
	return out, nil
}

// runBatch exports or imports the batch files of qf for the runner r,
// whose results file is open.
func runBatch(ctx context.Context, qf *queryOptions, r *leak.Runner) error {
	stdout, bqf := qf.Out, &qf.batch
	if bqf.exportDir != "" {
		sum, err := r.ExportBatch(ctx, bqf.exportDir, leak.WithImageRef(leak.ImageRef(bqf.imageRef)), leak.WithMaxRequests(bqf.maxRequests), leak.WithMaxBytes(bqf.maxBytes))
		printExportSummary(stdout, sum, bqf.exportDir)
		if err != nil {
			return err
		}
		if sum.Failed() > 0 {
			return errSomeFailed
		}
		return nil
	}
	files, err := importFiles(append(append([]string(nil), bqf.imports...), qf.more...))
	if err != nil {
		return err
	}
	sum, err := r.ImportBatch(ctx, files)
	printImportSummary(stdout, sum, len(files), qf.results)
	if err != nil {
		return err
	}
	if sum.Failed > 0 || sum.Unknown > 0 || sum.Bad > 0 {
		return errSomeFailed
	}
	return nil
}

func printExportSummary(w io.Writer, sum leak.BatchExportSummary, dir string) {
	for _, m := range sum.Models {
		fmt.Fprintf(w, "%s: %d questions, %d answered before, %d exported, %d failed\n", m.Model, m.Total, m.Skipped, m.Exported, m.Failed)
		for _, e := range m.Errors {
			fmt.Fprintf(w, "  failed: %s\n", e)
		}
	}
	for _, f := range sum.Files {
		fmt.Fprintf(w, "  %s: %d requests, %d bytes (%s)\n", filepath.Join(dir, f.File), f.Requests, f.Bytes, f.ModelID)
	}
	fmt.Fprintf(w, "manifest: %s\n", filepath.Join(dir, leak.BatchManifestFile))
}

func printImportSummary(w io.Writer, sum leak.BatchImportSummary, files int, results string) {
	fmt.Fprintf(w, "%d lines in %d files: %d ok (%d name the person), %d failed, %d already imported or answered, %d unknown, %d unreadable\n",
		sum.Lines, files, sum.OK, sum.Leaks, sum.Failed, sum.Duplicate, sum.Unknown, sum.Bad)
	for _, p := range sum.Problems {
		fmt.Fprintf(w, "  skipped: %s\n", p)
	}
	for _, e := range sum.Errors {
		fmt.Fprintf(w, "  failed: %s\n", e)
	}
	if sum.Failed > 0 {
		fmt.Fprintln(w, "  failed questions are exported again by the next --export-batch")
	}
	fmt.Fprintf(w, "results: %s\n", results)
}
