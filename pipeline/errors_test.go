package pipeline

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestSentinelErrors: each sentinel is returned where its doc says, matches
// with errors.Is, and the message names the package once.
func TestSentinelErrors(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	must(t, os.WriteFile(filepath.Join(outside, "secret.jpg"), []byte("x"), 0o644))
	// A finished build, to be resumed with another seed, and one whose
	// lock another build holds.
	built := t.TempDir()
	photos := t.TempDir()
	rels := writeFixtures(t, photos, 1)
	recs := []Record{{Path: filepath.Join(photos, rels[0]), Source: rels[0], Name: "Ada Lovelace"}}
	b, err := New(built, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithContactSheet(0))
	must(t, err)
	_, err = b.Run(context.Background(), recs)
	must(t, err)

	tests := []struct {
		name string
		call func() error
		want []error
	}{
		{"manifest row without a path", func() error {
			rows, err := ParseManifest(strings.NewReader("path,name\n,No Path\n"), CSV)
			if err != nil || len(rows) != 1 {
				t.Fatalf("rows %+v, %v", rows, err)
			}
			return rows[0].Err
		}, []error{ErrBadRow}},
		{"path outside the root", func() error { _, _, err := ResolvePath(root, "../x/secret.jpg"); return err }, []error{ErrEscapesRoot}},
		{"absolute path elsewhere", func() error {
			_, _, err := ResolvePath(root, filepath.Join(outside, "secret.jpg"))
			return err
		}, []error{ErrEscapesRoot}},
		{"missing photo", func() error { _, _, err := ResolvePath(root, "missing.jpg"); return err }, []error{fs.ErrNotExist}},
		{"landscapes without backgrounds", func() error { _, err := New(t.TempDir(), WithAnalyzer(testAnalyzer(t))); return err }, []error{ErrNoBackgrounds}},
		{"resumed with another seed", func() error {
			b, err := New(built, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithSeed(99), WithContactSheet(0))
			must(t, err)
			_, err = b.Run(context.Background(), recs)
			return err
		}, []error{ErrSettingsChanged}},
		{"output folder held", func() error {
			release, err := lockOut(built)
			must(t, err)
			defer release()
			b, err := New(built, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithContactSheet(0))
			must(t, err)
			_, err = b.Run(context.Background(), recs)
			return err
		}, []error{ErrBusy}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testenv.WantError(t, tc.call(), "pipeline: ", false, tc.want...)
		})
	}
}
