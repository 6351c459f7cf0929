package pipeline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// ErrEscapesRoot is wrapped by the error of a manifest row whose path points
// outside the manifest's root: through "..", as an absolute path elsewhere,
// or through a symbolic link that leads elsewhere.
var ErrEscapesRoot = errors.New("pipeline: path escapes the manifest root")

// ErrBadRow is wrapped by the error of a manifest row that cannot be read (no
// path, no name, malformed JSON).
var ErrBadRow = errors.New("pipeline: bad manifest row")

// Record is one labelled photo to build variants of.
type Record struct {
	// Path is where the photo is read from.
	Path string
	// Source is the photo's path relative to its root, with forward slashes
	// ("Eileen Collins/001.png"); it is part of the photo's ID and is written
	// to metadata.
	Source string
	// Name is the person's name; Aliases are other names they go by.
	Name    string
	Aliases []string
	// Err, when set, says why the source refused this row (a path outside
	// the root, a missing file); the builder records it in failed.jsonl and
	// goes on with the rest.
	Err error
}

// PhotoID returns the stable ID of a photo: the first 16 hex digits of
// sha256(sha256(content) + "\x00" + source), where source is the path
// relative to the collection's root. The same bytes at another path, or
// other bytes at the same path, get another ID.
func PhotoID(content []byte, source string) string {
	sum := sha256.Sum256(content)
	h := sha256.New()
	h.Write(sum[:])
	h.Write([]byte{0})
	h.Write([]byte(source))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ErrFlatFolder is returned by FolderRecords for a folder with photos
// directly in it and no person folders: their names are unknown.
var ErrFlatFolder = errors.New("pipeline: photos without person folders")

// ErrNoPhotos is returned by FolderRecords for a folder with no photos.
var ErrNoPhotos = errors.New("pipeline: no photos")

// ErrUnsupportedFormat is wrapped by the error of a record whose file is an
// image in a format phantom does not read (HEIC, TIFF, …).
var ErrUnsupportedFormat = errors.New("pipeline: unsupported image format")

// ErrOutputInInput is returned by CheckOutputOutside when the output folder
// lies inside the photo folder.
var ErrOutputInInput = errors.New("pipeline: the output folder is inside the photo folder")

// layoutHint shows FolderRecords' expected layout.
func layoutHint(dir string) string {
	return fmt.Sprintf("the photos go in one folder per person, named after them: %s, %s (or a manifest of path,name)",
		filepath.Join(dir, "Eileen Collins", "001.jpg"), filepath.Join(dir, "Lionel_Messi", "002.png"))
}

// FolderRecords lists an image folder with one sub-folder per person:
// dir/<name>/<photo>. The sub-folder's name is the person's name, with
// underscores read as spaces ("Lionel_Messi" is "Lionel Messi") and in
// Unicode NFC, so that a name typed in NFD is the same person. Photos in
// nested folders below a person's folder belong to that person. Hidden files
// and files that are not images are skipped.
//
// What cannot be built is said, as Records with Err set (the builder
// records them in failed.jsonl): an image in a format phantom does not read
// (.heic, .tiff, …, see imageio.IsUnsupportedImageName), an image directly
// in dir (it has no name), and a person folder that is a symbolic link into
// dir or above it (it would relabel photos of the collection). Other
// symbolic links are followed: a folder of links is a convenient way to
// label photos that live elsewhere. A folder with photos but no person
// folders is ErrFlatFolder and one without photos ErrNoPhotos, both showing
// the expected layout. Records come sorted by Source.
func FolderRecords(dir string) ([]Record, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pipeline: reading photo folder: %w", err)
	}
	realRoot, err := realPath(dir)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", dir, err)
	}
	var out, loose []Record
	people := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		person := filepath.Join(dir, e.Name())
		st, err := os.Stat(person)
		if err != nil {
			continue // a dangling link
		}
		if !st.IsDir() {
			if imageio.IsImageName(e.Name()) || imageio.IsUnsupportedImageName(e.Name()) {
				loose = append(loose, Record{Path: person, Source: e.Name(),
					Err: fmt.Errorf("pipeline: %s is not in a person folder, so its name is unknown; %s", person, layoutHint(dir))})
			}
			continue
		}
		people++
		real, err := filepath.EvalSymlinks(person)
		if err != nil {
			return nil, fmt.Errorf("pipeline: %s: %w", person, err)
		}
		name := norm.NFC.String(strings.Join(strings.Fields(strings.ReplaceAll(e.Name(), "_", " ")), " "))
		if e.Type()&fs.ModeSymlink != 0 {
			_, inside := within(realRoot, real)
			if _, above := within(real, realRoot); inside || above || real == realRoot {
				out = append(out, Record{Path: person, Source: e.Name(), Name: name,
					Err: fmt.Errorf("pipeline: person folder %s is a symbolic link to %s, inside the photo folder or above it: every photo there would be labelled %q; link the photos instead", person, real, name)})
				continue
			}
		}
		files, unsupported, err := imageio.WalkImages(real)
		if err != nil {
			return nil, fmt.Errorf("pipeline: listing %s: %w", person, err)
		}
		for _, f := range append(files, unsupported...) {
			rel, err := filepath.Rel(real, f)
			if err != nil {
				return nil, fmt.Errorf("pipeline: %s: %w", f, err)
			}
			r := Record{Path: filepath.Join(person, rel), Source: filepath.ToSlash(filepath.Join(e.Name(), rel)), Name: name}
			if !imageio.IsImageName(f) {
				r.Err = fmt.Errorf("%w: %s (phantom reads JPEG, PNG, WebP and GIF; convert it, e.g. with ImageMagick's magick or libheif's heif-convert)", ErrUnsupportedFormat, r.Path)
			}
			out = append(out, r)
		}
	}
	switch {
	case people == 0 && len(loose) > 0:
		return nil, fmt.Errorf("%w: %s has %d photos directly in it and no person folders; %s", ErrFlatFolder, dir, len(loose), layoutHint(dir))
	case len(out) == 0:
		return nil, fmt.Errorf("%w in %s; %s", ErrNoPhotos, dir, layoutHint(dir))
	}
	out = append(out, loose...)
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

// realPath returns the absolute path of p with symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// CheckOutputOutside returns an error wrapping ErrOutputInInput when the
// output folder out is the photo folder in or lies inside it (symbolic
// links resolved; out need not exist yet): the variants written there would
// be read back as people on the next run.
func CheckOutputOutside(in, out string) error {
	realIn, err := realPath(in)
	if err != nil {
		return nil // FolderRecords reports a folder it cannot read
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("pipeline: %s: %w", out, err)
	}
	// Resolve the part of out that exists.
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			abs = filepath.Join(real, rest)
			break
		}
		if filepath.Dir(p) == p {
			break
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
	if _, inside := within(realIn, abs); inside || abs == realIn {
		return fmt.Errorf("%w: %s is inside %s, so its variants would be read back as photos of people named after its folders; write it elsewhere, e.g. -o %s",
			ErrOutputInInput, out, in, filepath.Join(filepath.Dir(realIn), filepath.Base(realIn)+"-dataset"))
	}
	return nil
}

// ManifestFormat is the syntax of a manifest file.
type ManifestFormat int

// The manifest formats.
const (
	// CSV has a header row naming at least the columns "path" and "name";
	// an optional "aliases" column holds the aliases separated by "|"
	// ("Bernie Sanders|Bernard Sanders"). Other columns are ignored.
	CSV ManifestFormat = iota
	// JSONL has one JSON object per line: {"path": …, "name": …,
	// "aliases": […]}. Blank lines are skipped; other keys are ignored.
	JSONL
)

// ManifestFormatOf returns the format a manifest file's extension names:
// .csv is CSV, .jsonl, .ndjson and .json are JSONL.
func ManifestFormatOf(path string) (ManifestFormat, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson", ".json":
		return JSONL, nil
	}
	return 0, fmt.Errorf("pipeline: manifest %s: unknown extension (use .csv or .jsonl)", path)
}

// ManifestRow is one row of a manifest as written, before its path is
// resolved.
type ManifestRow struct {
	// Line is the row's line number in the file, from 1.
	Line    int
	Path    string
	Name    string
	Aliases []string
	// Err says why the row cannot be used; it wraps ErrBadRow.
	Err error
}

// ParseManifest reads a manifest. A row that cannot be used (no path, no
// name, bad JSON) comes back with Err set, so that one bad row never stops
// the others; the returned error is for a manifest that cannot be read at
// all (no header, a missing column, an I/O error).
func ParseManifest(r io.Reader, f ManifestFormat) ([]ManifestRow, error) {
	switch f {
	case CSV:
		return parseCSV(r)
	case JSONL:
		return parseJSONL(r)
	}
	return nil, fmt.Errorf("pipeline: unknown manifest format %d", f)
}

func parseCSV(r io.Reader) ([]ManifestRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("pipeline: manifest is empty (a CSV manifest needs a header row with path,name)")
		}
		return nil, fmt.Errorf("pipeline: manifest header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	pi, okp := col["path"]
	ni, okn := col["name"]
	if !okp || !okn {
		return nil, fmt.Errorf("pipeline: manifest header %q lacks the path and name columns", strings.Join(header, ","))
	}
	ai, oka := col["aliases"]
	var out []ManifestRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// csv cannot resynchronise after a bad quote: the rest of
				// the file is unreadable, so report it as one bad row.
				out = append(out, ManifestRow{Line: pe.Line, Err: fmt.Errorf("%w: line %d: %v", ErrBadRow, pe.Line, pe.Err)})
				return out, nil
			}
			return out, fmt.Errorf("pipeline: manifest: %w", err)
		}
		line, _ := cr.FieldPos(0)
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := ManifestRow{Line: line, Path: get(pi), Name: norm.NFC.String(get(ni))}
		if oka {
			row.Aliases = splitAliases(get(ai))
		}
		row.Err = checkRow(row)
		out = append(out, row)
	}
}

func splitAliases(s string) []string {
	var out []string
	for _, a := range strings.Split(s, "|") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, norm.NFC.String(a))
		}
	}
	return out
}

func parseJSONL(r io.Reader) ([]ManifestRow, error) {
	br := bufio.NewReader(r)
	var out []ManifestRow
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var v struct {
				Path    string   `json:"path"`
				Name    string   `json:"name"`
				Aliases []string `json:"aliases"`
			}
			row := ManifestRow{Line: n}
			if jerr := json.Unmarshal(line, &v); jerr != nil {
				row.Err = fmt.Errorf("%w: line %d: %v", ErrBadRow, n, jerr)
			} else {
				row.Path, row.Name = strings.TrimSpace(v.Path), norm.NFC.String(strings.TrimSpace(v.Name))
				for _, a := range v.Aliases {
					if a = strings.TrimSpace(a); a != "" {
						row.Aliases = append(row.Aliases, norm.NFC.String(a))
					}
				}
				row.Err = checkRow(row)
			}
			out = append(out, row)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("pipeline: manifest: %w", err)
		}
	}
}

func checkRow(r ManifestRow) error {
	switch {
	case r.Path == "":
		return fmt.Errorf("%w: line %d: no path", ErrBadRow, r.Line)
	case r.Name == "":
		return fmt.Errorf("%w: line %d: no name for %s", ErrBadRow, r.Line, r.Path)
	case strings.ContainsRune(r.Path, 0):
		return fmt.Errorf("%w: line %d: NUL byte in path", ErrBadRow, r.Line)
	}
	return nil
}

// ResolvePath resolves a manifest path against root and checks that it stays
// inside root, symbolic links included. It returns the path to read and the
// path relative to root with forward slashes. A path outside root gives an
// error wrapping ErrEscapesRoot; a path that does not exist gives one
// wrapping fs.ErrNotExist.
func ResolvePath(root, p string) (path, rel string, err error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", "", fmt.Errorf("pipeline: manifest root: %w", err)
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return "", "", fmt.Errorf("pipeline: manifest root: %w", err)
	}
	full := filepath.FromSlash(p)
	if !filepath.IsAbs(full) {
		full = filepath.Join(absRoot, full)
	}
	full = filepath.Clean(full)
	rel, ok := within(absRoot, full)
	if !ok {
		if rel, ok = within(realRoot, full); !ok {
			return "", "", fmt.Errorf("%w %s: %q", ErrEscapesRoot, root, p)
		}
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", "", fmt.Errorf("pipeline: %q: %w", p, err)
	}
	if _, ok := within(realRoot, real); !ok {
		return "", "", fmt.Errorf("%w %s: %q (a symbolic link leads to %s)", ErrEscapesRoot, root, p, real)
	}
	return full, filepath.ToSlash(rel), nil
}

// within reports whether p lies inside root (both clean and absolute) and
// returns p relative to root.
func within(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// ManifestRecords reads the manifest at path and resolves its rows against
// root, or against the manifest's own folder when root is "". Rows that
// cannot be used (bad rows, paths outside root, missing files) come back as
// Records with Err set, naming the manifest line.
func ManifestRecords(path, root string) ([]Record, error) {
	format, err := ManifestFormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	defer f.Close()
	rows, err := ParseManifest(f, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if root == "" {
		root = filepath.Dir(path)
	}
	out := make([]Record, 0, len(rows))
	for _, r := range rows {
		rec := Record{Source: r.Path, Name: r.Name, Aliases: r.Aliases}
		if r.Err != nil {
			rec.Err = fmt.Errorf("manifest %s: %w", path, r.Err)
			out = append(out, rec)
			continue
		}
		p, rel, err := ResolvePath(root, r.Path)
		if err != nil {
			rec.Err = fmt.Errorf("manifest %s line %d: %w", path, r.Line, err)
		} else {
			rec.Path, rec.Source = p, rel
		}
		out = append(out, rec)
	}
	return out, nil
}

// isID reports whether s looks like a PhotoID: 16 lower-case hex digits.
func isID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
