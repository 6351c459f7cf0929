package testenv

import (
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
