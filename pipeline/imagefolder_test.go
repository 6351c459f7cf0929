package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// imagefolderExts are the image extensions Hugging Face's imagefolder
// loader picks up (a subset: the ones a build could ever write).
var imagefolderExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".webp": true,
	".bmp": true, ".gif": true, ".tif": true, ".tiff": true,
}

// imagefolderProblems checks OUT against what
// datasets.load_dataset("imagefolder", data_dir=OUT) needs of it, and
// returns one line per problem:
//
//   - metadata.jsonl parses line by line into JSON objects that all have the
//     same keys, each key with the same JSON kind in every row and never
//     null (pyarrow infers one schema from the rows; a null or a kind that
//     changes makes a column the loader cannot cast);
//   - exactly one column names the image: "file_name" (any other key ending
//     in "_file_name" would also be turned into an image column);
//   - file_name is a clean relative slash path under OUT naming a file;
//   - every image file under OUT has exactly one row, except the files
//     in extra (older datasets releases refuse an image with no row).
func imagefolderProblems(out string, extra ...string) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }

	data, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	if err != nil {
		return []string{err.Error()}
	}
	kinds := map[string]string{} // key → JSON kind, from the first row
	rowsOf := map[string]int{}   // file_name → rows
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			bad("metadata.jsonl:%d: %v", n, err)
			continue
		}
		got := map[string]string{}
		for k, v := range obj {
			got[k] = jsonKind(v)
			if got[k] == "null" {
				bad("metadata.jsonl:%d: %s is null", n, k)
			}
			if k != "file_name" && strings.HasSuffix(k, "_file_name") {
				bad("metadata.jsonl:%d: key %s would become an image column", n, k)
			}
		}
		if n == 1 {
			kinds = got
		} else if a, b := fmt.Sprint(sortedKinds(kinds)), fmt.Sprint(sortedKinds(got)); a != b {
			bad("metadata.jsonl:%d: columns %s, row 1 has %s", n, b, a)
		}
		var name string
		if err := json.Unmarshal(obj["file_name"], &name); err != nil || name == "" {
			bad("metadata.jsonl:%d: no file_name string", n)
			continue
		}
		if path.IsAbs(name) || strings.Contains(name, `\`) || path.Clean(name) != name || strings.HasPrefix(name, "../") {
			bad("metadata.jsonl:%d: file_name %q is not a clean relative path", n, name)
			continue
		}
		rowsOf[name]++
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(name))); err != nil {
			bad("metadata.jsonl:%d: %v", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		bad("metadata.jsonl: %v", err)
	}
	skip := map[string]bool{}
	for _, e := range extra {
		skip[e] = true
	}
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !imagefolderExts[strings.ToLower(filepath.Ext(p))] {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if n := rowsOf[rel]; n != 1 && !skip[rel] {
			bad("%s has %d metadata rows", rel, n)
		}
		return nil
	})
	if err != nil {
		bad("walk: %v", err)
	}
	return probs
}

// jsonKind names the JSON type of v: object, array, string, number, bool
// or null.
func jsonKind(v json.RawMessage) string {
	s := bytes.TrimSpace(v)
	if len(s) == 0 {
		return "missing"
	}
	switch s[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

func sortedKinds(m map[string]string) []string {
	var s []string
	for k, v := range m {
		s = append(s, k+":"+v)
	}
	sort.Strings(s)
	return s
}

// checkImagefolder fails t for every problem imagefolderProblems finds; the
// contact sheet is the one image allowed without a row.
func checkImagefolder(t testing.TB, out string) {
	t.Helper()
	for _, p := range imagefolderProblems(out, "contact-sheet.png") {
		t.Errorf("imagefolder layout: %s", p)
	}
}

// TestImagefolderProblems shows that the layout check catches each way a
// metadata file can break load_dataset("imagefolder").
func TestImagefolderProblems(t *testing.T) {
	good := `{"file_name":"blur/a.png","name":"Ada","aliases":[],"faces":1}` + "\n"
	tests := []struct {
		name     string
		metadata string
		files    []string
		want     string // substring of a problem; "" for none
	}{
		{"good", good, []string{"blur/a.png"}, ""},
		{"null aliases", `{"file_name":"blur/a.png","name":"Ada","aliases":null,"faces":1}` + "\n", []string{"blur/a.png"}, "aliases is null"},
		{"kind changes", good + `{"file_name":"blur/b.png","name":"Ada","aliases":[],"faces":"1"}` + "\n", []string{"blur/a.png", "blur/b.png"}, "columns"},
		{"missing key", good + `{"file_name":"blur/b.png","name":"Ada","faces":1}` + "\n", []string{"blur/a.png", "blur/b.png"}, "columns"},
		{"second image column", `{"file_name":"blur/a.png","source_file_name":"x"}` + "\n", []string{"blur/a.png"}, "image column"},
		{"image without row", good, []string{"blur/a.png", "white/a.png"}, "white/a.png has 0"},
		{"row twice", good + good, []string{"blur/a.png"}, "has 2"},
		{"escaping path", `{"file_name":"../a.png"}` + "\n", nil, "not a clean"},
		{"missing file", good, nil, "no such file"},
		{"not json", "{file_name}\n", nil, "metadata.jsonl:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			must(t, os.WriteFile(filepath.Join(out, "metadata.jsonl"), []byte(tt.metadata), 0o644))
			for _, f := range tt.files {
				p := filepath.Join(out, filepath.FromSlash(f))
				must(t, os.MkdirAll(filepath.Dir(p), 0o755))
				must(t, os.WriteFile(p, []byte("x"), 0o644))
			}
			probs := imagefolderProblems(out)
			if tt.want == "" {
				if len(probs) != 0 {
					t.Errorf("problems %q, want none", probs)
				}
				return
			}
			if !strings.Contains(strings.Join(probs, "\n"), tt.want) {
				t.Errorf("problems %q, want one containing %q", probs, tt.want)
			}
		})
	}
}
