package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/modelreg"
)

// modelsOptions are the flags and arguments of phantom models and models
// fetch.
type modelsOptions struct {
	streams
	names  []string // fetch: the models to fetch; none for every missing one
	dir    string
	json   bool
	noHash bool
	url    string
}

// newModelsCmd returns phantom models, with models fetch under it, parsing
// their flags into opts.
func newModelsCmd(opts *modelsOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the known model files: found or not, sha256, upstream, licence",
		Long: `models lists every model file phantom knows, in preference order within each role,
and whether the models folder (--models, else $PHANTOM_MODELS, else the cache's
models folder) holds it. A file found is hashed and its sha256 compared with the
known one ("ok", "MISMATCH", or "unknown" when no digest is known).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.streams = streamsOf(cmd)
			return runModels(opts)
		},
	}
	fetch := &cobra.Command{
		Use:   "fetch [NAME...]",
		Short: "Download missing model files and check their sha256",
		Long: `fetch downloads each named model (all fetchable missing ones when none is named)
from its upstream URL into the models folder, checks its sha256 against the known
digest, and only then moves it into place (temporary file, then rename). A model
already present is left alone. Models without a download URL or a known digest
are listed with how to obtain them.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.names = args
			return runModelsFetch(cmd.Context(), opts)
		},
	}
	for _, c := range []*cobra.Command{cmd, fetch} {
		c.Flags().StringVar(&opts.dir, "models", "", "models folder (default $PHANTOM_MODELS, else the cache's models folder)")
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print one JSON object per model")
	cmd.Flags().BoolVar(&opts.noHash, "no-hash", false, "do not hash the files found")
	fetch.Flags().StringVar(&opts.url, "url", "", "download the named model from this URL instead of its upstream one (a mirror); the sha256 is still checked")
	cmd.AddCommand(fetch)
	return cmd
}

// runModels lists the known model files and whether opts.dir holds them.
func runModels(opts *modelsOptions) error {
	dir := detect.ModelsDir(opts.dir)
	st := modelreg.ScanModels(dir, !opts.noHash)
	out := opts.Out
	if opts.json {
		enc := json.NewEncoder(out)
		for _, s := range st {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(out, "models folder: %s\n\n", dir)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tFILE\tFOUND\tSHA256\tLICENCE\tUPSTREAM")
	bad := 0
	for _, s := range st {
		found, check := "no", "-"
		if s.Found {
			found = "yes"
			switch {
			case s.Err != "":
				check, bad = "error: "+s.Err, bad+1
			case opts.noHash:
				check = "not checked"
			case s.SHA256 == "":
				check = "unknown " + short(s.FoundSHA256)
			case s.Verified:
				check = "ok " + short(s.FoundSHA256)
			default:
				check, bad = "MISMATCH "+short(s.FoundSHA256), bad+1
			}
		} else if s.SHA256 != "" {
			check = short(s.SHA256)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Role, s.File, found, check, s.License, s.Upstream)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nfetch a missing model with: phantom models fetch NAME")
	if bad > 0 {
		return fmt.Errorf("%d model files do not match their known sha256", bad)
	}
	return nil
}

// runModelsFetch downloads the models opts.names (every missing one when
// none) into opts.dir.
func runModelsFetch(ctx context.Context, opts *modelsOptions) error {
	dir := detect.ModelsDir(opts.dir)
	var todo []modelreg.ModelFile
	if len(opts.names) == 0 {
		for _, s := range modelreg.ScanModels(dir, false) {
			switch {
			case s.Found:
			case s.URL != "" && s.SHA256 != "":
				todo = append(todo, s.ModelFile)
			default:
				fmt.Fprintf(opts.Out, "%s: not fetched (%s); upstream %s\n", s.Name, s.Notes, s.Upstream)
			}
		}
	}
	for _, a := range opts.names {
		m, ok := modelreg.LookupModel(a)
		if !ok {
			return fmt.Errorf("unknown model %q (see phantom models)", a)
		}
		if opts.url != "" {
			m.URL = opts.url
		}
		todo = append(todo, m)
	}
	failed := 0
	for _, m := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p := filepath.Join(dir, m.File); modelFileExists(p) {
			fmt.Fprintf(opts.Out, "%s: already in %s\n", m.Name, p)
			continue
		}
		fmt.Fprintf(opts.ErrOut, "%s: fetching %s\n", m.Name, m.URL)
		if p, err := modelreg.FetchModel(ctx, nil, m, dir); err != nil {
			failed++
			fmt.Fprintf(opts.ErrOut, "phantom: %v\n", err)
			if errors.Is(err, modelreg.ErrNotFetchable) && m.Upstream != "" {
				fmt.Fprintf(opts.ErrOut, "  upstream: %s\n", m.Upstream)
			}
		} else {
			fmt.Fprintf(opts.Out, "%s: %s (sha256 ok)\n", m.Name, p)
		}
	}
	if failed > 0 {
		return errSomeFailed
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

func modelFileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
