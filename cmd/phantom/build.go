package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/cachedir"
	"github.com/phantom-vlm/phantom/ocrfilter"
	"github.com/phantom-vlm/phantom/pipeline"
)

// buildOptions are phantom build's flags and arguments.
type buildOptions struct {
	streams
	in          string // the photo folder, or the manifest's root; "" for none
	out         string
	manifest    string
	conditions  string
	sweeps      []string
	det         detectorFlags
	backgrounds string
	seed        int64
	workers     int
	format      string
	noOCR       bool
	shard       string
	grid        int
	sheet       int
}

// newBuildCmd returns phantom build, with build merge under it, parsing
// its flags into opts.
func newBuildCmd(opts *buildOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build [IN] -o OUT",
		Short: "Build the study's condition variants of a labelled photo collection",
		Long: `build reads photos of known people and writes the study's six condition variants
(original, blur, landscape, white, landscape+blur, white+blur) into OUT, in a layout that
Hugging Face datasets loads with load_dataset("imagefolder", data_dir=OUT).

IN is a folder with one sub-folder per person ("Eileen Collins/001.png"; underscores in
folder names read as spaces). With --manifest, photos come from a CSV (columns path,name and
optionally aliases, separated by "|") or JSONL ({"path","name","aliases":[...]}) file
instead; its paths are relative to the manifest's folder, or to IN when IN is given, and a
path that leads outside that root is refused.

Per photo: decode (EXIF orientation applied), OCR filter (a photo showing the name as text is
dropped to filtered.jsonl), detect faces and people once (OUT/scenes/<id>.json), render the
conditions, pixelating every face on a 10x10 grid for blur. OUT gets <condition>/<id>.<ext>,
metadata.jsonl (one row per variant), filtered.jsonl, failed.jsonl, summary.json and
contact-sheet.png. Running again with the same OUT resumes; --shard i/n builds one part of
the collection and "phantom build merge" joins the parts. Under a Slurm job array or a
Kubernetes Indexed Job, --shard auto takes the part from the scheduler's environment.

Beyond the six, a condition can set the faces' anonymization: a method with parameters,
after an optional background ("white+" or "landscape+"):
  pixelate:grid=4            4x4 cells over each face box (blur is pixelate:grid=10)
  pixelate:cell=16           cells of 16 pixels, whatever the face's size
  gaussian:sigma=0.2         Gaussian blur, sigma a fraction of the box's longer side
  fill                       the box painted black
  pixelate:grid=10,scale=1.3 the box grown by 1.3 around its centre first
  white+pixelate:grid=4      the cut-out on white, then the faces pixelated
Each goes to its own folder (white+pixelate-grid4) with the columns method, grid, cell,
sigma and scale in metadata.jsonl. --sweep pixelate:grid=16,10,6,4,2 adds one condition per
value; "phantom audit" then reports how many faces each strength leaves detectable.`,
		Example: `  phantom build photos/ -o dataset/
  phantom build --manifest people.csv -o dataset/ --conditions original,blur --workers 4
  phantom build photos/ -o sweep/ --conditions original,blur --sweep pixelate:grid=16,10,6,4,2
  phantom build photos/ -o part0/ --shard 0/2 && phantom build photos/ -o part1/ --shard 1/2
  phantom build merge part0/ part1/ -o dataset/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			if len(args) == 1 {
				opts.in = args[0]
			}
			return runBuild(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.out, "out", "o", "", "output folder (required)")
	f.StringVar(&opts.manifest, "manifest", "", "CSV or JSONL manifest of path,name[,aliases] instead of a folder")
	f.StringVar(&opts.conditions, "conditions", "all", "conditions to render, comma-separated: original,blur,landscape,white,landscape+blur,white+blur, and parametrised ones such as pixelate:grid=4 or white+gaussian:sigma=0.2")
	f.StringArrayVar(&opts.sweeps, "sweep", nil, "add one condition per value of a parameter, e.g. pixelate:grid=16,10,6,4,2 (repeatable)")
	opts.det.register(f)
	f.Lookup("threads").Usage = "ONNX Runtime intra-op threads per model (0: the cores shared among the workers)"
	f.StringVar(&opts.backgrounds, "backgrounds", "", "folder of landscape backgrounds (default "+cachedir.Path("backgrounds")+")")
	f.Int64Var(&opts.seed, "seed", 0, "seed of the per-photo landscape choice")
	f.IntVar(&opts.workers, "workers", runtime.NumCPU(), "photos built at once")
	f.StringVar(&opts.format, "format", "jpg", "variant file format: jpg (quality 95) or png")
	f.BoolVar(&opts.noOCR, "no-ocr", false, "skip the OCR name filter")
	f.StringVar(&opts.shard, "shard", "0/1", shardUsage("photos, chosen by photo ID"))
	f.IntVar(&opts.grid, "grid", anonymize.DefaultGrid, "pixelation grid of the blur conditions: cells per side of each face (parametrised conditions set their own)")
	f.IntVar(&opts.sheet, "contact-sheet", 6, "photos on the contact sheet (0: none; older Hugging Face datasets releases refuse OUT with it)")
	_ = cmd.MarkFlagRequired("out")
	cmd.AddCommand(newBuildMergeCmd(&buildMergeOptions{}))
	return cmd
}

// buildMergeOptions are phantom build merge's flags and arguments.
type buildMergeOptions struct {
	streams
	ins   []string
	out   string
	sheet int
}

// newBuildMergeCmd returns phantom build merge, parsing its flags into
// opts.
func newBuildMergeCmd(opts *buildMergeOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge OUT1 OUT2... -o OUT",
		Short: "Join the outputs of several builds (shards) into one dataset",
		Long: `merge hard-links (or copies) the variants and scenes of each input into OUT, unites their
journals and writes metadata.jsonl, filtered.jsonl, failed.jsonl, summary.json and the
contact sheet for the whole. The inputs must have been built with the same conditions,
format, seed and grid. A photo present in several inputs is taken once.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runBuildMerge(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.out, "out", "o", "", "output folder (required)")
	f.IntVar(&opts.sheet, "contact-sheet", 6, "photos on the contact sheet (0: none)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runBuildMerge joins the builds opts.ins into opts.out.
func runBuildMerge(ctx context.Context, opts *buildMergeOptions) error {
	sum, err := pipeline.Merge(ctx, opts.out, opts.ins, opts.sheet)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "merged %d inputs into %s: %d photos built, %d filtered, %d failed\n",
		len(opts.ins), opts.out, sum.Built, sum.Filtered, sum.Failed)
	return nil
}

// runBuild builds the condition variants that opts ask for.
func runBuild(ctx context.Context, bf *buildOptions) error {
	var (
		recs []pipeline.Record
		err  error
	)
	switch {
	case bf.manifest != "":
		recs, err = pipeline.ManifestRecords(bf.manifest, bf.in)
	case bf.in != "":
		if err := pipeline.CheckOutputOutside(bf.in, bf.out); err != nil {
			return err
		}
		recs, err = pipeline.FolderRecords(bf.in)
	default:
		return errors.New("build: give a photo folder IN or --manifest FILE")
	}
	if err != nil {
		return err
	}
	conds, err := pipeline.ParseConditions(bf.conditions)
	if err != nil {
		return fmt.Errorf("build: --conditions: %w", err)
	}
	for _, sw := range bf.sweeps {
		cs, err := pipeline.ParseSweep(sw)
		if err != nil {
			return fmt.Errorf("build: --sweep: %w", err)
		}
		conds = append(conds, cs...)
	}
	shard, err := pipeline.ParseShard(bf.shard)
	if err != nil {
		return fmt.Errorf("--shard: %w", err)
	}
	opts := []pipeline.Option{
		pipeline.WithConditions(conds...),
		pipeline.WithSeed(bf.seed),
		pipeline.WithWorkers(bf.workers),
		pipeline.WithFormat(bf.format),
		pipeline.WithShard(shard),
		pipeline.WithGrid(bf.grid),
		pipeline.WithContactSheet(bf.sheet),
		pipeline.WithProgress(bf.ErrOut),
	}
	if needsBackgrounds(conds) {
		dir := bf.backgrounds
		if dir == "" {
			dir = cachedir.Path("backgrounds")
		}
		set, err := background.LoadSet(dir)
		if err != nil {
			return fmt.Errorf("build: the landscape conditions need backgrounds: %w (run scripts/setup.sh, pass --backgrounds DIR, or leave landscape out of --conditions)", err)
		}
		opts = append(opts, pipeline.WithBackgrounds(set))
	}
	an, err := openAnalyzer(&bf.det, bf.workers, pipeline.Stages(conds), bf.ErrOut)
	if err != nil {
		return err
	}
	defer an.Close()
	dets, files, err := detectorSettings(an, detect.ModelsDir(bf.det.models))
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	opts = append(opts, pipeline.WithAnalyzer(an), pipeline.WithDetectorSettings(dets, files))
	if !bf.noOCR {
		filter, closeF, err := openOCRFilter(bf.workers)
		if err != nil {
			return fmt.Errorf("build: OCR filter: %w (use --no-ocr to build without it)", err)
		}
		defer closeF()
		opts = append(opts, pipeline.WithFilter(filter))
	}
	b, err := pipeline.New(bf.out, opts...)
	if err != nil {
		return err
	}
	sum, err := b.Run(ctx, recs)
	if sum != nil {
		printBuildSummary(bf.Out, bf.out, sum)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(bf.ErrOut, "interrupted: what is complete is recorded; run the same command again to resume")
	}
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		// Failures of this run were printed as they happened; those of
		// earlier runs of a resumed OUT are in the same file.
		fmt.Fprintf(bf.ErrOut, "%d inputs failed; see %s\n", sum.Failed, filepath.Join(bf.out, "failed.jsonl"))
		return errSomeFailed
	}
	return nil
}

func needsBackgrounds(conds []pipeline.Condition) bool {
	for _, c := range conds {
		if c.NeedsBackgrounds() {
			return true
		}
	}
	return false
}

func printBuildSummary(w io.Writer, out string, s *pipeline.Summary) {
	r := s.Run
	fmt.Fprintf(w, "this run: %d photos built, %d filtered, %d failed, %d already done, %d in other shards, %d duplicates; %.1fs, %.2f photos/s, CPU %.0f%%\n",
		r.Built, r.Filtered, r.Failed, r.Resumed, r.OtherShard, r.Duplicates, r.WallSeconds, r.PhotosPerSecond, 100*r.CPUUtilisation)
	total := 0
	for _, n := range s.Variants {
		total += n
	}
	fmt.Fprintf(w, "%s: %d photos built (%d variants), %d filtered, %d failed; see %s\n",
		out, s.Built, total, s.Filtered, s.Failed, filepath.Join(out, "summary.json"))
}

// openAnalyzer returns the detectors of build for the stages its conditions
// need: the ONNX models found in the models folder (see
// detect.NewAnalyzer), the OpenCV default for every stage that has none,
// with the cores shared among the workers.
func openAnalyzer(d *detectorFlags, workers int, stages detect.Stages, logw io.Writer) (*detect.Analyzer, error) {
	return d.forWorkers(workers).open(logw, detect.WithStages(stages))
}

// openOCRFilter starts the Tesseract name filter with one engine per worker.
func openOCRFilter(workers int) (pipeline.Filter, func(), error) {
	f, err := ocrfilter.New(ocrfilter.WithPoolSize(workers))
	if err != nil {
		return nil, nil, err
	}
	return pipeline.OCRFilter(f), func() { f.Close() }, nil
}
