package main

import (
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

var modelsFlags struct {
	dir    string
	json   bool
	noHash bool
	url    string
}

var modelsCmd = &cobra.Command{
	Use:   "models",
	Short: "List the known model files: found or not, sha256, upstream, licence",
	Long: `models lists every model file phantom knows, in preference order within each role,
and whether the models folder (--models, else $PHANTOM_MODELS, else the cache's
models folder) holds it. A file found is hashed and its sha256 compared with the
known one ("ok", "MISMATCH", or "unknown" when no digest is known).`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		dir := detect.ModelsDir(modelsFlags.dir)
		st := modelreg.ScanModels(dir, !modelsFlags.noHash)
		out := cmd.OutOrStdout()
		if modelsFlags.json {
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
				case modelsFlags.noHash:
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
	},
}

var modelsFetchCmd = &cobra.Command{
	Use:   "fetch [NAME...]",
	Short: "Download missing model files and check their sha256",
	Long: `fetch downloads each named model (all fetchable missing ones when none is named)
from its upstream URL into the models folder, checks its sha256 against the known
digest, and only then moves it into place (temporary file, then rename). A model
already present is left alone. Models without a download URL or a known digest
are listed with how to obtain them.`,
	RunE: func(cmd *cobra.Command, args []string) error {
		dir := detect.ModelsDir(modelsFlags.dir)
		var todo []modelreg.ModelFile
		if len(args) == 0 {
			for _, s := range modelreg.ScanModels(dir, false) {
				switch {
				case s.Found:
				case s.URL != "" && s.SHA256 != "":
					todo = append(todo, s.ModelFile)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s: not fetched (%s); upstream %s\n", s.Name, s.Notes, s.Upstream)
				}
			}
		}
		for _, a := range args {
			m, ok := modelreg.LookupModel(a)
			if !ok {
				return fmt.Errorf("unknown model %q (see phantom models)", a)
			}
			if modelsFlags.url != "" {
				m.URL = modelsFlags.url
			}
			todo = append(todo, m)
		}
		failed := 0
		for _, m := range todo {
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			if p := filepath.Join(dir, m.File); modelFileExists(p) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: already in %s\n", m.Name, p)
				continue
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: fetching %s\n", m.Name, m.URL)
			if p, err := modelreg.FetchModel(cmd.Context(), nil, m, dir); err != nil {
				failed++
				fmt.Fprintf(cmd.ErrOrStderr(), "phantom: %v\n", err)
				if errors.Is(err, modelreg.ErrNotFetchable) && m.Upstream != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "  upstream: %s\n", m.Upstream)
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (sha256 ok)\n", m.Name, p)
			}
		}
		if failed > 0 {
			return errSomeFailed
		}
		return nil
	},
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

func init() {
	for _, c := range []*cobra.Command{modelsCmd, modelsFetchCmd} {
		c.Flags().StringVar(&modelsFlags.dir, "models", "", "models folder (default $PHANTOM_MODELS, else the cache's models folder)")
	}
	modelsCmd.Flags().BoolVar(&modelsFlags.json, "json", false, "print one JSON object per model")
	modelsCmd.Flags().BoolVar(&modelsFlags.noHash, "no-hash", false, "do not hash the files found")
	modelsFetchCmd.Flags().StringVar(&modelsFlags.url, "url", "", "download the named model from this URL instead of its upstream one (a mirror); the sha256 is still checked")
	modelsCmd.AddCommand(modelsFetchCmd)
	rootCmd.AddCommand(modelsCmd)
}

func modelFileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
