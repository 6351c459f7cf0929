package pipeline

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// tempName returns a fresh temporary file name for base, one that a resumed
// run recognises as a leftover (imageio.IsTemp) and removes.
func tempName(base string) string {
	var b [6]byte
	rand.Read(b[:])
	return imageio.TempPrefix + base + "-" + hex.EncodeToString(b[:])
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error { return imageio.WriteFileAtomic(path, data) }
