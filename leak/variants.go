package leak

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/internal/digest"
)

// Variant is the part of one builder metadata row (pipeline.Row, one line
// of OUT/metadata.jsonl) that the study needs. It is declared here, with the
// same JSON names, so that leak depends on the file format only.
type Variant struct {
	// FileName is the variant's path relative to the variants folder.
	FileName string `json:"file_name"`
	// ID is the photo's stable ID, shared by its condition variants.
	ID string `json:"id"`
	// Name is the person's name; Aliases are other names they go by.
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	// Condition is the study condition ("original", "blur", …).
	Condition string `json:"condition"`
	// SHA256 is the hex SHA-256 of the variant file, part of every
	// question's key. Builds before this column existed lack it;
	// ReadVariants then hashes the file.
	SHA256 string `json:"sha256,omitempty"`
}

// MetadataFile is the builder's metadata file name inside the variants
// folder.
const MetadataFile = "metadata.jsonl"

// ReadVariants reads dir/metadata.jsonl, the builder's list of condition
// variants. Lines that cannot be used (bad JSON, missing id, name,
// condition or file name, a file name outside dir) are skipped and returned
// as *LineError values in bad; only a file that cannot be read at all is an
// error. A torn final line is ignored. A row without a sha256 column (a
// build made before phantom wrote it) gets the hash of its file, read now;
// a file that cannot be read leaves it empty, and asking about it fails.
func ReadVariants(dir string) (rows []Variant, bad []error, err error) {
	path := filepath.Join(dir, MetadataFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("leak: read variants: %w", err)
	}
	defer f.Close()
	err = forEachLine(f, func(line []byte, n int) {
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			return
		}
		var r Variant
		if err := json.Unmarshal(body, &r); err != nil {
			bad = append(bad, &LineError{path, n, err})
			return
		}
		if err := checkRow(&r); err != nil {
			bad = append(bad, &LineError{path, n, err})
			return
		}
		if r.SHA256 == "" {
			r.SHA256, _ = digest.File(filepath.Join(dir, filepath.FromSlash(r.FileName)))
		}
		rows = append(rows, r)
	})
	if err != nil {
		return rows, bad, fmt.Errorf("leak: read variants %s: %w", path, err)
	}
	return rows, bad, nil
}

func checkRow(r *Variant) error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"file_name", r.FileName}, {"id", r.ID}, {"name", r.Name}, {"condition", r.Condition},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if !filepath.IsLocal(filepath.FromSlash(r.FileName)) {
		return fmt.Errorf("file_name %q is not a path inside the variants folder", r.FileName)
	}
	if r.SHA256 != "" {
		if b, err := hex.DecodeString(r.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("sha256 %q is not 64 hex digits", r.SHA256)
		}
	}
	return nil
}

// errEmptyImage is returned for a zero-length image file.
var errEmptyImage = errors.New("empty file")

// loadImage reads a variant's image and names its media type from the file
// extension, or from its bytes when the extension is unknown.
func loadImage(dir, fileName string) ([]byte, string, error) {
	path := filepath.Join(dir, filepath.FromSlash(fileName))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read image: %w", err)
	}
	if len(data) == 0 {
		return nil, "", fmt.Errorf("read image %s: %w", path, errEmptyImage)
	}
	typ := mime.TypeByExtension(strings.ToLower(filepath.Ext(path)))
	if !strings.HasPrefix(typ, "image/") {
		typ = http.DetectContentType(data)
	}
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = typ[:i]
	}
	return data, typ, nil
}
