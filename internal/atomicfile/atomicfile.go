// Package atomicfile writes files that readers, and runs killed mid-write,
// see either whole or not at all: the data goes to a temporary file in the
// destination's folder, which is synced and then renamed over the
// destination.
package atomicfile

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TempPrefix starts the name of every temporary file, so that folder walks
// can skip them and clean-ups can find them.
const TempPrefix = ".phantom-tmp-"

// IsTemp reports whether a file name (not a path) is a temporary file of
// this package.
func IsTemp(name string) bool { return strings.HasPrefix(name, TempPrefix) }

// File is a file being written. Write to it, then Commit to put it in
// place, or Abort to drop it. It is not safe for concurrent use.
type File struct {
	path string
	f    *os.File
	w    *bufio.Writer
	n    int64
	done bool
}

// Create starts writing path. Nothing appears at path until Commit.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, TempPrefix+base+"-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Write writes p to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	if a.done {
		return 0, fmt.Errorf("atomicfile: write to %s after Commit or Abort", a.path)
	}
	n, err := a.w.Write(p)
	a.n += int64(n)
	if err != nil {
		err = fmt.Errorf("atomicfile: write %s: %w", a.path, err)
	}
	return n, err
}

// Size returns the number of bytes written so far.
func (a *File) Size() int64 { return a.n }

// Path returns the destination path.
func (a *File) Path() string { return a.path }

// Commit flushes, syncs and closes the temporary file, gives it mode 0644
// and renames it over the destination. On error the temporary file is
// removed and the destination is left as it was.
func (a *File) Commit() error {
	if a.done {
		return fmt.Errorf("atomicfile: %s already committed or aborted", a.path)
	}
	a.done = true
	err := a.w.Flush()
	if err == nil {
		err = a.f.Chmod(0o644)
	}
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("atomicfile: commit %s: %w", a.path, err)
	}
	return nil
}

// Abort drops the temporary file. Aborting after Commit, or twice, does
// nothing, so `defer f.Abort()` is the usual way to clean up on error.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}
