package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// runWithin runs b on recs and returns Run's error, failing the test when
// Run has not returned within d (it hangs).
func runWithin(t *testing.T, b *Builder, recs []Record, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := b.Run(context.Background(), recs); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("Run still running %v after the disk filled up", d)
		return nil
	}
}

// TestFullDiskStopsTheRun: when OUT's disk fills up (the 9th file written
// fails with ENOSPC), Run returns within seconds with that error, naming
// the file, instead of waiting for workers that stopped; a rerun after
// space is freed builds the rest, and no row is written twice.
func TestFullDiskStopsTheRun(t *testing.T) {
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			in, out := t.TempDir(), t.TempDir()
			writeFixtures(t, in, 12)
			recs, err := FolderRecords(in)
			must(t, err)
			opts := []Option{WithAnalyzer(testAnalyzer(t)), WithConditions(Original, Blur), WithWorkers(workers), WithContactSheet(0)}
			b, err := New(out, opts...)
			must(t, err)
			var writes atomic.Int32
			b.writeFile = func(path string, data []byte) error {
				if writes.Add(1) >= 9 {
					return &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
				}
				return os.WriteFile(path, data, 0o644)
			}
			err = runWithin(t, b, recs, 60*time.Second)
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), out) {
				t.Fatalf("Run = %v, want ENOSPC naming a file of OUT", err)
			}
			b2, err := New(out, opts...)
			must(t, err)
			sum, err := b2.Run(context.Background(), recs)
			must(t, err)
			if sum.Built != 12 {
				t.Errorf("rerun: %d built in all, want 12", sum.Built)
			}
			checkOutput(t, out, []Condition{Original, Blur})
		})
	}
}

// TestFullTmpfs fills a real 256 KiB tmpfs (when this process may mount
// one: root in a sandbox that allows it; skipped otherwise).
func TestFullTmpfs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	defer syscall.Unmount(dir, 0)
	in, out := t.TempDir(), filepath.Join(dir, "out")
	writeFixtures(t, in, 40)
	recs, err := FolderRecords(in)
	must(t, err)
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original, Blur), WithWorkers(1), WithFormat("png"), WithContactSheet(0))
	must(t, err)
	err = runWithin(t, b, recs, 60*time.Second)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), out) {
		t.Fatalf("Run = %v, want ENOSPC naming a file of OUT", err)
	}
	// The cause comes first: the variant, scene or journal write that hit
	// the full disk, not the metadata files written after it.
	first, _, _ := strings.Cut(err.Error(), "\n")
	if strings.Contains(first, "metadata.jsonl") || strings.Contains(first, "summary.json") || !strings.Contains(first, "no space left on device") {
		t.Errorf("first line of the error: %q, want the write that filled the disk", first)
	}
}
