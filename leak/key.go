package leak

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/phantom-vlm/phantom/vlm"
)

// KeyInput is what identifies one answer: asking the same model the same
// prompt about the same variant with the same decoding options is the same
// question, answered once.
type KeyInput struct {
	Model     string
	Backend   string
	ImageID   string
	Condition string
	Prompt    string
	// Options are keyed after vlm.Options.Resolved, so the zero options and
	// the explicit defaults give the same key.
	Options vlm.Options
}

// Key returns the 32-hex-digit key of in: the first 16 bytes of the SHA-256
// of its fields, each length-prefixed so that no two inputs collide by
// concatenation.
func Key(in KeyInput) string {
	o := in.Options.Resolved()
	h := sha256.New()
	for _, f := range []string{
		"phantom-leak-key/1", in.Model, in.Backend, in.ImageID, in.Condition, in.Prompt,
		strconv.FormatFloat(o.Temperature, 'g', -1, 64),
		strconv.FormatInt(o.Seed, 10),
		strconv.Itoa(o.MaxTokens),
	} {
		h.Write(strconv.AppendInt(nil, int64(len(f)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
