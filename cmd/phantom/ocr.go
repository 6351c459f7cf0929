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

var ocrFlags struct {
	name    string
	aliases []string
	lang    string
	psm     int
	minConf float64
	minRun  int
	jobs    int
	noWords bool
	rotate  bool
	fast    bool
}

var ocrCmd = &cobra.Command{
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
	RunE: runOCR,
}

func init() {
	f := ocrCmd.Flags()
	f.StringVar(&ocrFlags.name, "name", "", "the person's full name (required)")
	f.StringSliceVar(&ocrFlags.aliases, "alias", nil, "another name the person goes by (repeatable)")
	f.StringVar(&ocrFlags.lang, "lang", "eng", "Tesseract language(s), e.g. eng or eng+fra")
	f.IntVar(&ocrFlags.psm, "psm", int(ocrfilter.PSMSparseText), "Tesseract page segmentation mode")
	f.Float64Var(&ocrFlags.minConf, "min-conf", ocrfilter.DefaultMinConfidence, "lowest word confidence (0-100) that counts")
	f.IntVar(&ocrFlags.minRun, "min-run", ocrfilter.DefaultMinRun, "shortest run of name characters that counts")
	f.IntVar(&ocrFlags.jobs, "jobs", 0, "photos read at once (default: number of CPUs)")
	f.BoolVar(&ocrFlags.noWords, "no-words", false, "leave the list of all words read out of the output")
	f.BoolVar(&ocrFlags.fast, "fast", false, "read only the proposed lines of text (ocrfilter.FastPasses: 2 to 4 times faster, misses more names under 20 px)")
	ocrCmd.MarkFlagRequired("name")
	rootCmd.AddCommand(ocrCmd)
}

// ocrLine is one line of phantom ocr's output.
type ocrLine struct {
	Path     string               `json:"path"`
	Keep     *bool                `json:"keep,omitempty"`
	Evidence []ocrfilter.Evidence `json:"evidence,omitempty"`
	Words    *[]ocrfilter.Word    `json:"words,omitempty"`
	Error    string               `json:"error,omitempty"`
}

func runOCR(cmd *cobra.Command, args []string) error {
	if strings.TrimSpace(ocrFlags.name) == "" {
		return fmt.Errorf("ocr: --name must not be empty")
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetEscapeHTML(false)
	// Failures go to stderr and, as {"path","error"} lines, into the JSON
	// output, as the other commands record theirs.
	var encErr error
	report := func(line ocrLine) {
		fmt.Fprintf(cmd.ErrOrStderr(), "phantom ocr: %s: %s\n", line.Path, line.Error)
		if err := enc.Encode(line); err != nil && encErr == nil {
			encErr = err
		}
	}
	paths, bad := expandImageArgs(args, func(p string, err error) {
		report(ocrLine{Path: p, Error: err.Error()})
	})
	jobs := ocrFlags.jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	opts := []ocrfilter.Option{
		ocrfilter.WithLanguage(ocrFlags.lang),
		ocrfilter.WithPageSegMode(ocrfilter.PageSegMode(ocrFlags.psm)),
		ocrfilter.WithMinConfidence(ocrFlags.minConf),
		ocrfilter.WithMinRun(ocrFlags.minRun),
		ocrfilter.WithPoolSize(jobs),
	}
	if ocrFlags.fast {
		opts = append(opts, ocrfilter.WithPasses(ocrfilter.FastPasses()...))
	}
	f, err := ocrfilter.New(opts...)
	if err != nil {
		return fmt.Errorf("ocr: %w", err)
	}
	defer f.Close()

	ctx := cmd.Context()
	results := make([]chan ocrLine, len(paths))
	for i := range results {
		results[i] = make(chan ocrLine, 1)
	}
	finished := make(chan struct{}) // every OCR call has returned
	go func() {
		defer close(finished)
		workers.Each(ctx, len(paths), jobs, func(i int) { results[i] <- ocrOne(ctx, f, paths[i]) })
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

func ocrOne(ctx context.Context, f *ocrfilter.Filter, path string) ocrLine {
	img, err := imageio.Load(path)
	if err != nil {
		return ocrLine{Path: path, Error: err.Error()}
	}
	d, err := f.Decide(ctx, img, ocrFlags.name, ocrFlags.aliases)
	if err != nil {
		return ocrLine{Path: path, Error: err.Error()}
	}
	line := ocrLine{Path: path, Keep: &d.Keep, Evidence: d.Evidence}
	if !ocrFlags.noWords {
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
