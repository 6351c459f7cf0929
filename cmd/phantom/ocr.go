package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/workers"
	"github.com/phantom-vlm/phantom/ocrfilter"
)

// ocrOptions are phantom ocr's flags and arguments.
type ocrOptions struct {
	streams
	ins     []string
	name    string
	aliases []string
	lang    string
	psm     int
	minConf float64
	minRun  int
	jobs    int
	noWords bool
	fast    bool
}

// newOCRCmd returns phantom ocr, parsing its flags into opts.
func newOCRCmd(opts *ocrOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ocr IN... --name \"Full Name\"",
		Short: "Read the text in photos and say whether each shows the person's name",
		Long: `ocr runs Tesseract on each photo (a folder stands for the images in it, recursively) and
prints one JSON line per photo, in input order:

  {"path":"a.jpg","keep":false,"evidence":[{"name":"Lionel Messi","run":"lionel messi",
   "words":[{"text":"LIONEL","box":[x1,y1,x2,y2],"conf":91.5,"pass":"original","line":1},…]}],
   "words":[…every word read…]}

A photo is dropped ("keep":false) when its text shows a run of at least --min-run (5)
letters or digits of the name or of an alias, ignoring case, accents, spaces and
punctuation; names shorter than that must appear whole as words. A file that cannot
be read gets a line {"path":…,"error":…} (no "keep") and its error on stderr, and the batch
goes on; the exit status is then 1.

Tesseract runs with one OpenMP thread per engine (OMP_THREAD_LIMIT=1 in effect) and
--jobs engines at once.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runOCR(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.name, "name", "", "the person's full name (required)")
	f.StringSliceVar(&opts.aliases, "alias", nil, "another name the person goes by (repeatable)")
	f.StringVar(&opts.lang, "lang", "eng", "Tesseract language(s), e.g. eng or eng+fra")
	f.IntVar(&opts.psm, "psm", int(ocrfilter.PSMSparseText), "Tesseract page segmentation mode")
	f.Float64Var(&opts.minConf, "min-conf", ocrfilter.DefaultMinConfidence, "lowest word confidence (0-100) that counts")
	f.IntVar(&opts.minRun, "min-run", ocrfilter.DefaultMinRun, "shortest run of name characters that counts")
	f.IntVar(&opts.jobs, "jobs", 0, "photos read at once (default: number of CPUs)")
	f.BoolVar(&opts.noWords, "no-words", false, "leave the list of all words read out of the output")
	f.BoolVar(&opts.fast, "fast", false, "read only the proposed lines of text (ocrfilter.FastPasses: 2 to 4 times faster, misses more names under 20 px)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// ocrLine is one line of phantom ocr's output.
type ocrLine struct {
	Path     string               `json:"path"`
	Keep     *bool                `json:"keep,omitempty"`
	Evidence []ocrfilter.Evidence `json:"evidence,omitempty"`
	Words    *[]ocrfilter.Word    `json:"words,omitempty"`
	Error    string               `json:"error,omitempty"`
}

// runOCR prints what Tesseract reads in every photo of opts.ins and
// whether it shows opts.name.
func runOCR(ctx context.Context, opts *ocrOptions) error {
	if strings.TrimSpace(opts.name) == "" {
		return fmt.Errorf("ocr: --name must not be empty")
	}
	enc := json.NewEncoder(opts.Out)
	enc.SetEscapeHTML(false)
	// Failures go to stderr and, as {"path","error"} lines, into the JSON
	// output, as the other commands record theirs.
	var encErr error
	report := func(line ocrLine) {
		fmt.Fprintf(opts.ErrOut, "phantom ocr: %s: %s\n", line.Path, line.Error)
		if err := enc.Encode(line); err != nil && encErr == nil {
			encErr = err
		}
	}
	paths, bad := expandImageArgs(opts.ins, func(p string, err error) {
		report(ocrLine{Path: p, Error: err.Error()})
	})
	jobs := opts.jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	fopts := []ocrfilter.Option{
		ocrfilter.WithLanguage(opts.lang),
		ocrfilter.WithPageSegMode(ocrfilter.PageSegMode(opts.psm)),
		ocrfilter.WithMinConfidence(opts.minConf),
		ocrfilter.WithMinRun(opts.minRun),
		ocrfilter.WithPoolSize(jobs),
	}
	if opts.fast {
		fopts = append(fopts, ocrfilter.WithPasses(ocrfilter.FastPasses()...))
	}
	f, err := ocrfilter.New(fopts...)
	if err != nil {
		return fmt.Errorf("ocr: %w", err)
	}
	defer f.Close()

	results := make([]chan ocrLine, len(paths))
	for i := range results {
		results[i] = make(chan ocrLine, 1)
	}
	finished := make(chan struct{}) // every OCR call has returned
	go func() {
		defer close(finished)
		workers.Each(ctx, len(paths), jobs, func(i int) { results[i] <- ocrOne(ctx, f, opts, paths[i]) })
	}()

	failed := bad
	for i := range paths {
		var line ocrLine
		select {
		case line = <-results[i]:
		case <-ctx.Done():
			<-finished
			return ctx.Err()
		}
		if line.Error != "" && ctx.Err() != nil {
			// Stopped, not failed: the photo is not reported.
			<-finished
			return ctx.Err()
		}
		if line.Error != "" {
			failed++
			report(line)
			if encErr != nil {
				return encErr
			}
			continue
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	<-finished
	if failed > 0 {
		return errSomeFailed
	}
	return nil
}

// ocrOne reads the photo at path with f and decides, as opts ask, whether
// it shows the name.
func ocrOne(ctx context.Context, f *ocrfilter.Filter, opts *ocrOptions, path string) ocrLine {
	img, err := imageio.Load(path)
	if err != nil {
		return ocrLine{Path: path, Error: err.Error()}
	}
	d, err := f.Decide(ctx, img, opts.name, opts.aliases)
	if err != nil {
		return ocrLine{Path: path, Error: err.Error()}
	}
	line := ocrLine{Path: path, Keep: &d.Keep, Evidence: d.Evidence}
	if !opts.noWords {
		line.Words = &d.Words
	}
	return line
}

// expandImageArgs turns file and folder arguments into a list of files: a
// file is taken as it is, a folder is walked for image files (sorted). A
// missing argument, and an image in a format phantom does not read found in
// a folder, is reported with report and counted.
func expandImageArgs(args []string, report func(string, error)) ([]string, int) {
	var out []string
	bad := 0
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			report(a, err)
			bad++
			continue
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		found, unsupported, err := imageio.WalkImages(a)
		if err != nil {
			report(a, err)
			bad++
		}
		for _, u := range unsupported {
			report(u, errUnsupported)
			bad++
		}
		out = append(out, found...)
	}
	return out, bad
}
