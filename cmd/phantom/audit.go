package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/pipeline"
)

var auditFlags struct {
	det     detectorFlags
	workers int
	iou     float64
	json    bool
}

var auditCmd = &cobra.Command{
	Use:   "audit OUT",
	Short: "Check that the pixelated variants of a build leave no detectable face",
	Long: `audit re-runs the face detector on every blur, landscape+blur and white+blur variant of
a build and counts, per condition, the faces of the original (from OUT/scenes) that are
still detected on the variant (a detection with IoU >= 0.3 against an original face).
A residual rate above zero means the pixelation left faces a detector can find.`,
	Example: `  phantom audit dataset/
  phantom audit dataset/ --json > audit.json`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		af := auditFlags
		fd, err := af.det.forWorkers(af.workers).openFaces(cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		defer fd.Close()
		a := &pipeline.Auditor{Detector: fd, Workers: af.workers, IoU: af.iou}
		rep, err := a.Run(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		if af.json {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(w, "face detector %s, residual when IoU >= %.2f\n", rep.Detector, rep.IoU)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "condition\tvariants\toriginal faces\tresidual faces\tvariants with residual\tresidual rate\t")
			for _, c := range rep.Conditions {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f%%\t\n", c.Condition, c.Variants, c.OriginalFaces, c.Residuals, c.VariantsWithResidual, 100*c.Rate)
			}
			tw.Flush()
			const show = 10
			for i, r := range rep.Residuals {
				if i == show {
					fmt.Fprintf(w, "... and %d more residuals (--json lists them all)\n", len(rep.Residuals)-show)
					break
				}
				fmt.Fprintf(w, "residual: %s face (%.0f,%.0f)-(%.0f,%.0f) IoU %.2f\n", r.FileName, r.Found.X1, r.Found.Y1, r.Found.X2, r.Found.Y2, r.IoU)
			}
		}
		for _, f := range rep.Failed {
			fmt.Fprintf(cmd.ErrOrStderr(), "failed: %s: %s\n", f.Source, f.Error)
		}
		if len(rep.Failed) > 0 {
			return errSomeFailed
		}
		return nil
	},
}

func init() {
	f := auditCmd.Flags()
	auditFlags.det.register(f)
	f.Lookup("threads").Usage = "ONNX Runtime intra-op threads per model (0: the cores shared among the workers)"
	f.IntVar(&auditFlags.workers, "workers", runtime.NumCPU(), "variants checked at once")
	f.Float64Var(&auditFlags.iou, "iou", pipeline.DefaultResidualIoU, "IoU with an original face at which a detection is a residual")
	f.BoolVar(&auditFlags.json, "json", false, "print the report as JSON")
	rootCmd.AddCommand(auditCmd)
}
