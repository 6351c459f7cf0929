package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"os"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/cachedir"
)

// backgroundOptions are phantom background's flags and arguments.
type backgroundOptions struct {
	streams
	ins         []string
	out         string
	mode        string
	backgrounds string
	seed        int64
	feather     int
	detector    detectorFlags
	inPlace     bool
}

// newBackgroundCmd returns phantom background, parsing its flags into
// opts.
func newBackgroundCmd(opts *backgroundOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "background IN... -o OUT --mode white|landscape",
		Short: "Cut the people out of photos and put them on white or on a landscape",
		Long: `background detects the people in each photo, segments them, and composites them onto
plain white (--mode white) or onto a landscape drawn from --backgrounds (--mode landscape).
The landscape of each photo is a deterministic draw from (--seed, the photo's content hash),
so a re-run gives the same result. IN may be files or folders; results are written under OUT
as for anonymize. A photo where nobody is found comes out as the background alone.`,
		Example: `  phantom background portrait.jpg -o out/ --mode white
  phantom background photos/ -o out/ --mode landscape --seed 7`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runBackground(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.out, "out", "o", "", "output folder (required)")
	f.StringVar(&opts.mode, "mode", "white", "white or landscape")
	f.StringVar(&opts.backgrounds, "backgrounds", "", "folder of landscape images (default "+cachedir.Path("backgrounds")+")")
	f.Int64Var(&opts.seed, "seed", 0, "seed of the landscape draw")
	f.IntVar(&opts.feather, "feather", 0, "soften the mask edge over about this many pixels")
	opts.detector.register(f)
	f.BoolVar(&opts.inPlace, "in-place", false, "allow the results to replace input photos (when -o is an input folder)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runBackground puts the people of every photo of bf.ins on white or on a
// landscape.
func runBackground(ctx context.Context, bf *backgroundOptions) error {
	var set *background.Set
	switch bf.mode {
	case "white":
	case "landscape":
		dir := bf.backgrounds
		if dir == "" {
			dir = cachedir.Path("backgrounds")
		}
		var err error
		if set, err = background.LoadSet(dir); err != nil {
			return fmt.Errorf("background: %w (run scripts/setup.sh or pass --backgrounds DIR)", err)
		}
	default:
		return fmt.Errorf("background: unknown --mode %q (want white or landscape)", bf.mode)
	}
	an, err := bf.detector.open(bf.ErrOut, detect.WithStages(detect.StagePeople|detect.StageMasks))
	if err != nil {
		return err
	}
	defer an.Close()
	opts := []background.Option{background.WithFeather(bf.feather)}
	batch := imageBatch{streams: bf.streams, name: "background", ins: bf.ins, out: bf.out, inPlace: bf.inPlace}
	return batch.each(ctx, func(ctx context.Context, in inputFile, img *image.RGBA) (image.Image, string, error) {
		scene, err := an.Analyze(ctx, img)
		if err != nil {
			return nil, "", err
		}
		note := fmt.Sprintf("%d people (%s, %s)", len(scene.People), an.People().Name(), an.Segmenter().Name())
		if set == nil {
			return background.White(img, scene.PersonMask(), opts...), note + ", on white", nil
		}
		data, err := os.ReadFile(in.path)
		if err != nil {
			return nil, "", err
		}
		sum := sha256.Sum256(data)
		bg := set.Pick(bf.seed, hex.EncodeToString(sum[:]))
		return bg.Composite(img, scene.PersonMask(), opts...), note + ", on " + bg.Name, nil
	})
}
