package testenv

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
)

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.onnx"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ModelsEnv, dir)
	if got := Model(t, "m.onnx"); got != filepath.Join(dir, "m.onnx") {
		t.Errorf("Model = %q", got)
	}
	for _, tc := range []struct {
		name string
		env  string
		file string
	}{{"unset", "", "m.onnx"}, {"missing file", dir, "absent.onnx"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(ModelsEnv, tc.env)
			skipped := true
			t.Run("inner", func(t *testing.T) {
				Model(t, tc.file)
				skipped = false
			})
			if !skipped {
				t.Errorf("Model(%q) with %s=%q did not skip", tc.file, ModelsEnv, tc.env)
			}
		})
	}
}

func TestGoldenPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g", "x.golden.png")
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Pix[0], img.Pix[3] = 200, 255
	GoldenPNG(t, path, img, true) // writes
	GoldenPNG(t, path, img, false)
	other := image.NewRGBA(img.Rect)
	copy(other.Pix, img.Pix)
	other.Pix[1] = 9
	failed := false
	t.Run("differs", func(t *testing.T) {
		ft := &fakeT{TB: t}
		GoldenPNG(ft, path, other, false)
		failed = ft.failed
	})
	if !failed {
		t.Error("a different image matched the golden file")
	}
}

// fakeT records a failure instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}

func TestWantError(t *testing.T) {
	errA := errors.New("pkg: a")
	for _, tc := range []struct {
		name    string
		err     error
		atStart bool
		fails   bool
	}{
		{"matches, prefix once", fmt.Errorf("%w: detail", errA), true, false},
		{"no error", nil, false, true},
		{"other sentinel", errors.New("pkg: b"), false, true},
		{"prefix twice", fmt.Errorf("pkg: wrap: %w", errA), false, true},
		{"prefix not at the start", fmt.Errorf("file x: %w", errA), true, true},
		{"prefix inside allowed", fmt.Errorf("file x: %w", errA), false, false},
	} {
		f := &fakeT{TB: t}
		WantError(f, tc.err, "pkg: ", tc.atStart, errA)
		if f.failed != tc.fails {
			t.Errorf("%s: failed = %v, want %v", tc.name, f.failed, tc.fails)
		}
	}
}
