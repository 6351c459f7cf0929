package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// inputFile is one image file of a batch and the argument it was found under.
type inputFile struct {
	path string
	root string // the folder argument, or "" for a file argument
}

// expandInputs turns file and folder arguments into image files (folders are
// searched recursively). An argument that cannot be read, and an image in a
// format phantom does not read (.heic, .tiff, …) found in a folder, is
// printed to w, after "phantom name: ", and counted as failed; the others
// go on.
func expandInputs(w io.Writer, name string, args []string) ([]inputFile, int) {
	var files []inputFile
	failed := 0
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			failed++
			fmt.Fprintf(w, "phantom %s: %v\n", name, err)
			continue
		}
		if !st.IsDir() {
			files = append(files, inputFile{path: a})
			continue
		}
		found, unsupported, err := imageio.WalkImages(a)
		if err != nil {
			failed++
			fmt.Fprintf(w, "phantom %s: %s: %v\n", name, a, err)
		}
		for _, u := range unsupported {
			failed++
			fmt.Fprintf(w, "phantom %s: %s: %v\n", name, u, errUnsupported)
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

// errUnsupported is the error of a file in an image format phantom does not
// read, found in a folder argument.
var errUnsupported = errors.New("unsupported image format, not read (phantom reads JPEG, PNG, WebP and GIF; convert it)")

// errOverwrite is returned when a batch would write over its inputs.
var errOverwrite = errors.New("the output would overwrite input photos")

// planOutputs returns each input's output path (outputPath), made unique
// by a -1, -2… suffix where two inputs map onto one name (x.jpg and x.jpeg,
// a.gif and a.webp), as detect --draw does; inputs come in lexical order, so
// the names do not change between runs. Without inPlace, an output that is
// one of the batch's input files is refused, naming it.
func planOutputs(files []inputFile, out string, inPlace bool) ([]string, error) {
	inputs := make(map[string]bool, len(files))
	for _, in := range files {
		inputs[samePathKey(in.path)] = true
	}
	taken := make(map[string]bool, len(files))
	dsts := make([]string, len(files))
	var over []string
	for i, in := range files {
		dst := outputPath(out, in)
		ext := filepath.Ext(dst)
		base := strings.TrimSuffix(dst, ext)
		for n := 1; taken[samePathKey(dst)]; n++ {
			dst = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		taken[samePathKey(dst)] = true
		dsts[i] = dst
		if inputs[samePathKey(dst)] && !inPlace {
			over = append(over, dst)
		}
	}
	if len(over) > 0 {
		more := ""
		if len(over) > 3 {
			more = fmt.Sprintf(" and %d more", len(over)-3)
			over = over[:3]
		}
		return nil, fmt.Errorf("%w (%s%s): choose another -o, or pass --in-place to replace them", errOverwrite, strings.Join(over, ", "), more)
	}
	return dsts, nil
}

// samePathKey is the key under which two spellings of one file are equal:
// its absolute path with symbolic links resolved where it exists.
func samePathKey(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(real, base)
	}
	return abs
}

// imageBatch is what a command that turns photos into photos (anonymize,
// background) was given: its inputs, where the results go, and where it
// reports.
type imageBatch struct {
	streams
	name    string   // the command's name in its messages
	ins     []string // the file and folder arguments
	out     string   // the output folder
	inPlace bool     // whether results may replace the inputs
}

// each runs fn over every image of b.ins and saves each result under b.out
// (see planOutputs; b.inPlace allows writing over the inputs). A file that
// fails prints its error and the batch goes on; each then returns
// errSomeFailed.
func (b imageBatch) each(ctx context.Context, fn imageFunc) error {
	files, failed := expandInputs(b.ErrOut, b.name, b.ins)
	total := len(files) + failed // the files found and the arguments that could not be read
	dsts, err := planOutputs(files, b.out, b.inPlace)
	if err != nil {
		return err
	}
	for i, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := dsts[i]
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
			fmt.Fprintf(b.ErrOut, "phantom %s: %v\n", b.name, err)
			continue
		}
		fmt.Fprintf(b.Out, "%s -> %s: %s\n", in.path, dst, note)
	}
	if failed > 0 {
		fmt.Fprintf(b.ErrOut, "phantom %s: %d of %d inputs failed\n", b.name, failed, total)
		return errSomeFailed
	}
	return nil
}
