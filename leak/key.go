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
	// VariantSHA256 is the hex SHA-256 of the variant file's bytes (the
	// builder's metadata column sha256): the same question about other
	// pixels (another build, other settings) is another question. When it
	// is empty, Key returns the legacy key of results written before the
	// hash was part of the key (see Result.VariantSHA256).
	VariantSHA256 string
}

// Key returns the 32-hex-digit key of in: the first 16 bytes of the SHA-256
// of its fields, each length-prefixed so that no two inputs collide by
// concatenation. It is the one place a question's key is computed; the
// Runner, and anything that writes results rows, call it.
//
// Keys of version 2 include the variant file's content hash; an input
// without one gets the version-1 key that phantom wrote before, so that
// question can be matched with the rows of an old results file.
func Key(in KeyInput) string {
	o := in.Options.Resolved()
	fields := []string{
		"phantom-leak-key/1", in.Model, in.Backend, in.ImageID, in.Condition, in.Prompt,
		strconv.FormatFloat(o.Temperature, 'g', -1, 64),
		strconv.FormatInt(o.Seed, 10),
		strconv.Itoa(o.MaxTokens),
	}
	if in.VariantSHA256 != "" {
		fields[0] = "phantom-leak-key/2"
		fields = append(fields, in.VariantSHA256)
	}
	h := sha256.New()
	for _, f := range fields {
		h.Write(strconv.AppendInt(nil, int64(len(f)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// VariantKey returns the key of asking model (on backend) prompt p about
// variant v with options o: Key of their KeyInput, v.SHA256 included.
func VariantKey(model, backend string, v *Variant, p Prompt, o vlm.Options) string {
	return Key(KeyInput{Model: model, Backend: backend, ImageID: v.ID, Condition: v.Condition,
		Prompt: p.Text, Options: o, VariantSHA256: v.SHA256})
}
