package vlm

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDownscale measures the only re-encoding path: a real photo over
// the limits, decoded, shrunk and re-encoded as JPEG.
func BenchmarkDownscale(b *testing.B) {
	dir := os.Getenv("PHANTOM_DATA")
	if dir == "" {
		b.Skip("PHANTOM_DATA is not set")
	}
	data, err := os.ReadFile(filepath.Join(dir, "photos", "crowd-selfie.jpg"))
	if err != nil {
		b.Skip(err)
	}
	for _, tt := range []struct {
		name              string
		maxBytes, maxSide int
	}{{"side-448", 0, 448}, {"bytes-64KiB", 64 << 10, 0}} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := downscale(data, tt.maxBytes, tt.maxSide, 90); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
