package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// inputFile is one image file of a batch and the argument it was found under.
type inputFile struct {
	path string
	root string // the folder argument, or "" for a file argument
}

// expandInputs turns file and folder arguments into image files (folders are
// searched recursively). An argument that cannot be read is printed and
// counted as failed; the others go on.
func expandInputs(cmd *cobra.Command, args []string) ([]inputFile, int) {
	var files []inputFile
	failed := 0
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			failed++
			fmt.Fprintf(cmd.ErrOrStderr(), "phantom %s: %v\n", cmd.Name(), err)
			continue
		}
		if !st.IsDir() {
			files = append(files, inputFile{path: a})
			continue
		}
		found, err := imageio.Walk(a)
		if err != nil {
			failed++
			fmt.Fprintf(cmd.ErrOrStderr(), "phantom %s: %s: %v\n", cmd.Name(), a, err)
		}
		for _, f := range found {
			files = append(files, inputFile{path: f, root: a})
		}
	}
	return files, failed
}

// outputPath maps an input to its output path under out: its path relative
// to its folder argument (or its base name), with .png kept for PNG input and
// .jpg otherwise.
func outputPath(out string, in inputFile) string {
	rel := filepath.Base(in.path)
	if in.root != "" {
		if r, err := filepath.Rel(in.root, in.path); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	ext := ".jpg"
	if strings.EqualFold(filepath.Ext(in.path), ".png") {
		ext = ".png"
	}
	return filepath.Join(out, strings.TrimSuffix(rel, filepath.Ext(rel))+ext)
}

// imageFunc turns one decoded photo into its output image and a short note
// for the log line.
type imageFunc func(ctx context.Context, in inputFile, img *image.RGBA) (image.Image, string, error)

// eachImage runs fn over every image of args and saves each result under out.
// A file that fails prints its error and the batch goes on; the command then
// returns errSomeFailed.
func eachImage(cmd *cobra.Command, args []string, out string, fn imageFunc) error {
	ctx := cmd.Context()
	files, failed := expandInputs(cmd, args)
	for _, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := outputPath(out, in)
		note, err := func() (string, error) {
			img, err := imageio.Load(in.path)
			if err != nil {
				return "", err
			}
			res, note, err := fn(ctx, in, img)
			if err != nil {
				return "", fmt.Errorf("%s: %w", in.path, err)
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return "", err
			}
			return note, imageio.Save(dst, res)
		}()
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // stopped, not failed
		}
		if err != nil {
			failed++
			fmt.Fprintf(cmd.ErrOrStderr(), "phantom %s: %v\n", cmd.Name(), err)
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s -> %s: %s\n", in.path, dst, note)
	}
	if failed > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "phantom %s: %d of %d inputs failed\n", cmd.Name(), failed, len(files)+failed)
		return errSomeFailed
	}
	return nil
}
