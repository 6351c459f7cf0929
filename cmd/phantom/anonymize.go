package main

import (
	"context"
	"fmt"
	"image"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/anonymize"
)

// anonymizeOptions are phantom anonymize's flags and arguments.
type anonymizeOptions struct {
	streams
	ins      []string
	out      string
	method   string
	grid     int
	scale    float64
	sigma    float64
	detector detectorFlags
	inPlace  bool
}

// newAnonymizeCmd returns phantom anonymize, parsing its flags into opts.
func newAnonymizeCmd(opts *anonymizeOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "anonymize IN... -o OUT",
		Short: "Hide every detected face in photos: pixelate (10x10 grid), blur or fill",
		Long: `anonymize detects the faces in each photo and hides them. IN may be files or folders
(searched recursively for .jpg, .jpeg, .png, .webp and .gif). Each result is written under OUT
with the input's path relative to its IN argument, as PNG for PNG input and JPEG otherwise;
two inputs that map onto one name (x.jpg and x.jpeg) get x.jpg and x-1.jpg. Results that would
replace the input photos themselves (-o an input folder) are refused unless --in-place is given.
A file that cannot be read prints its error and the others go on; the exit code is then 1.

Methods: pixelate (the study's "blur" condition: each face box divided into a grid of cells,
each cell filled with its mean colour), blur (Gaussian, sigma a fraction of the face box's
longer side) and fill (solid black). --scale grows each face box around its centre first.`,
		Example: `  phantom anonymize photo.jpg -o out/
  phantom anonymize photos/ -o out/ --method blur --scale 1.2
  phantom anonymize photos/ -o out/ --models none   # the OpenCV Haar detector only`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runAnonymize(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.out, "out", "o", "", "output folder (required)")
	f.StringVar(&opts.method, "method", "pixelate", "pixelate, blur or fill")
	f.IntVar(&opts.grid, "grid", anonymize.DefaultGrid, "pixelation cells per side")
	f.Float64Var(&opts.scale, "scale", 1.0, "grow each face box by this factor around its centre")
	f.Float64Var(&opts.sigma, "sigma", anonymize.DefaultSigma, "blur: Gaussian sigma as a fraction of the box's longer side")
	opts.detector.register(f)
	f.BoolVar(&opts.inPlace, "in-place", false, "allow the results to replace input photos (when -o is an input folder)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runAnonymize hides the faces of every photo of af.ins.
func runAnonymize(ctx context.Context, af *anonymizeOptions) error {
	method, err := anonymize.ParseMethod(af.method)
	if err != nil {
		return err
	}
	if af.scale <= 0 || af.grid <= 0 {
		return fmt.Errorf("anonymize: --scale and --grid must be positive")
	}
	faces, err := af.detector.openFaces(af.ErrOut)
	if err != nil {
		return err
	}
	defer faces.Close()
	opts := anonymize.Options{Grid: af.grid, Sigma: af.sigma}
	batch := imageBatch{streams: af.streams, name: "anonymize", ins: af.ins, out: af.out, inPlace: af.inPlace}
	return batch.each(ctx, func(ctx context.Context, _ inputFile, img *image.RGBA) (image.Image, string, error) {
		found, err := faces.DetectFaces(ctx, img)
		if err != nil {
			return nil, "", fmt.Errorf("detect faces: %w", err)
		}
		for _, f := range found {
			if err := anonymize.Apply(img, anonymize.Scale(f.Rect(), af.scale, img.Rect), method, opts); err != nil {
				return nil, "", err
			}
		}
		return img, fmt.Sprintf("%d faces, %s (%s)", len(found), method, faces.Name()), nil
	})
}
