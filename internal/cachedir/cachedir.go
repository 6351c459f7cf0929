// Package cachedir locates phantom's per-user cache directory, where
// scripts/setup.sh puts the ONNX Runtime library, the default landscape
// backgrounds, the sample photos and downloaded models.
package cachedir

import (
	"os"
	"path/filepath"
)

// Dir returns ${XDG_CACHE_HOME:-$HOME/.cache}/phantom. It does not create it.
func Dir() string {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "phantom")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "phantom")
	}
	return filepath.Join(os.TempDir(), "phantom-cache")
}

// Path returns the path of name inside Dir.
func Path(name ...string) string {
	return filepath.Join(append([]string{Dir()}, name...)...)
}
