package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/pipeline"
)

// auditOptions are phantom audit's flags and argument.
type auditOptions struct {
	streams
	dataset  string // the build's output folder
	det      detectorFlags
	workers  int
	iou      float64
	json     bool
	detector string
	out      string
}

// newAuditCmd returns phantom audit, parsing its flags into opts.
func newAuditCmd(opts *auditOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit OUT",
		Short: "Check that the anonymized variants of a build leave no detectable face",
		Long: `audit re-runs a face detector on every variant of a build that hides the faces (blur,
landscape+blur, white+blur and every parametrised condition such as pixelate:grid=4) and
counts, per condition and per face size, the faces of the original (from OUT/scenes) that are
still detected on the variant (a detection with IoU >= 0.3 against an original face). Face
sizes are the original face box's height: under 48 px, 48-96, 96-192, 192 and more.
A residual rate above zero means the anonymization left faces a detector can find.

--detector other audits with a detector of another family than the one that found the faces
(YuNet when the build's faces came from YOLOv8-face, YOLOv8-face when they came from YuNet), so
that no model checks its own work; yolo, yunet or haar name a family outright. The default is
the best face model of the models folder, as in build.

The report goes to OUT/audit.json (every residual face) and OUT/audit.csv (one row per
condition and face size), or into --out DIR; "phantom report --dataset OUT" puts it beside the
leak tables.`,
		Example: `  phantom audit dataset/
  phantom audit dataset/ --detector other
  phantom audit dataset/ --json > audit.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.dataset = args[0]
			return runAudit(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	opts.det.register(f)
	f.Lookup("threads").Usage = "ONNX Runtime intra-op threads per model (0: the cores shared among the workers)"
	f.IntVar(&opts.workers, "workers", runtime.NumCPU(), "variants checked at once")
	f.Float64Var(&opts.iou, "iou", pipeline.DefaultResidualIoU, "IoU with an original face at which a detection is a residual")
	f.BoolVar(&opts.json, "json", false, "print the report as JSON")
	f.StringVar(&opts.detector, "detector", "", "face detector: other (another family than the build's), yolo, yunet or haar (default: the models folder's best)")
	f.StringVar(&opts.out, "out", "", "folder for audit.csv and audit.json (default OUT)")
	return cmd
}

// runAudit checks the anonymized variants of the build af.dataset.
func runAudit(ctx context.Context, af *auditOptions) error {
	out := af.dataset
	fd, err := openAuditDetector(af.det.forWorkers(af.workers), af.detector, out, af.ErrOut)
	if err != nil {
		return err
	}
	defer fd.Close()
	a := pipeline.NewAuditor(fd, pipeline.WithAuditWorkers(af.workers), pipeline.WithResidualIoU(af.iou))
	rep, err := a.Run(ctx, out)
	if err != nil {
		return err
	}
	dir := af.out
	if dir == "" {
		dir = out
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := pipeline.WriteAudit(dir, rep); err != nil {
		return err
	}
	w := af.Out
	if af.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printAudit(w, rep)
		fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(dir, pipeline.AuditCSV), filepath.Join(dir, pipeline.AuditJSON))
	}
	if rep.SameFamily && af.detector == "" {
		fmt.Fprintf(af.ErrOut, "note: %s is of the family that found the faces; --detector other checks with another\n", rep.Detector)
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(af.ErrOut, "failed: %s: %s\n", f.Source, f.Error)
	}
	if len(rep.Failed) > 0 {
		return errSomeFailed
	}
	return nil
}

// openAuditDetector opens the audit's face detector: the models folder's
// best (which ""), a family by name, or ("other") the best family other
// than that of the detector that found the build's faces.
func openAuditDetector(d detectorFlags, which, out string, logw io.Writer) (detect.FaceDetector, error) {
	if which == "" {
		return d.openFaces(logw)
	}
	dev, err := detect.ParseDevice(d.device)
	if err != nil {
		return nil, err
	}
	opts := []detect.Option{detect.WithDevice(dev), detect.WithThreads(d.threads), detect.WithLogger(cliLogger(logw, d.quiet))}
	if which != "other" {
		return detect.NewFaceDetectorOfFamily(d.models, which, opts...)
	}
	from, err := pipeline.BuildFaceDetectors(out)
	if err != nil {
		return nil, err
	}
	if len(from) == 0 {
		return nil, fmt.Errorf("audit: --detector other: %s names no face detector (no face stage ran)", filepath.Join(out, "metadata.jsonl"))
	}
	var errs []error
	for _, fam := range detect.OtherFaceFamilies(detect.FaceFamily(from[0])) {
		fd, err := detect.NewFaceDetectorOfFamily(d.models, fam, opts...)
		if err == nil {
			return fd, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("audit: --detector other: the faces came from %s and no detector of another family could be opened: %w", from[0], errors.Join(errs...))
}

func printAudit(w io.Writer, rep *pipeline.AuditReport) {
	fmt.Fprintf(w, "face detector %s (the faces came from %v), residual when IoU >= %.2f\n", rep.Detector, rep.FacesFrom, rep.IoU)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "condition\tvariants\toriginal faces\tresidual faces\tvariants with residual\tresidual rate\t")
	for _, s := range pipeline.FaceSizes {
		fmt.Fprintf(tw, "h %s px\t", s.Name)
	}
	fmt.Fprintln(tw)
	for _, c := range rep.Conditions {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f%%\t", c.Condition, c.Variants, c.OriginalFaces, c.Residuals, c.VariantsWithResidual, 100*c.Rate)
		for _, s := range c.BySize {
			if s.OriginalFaces == 0 {
				fmt.Fprint(tw, "-\t")
				continue
			}
			fmt.Fprintf(tw, "%d/%d\t", s.Residuals, s.OriginalFaces)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	const show = 10
	for i, r := range rep.Residuals {
		if i == show {
			fmt.Fprintf(w, "... and %d more residuals (audit.json lists them all)\n", len(rep.Residuals)-show)
			break
		}
		fmt.Fprintf(w, "residual: %s face (%.0f,%.0f)-(%.0f,%.0f) IoU %.2f\n", r.FileName, r.Found.X1, r.Found.Y1, r.Found.X2, r.Found.Y2, r.IoU)
	}
}
