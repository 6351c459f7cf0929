package names

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

// Errors a caller can branch on; each is wrapped with the file (and the row
// or line).
var (
	// ErrNoColumn: a parquet file has none of the caption columns asked for.
	ErrNoColumn = errors.New("no caption column")
	// ErrNoField: no line of a JSONL file has the caption field.
	ErrNoField = errors.New("no caption field")
	// ErrNotJSON: a line of a JSONL file is not a JSON object.
	ErrNotJSON = errors.New("not a JSON object")
	// ErrLineTooLong: a line is longer than MaxLine.
	ErrLineTooLong = errors.New("line too long")
)

// MaxLine is the longest line a JSONL or text file may have.
const MaxLine = 64 << 20

// Format is the layout of an input file.
type Format int

// The input formats. JSONL and text files may be gzip- or zstd-compressed;
// the compression is read from the file's first bytes.
const (
	// Auto chooses by the file name: .parquet, .jsonl/.ndjson/.json (before
	// an optional .gz, .zst or .zstd) or text.
	Auto Format = iota
	Parquet
	JSONL
	Text
)

// String returns the format's name as --format takes it.
func (f Format) String() string {
	return [...]string{"auto", "parquet", "jsonl", "text"}[f]
}

// ParseFormat parses "auto", "parquet", "jsonl" or "text".
func ParseFormat(s string) (Format, error) {
	for f := Auto; f <= Text; f++ {
		if s == f.String() {
			return f, nil
		}
	}
	return 0, fmt.Errorf("names: unknown format %q (want auto, parquet, jsonl or text)", s)
}

// DefaultFields are the parquet columns and JSONL fields tried, in order,
// when none is given: LAION's TEXT, then caption.
var DefaultFields = []string{"TEXT", "caption"}

// compressed are the file name endings of compressed input.
var compressed = []string{".gz", ".zst", ".zstd"}

// FormatOf returns the format Auto chooses for a file name.
func FormatOf(name string) Format {
	name = strings.ToLower(name)
	for _, c := range compressed {
		name = strings.TrimSuffix(name, c)
	}
	switch filepath.Ext(name) {
	case ".parquet":
		return Parquet
	case ".jsonl", ".ndjson", ".json":
		return JSONL
	}
	return Text
}

// corpusFile reports whether a file found in a folder is corpus input.
func corpusFile(name string) bool {
	l := strings.ToLower(name)
	for _, c := range compressed {
		l = strings.TrimSuffix(l, c)
	}
	switch filepath.Ext(l) {
	case ".parquet", ".jsonl", ".ndjson", ".json", ".txt", ".text":
		return true
	}
	return false
}

// Expand turns file, folder and glob arguments into the sorted list of
// input files, each once. Folders are searched recursively for corpus files
// (.parquet, .jsonl, .ndjson, .json, .txt, compressed or not); hidden files
// and folders are skipped. An argument that matches nothing is an error.
func Expand(args []string) ([]string, error) {
	var files []string
	var errs []error
	for _, a := range args {
		paths := []string{a}
		if _, err := os.Stat(a); err != nil && strings.ContainsAny(a, "*?[") {
			m, gerr := filepath.Glob(a)
			if gerr != nil {
				errs = append(errs, fmt.Errorf("names: %s: %w", a, gerr))
				continue
			}
			if len(m) == 0 {
				errs = append(errs, fmt.Errorf("names: %s: no file matches", a))
				continue
			}
			paths = m
		}
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("names: %w", err))
				continue
			}
			if !st.IsDir() {
				files = append(files, filepath.Clean(p))
				continue
			}
			err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if path != p && strings.HasPrefix(d.Name(), ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.IsDir() && corpusFile(d.Name()) {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("names: %s: %w", p, err))
			}
		}
	}
	sort.Strings(files)
	files = compactStrings(files)
	return files, errors.Join(errs...)
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Source says how to read captions from a file.
type Source struct {
	// Format is the files' format; Auto chooses by name.
	Format Format
	// Column is the parquet column of the captions; "" tries DefaultFields.
	Column string
	// Field is the JSONL field of the captions; "" tries DefaultFields.
	Field string
}

// captionFunc is called with each caption; present is false for a null or
// missing caption.
type captionFunc func(caption []byte, present bool)

// read calls fn for each caption of path, in order. progress, when not nil,
// is told the bytes of the file read so far.
func (src Source) read(ctx context.Context, path string, progress *atomic.Int64, fn captionFunc) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	format := src.Format
	if format == Auto {
		format = FormatOf(path)
	}
	if format == Parquet {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return readParquet(ctx, path, &countingReaderAt{r: f, n: progress}, st.Size(), src.Column, fn)
	}
	r, closeFn, err := decompress(path, &countingReader{r: f, n: progress})
	if err != nil {
		return err
	}
	defer closeFn()
	if format == JSONL {
		return readJSONL(ctx, path, r, src.Field, fn)
	}
	return readLines(ctx, path, r, func(_ int, line []byte) error {
		fn(line, true)
		return nil
	})
}

// decompress wraps r in a gzip or zstd reader when its first bytes say so.
func decompress(path string, r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		return z, func() { z.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: zstd: %w", path, err)
		}
		return z, z.Close, nil
	}
	return br, func() {}, nil
}

// readLines calls fn with each line of r (without its line end) and its
// number, from 1.
func readLines(ctx context.Context, path string, r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		if n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := sc.Bytes()
		if l := len(line); l > 0 && line[l-1] == '\r' {
			line = line[:l-1]
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = ErrLineTooLong
		}
		return fmt.Errorf("%s: line %d: %w", path, n+1, err)
	}
	return nil
}

// readJSONL reads one JSON object a line; the caption is its field (a
// string; null or absent is a missing caption). Blank lines are skipped.
func readJSONL(ctx context.Context, path string, r io.Reader, field string, fn captionFunc) error {
	fields := DefaultFields
	if field != "" {
		fields = []string{field}
	}
	var keys []string // of the first object, for the error when no line has the field
	found, lines, rank := false, 0, 0
	err := readLines(ctx, path, r, func(n int, line []byte) error {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		lines++
		if !json.Valid(line) {
			var v any
			err := json.Unmarshal(line, &v) // for the reason
			return fmt.Errorf("%s: line %d: %w: %v", path, n, ErrNotJSON, err)
		}
		var raw []byte
		isObject := members(line, func(key, value []byte) {
			k := jsonKey(key)
			if lines == 1 {
				keys = append(keys, k)
			}
			for i, f := range fields {
				if k == f && (raw == nil || i <= rank) {
					raw, rank = value, i // the first field listed wins; of one key, the last
				}
			}
		})
		if !isObject {
			return fmt.Errorf("%s: line %d: %w", path, n, ErrNotJSON)
		}
		if raw != nil {
			found = true
		}
		if raw == nil || string(raw) == "null" {
			fn(nil, false)
			return nil
		}
		if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
			fn(raw[1:len(raw)-1], true) // no escapes: the bytes as they are
			return nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("%s: line %d: caption is not a string: %s", path, n, shorten(raw))
		}
		fn([]byte(s), true)
		return nil
	})
	if err != nil {
		return err
	}
	if lines > 0 && !found {
		sort.Strings(keys)
		return fmt.Errorf("%s: %w %s in any line; the first line's fields are %s", path, ErrNoField,
			strings.Join(fields, " or "), strings.Join(keys, ", "))
	}
	return nil
}

// members calls fn with the raw key (quoted) and raw value of each member
// of the JSON object in line, which json.Valid has passed; it returns false
// when line is valid JSON but not an object.
func members(line []byte, fn func(key, value []byte)) bool {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = skipSpace(line, i+1)
	for i < len(line) && line[i] != '}' {
		k := skipString(line, i)
		key := line[i:k]
		i = skipSpace(line, skipSpace(line, k)+1) // past ':'
		v := skipValue(line, i)
		fn(key, line[i:v])
		i = skipSpace(line, v)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
		}
	}
	return true
}

// jsonKey returns a quoted JSON key as a string, escapes undone.
func jsonKey(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1])
	}
	var k string
	json.Unmarshal(quoted, &k)
	return k
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

func shorten(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// readParquet reads the caption column only, one row group at a time and
// page by page within it, so that memory is bounded by a row group's
// column chunk.
func readParquet(ctx context.Context, path string, r io.ReaderAt, size int64, column string, fn captionFunc) error {
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(256<<10))
	if err != nil {
		return fmt.Errorf("%s: not a readable parquet file: %w", path, err)
	}
	columns := DefaultFields
	if column != "" {
		columns = []string{column}
	}
	var leaf parquet.LeafColumn
	ok := false
	for _, c := range columns {
		if leaf, ok = pf.Schema().Lookup(c); ok {
			break
		}
	}
	if !ok {
		var have []string
		for _, p := range pf.Schema().Columns() {
			have = append(have, strings.Join(p, "."))
		}
		return fmt.Errorf("%s: %w %s; the columns are %s", path, ErrNoColumn, strings.Join(columns, " or "), strings.Join(have, ", "))
	}
	if k := leaf.Node.Type().Kind(); k != parquet.ByteArray {
		return fmt.Errorf("%s: column %s holds %v, not text", path, strings.Join(leaf.Path, "."), k)
	}
	if leaf.MaxRepetitionLevel > 0 {
		return fmt.Errorf("%s: column %s is repeated, not one caption a row", path, strings.Join(leaf.Path, "."))
	}
	values := make([]parquet.Value, 1024)
	row := int64(0)
	for g, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := readChunk(rg.ColumnChunks()[leaf.ColumnIndex], values, &row, fn); err != nil {
			return fmt.Errorf("%s: row group %d, row %d: %w", path, g, row+1, err)
		}
	}
	return nil
}

// readChunk reads one column chunk's captions, counting rows in *row.
func readChunk(chunk parquet.ColumnChunk, values []parquet.Value, row *int64, fn captionFunc) error {
	pages := chunk.Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(values)
			for _, v := range values[:n] {
				if v.IsNull() {
					fn(nil, false)
				} else {
					fn(v.ByteArray(), true)
				}
			}
			*row += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(p)
				return err
			}
		}
		parquet.Release(p)
	}
}

// countingReader adds the bytes read to n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n != nil {
		c.n.Add(int64(k))
	}
	return k, err
}

// countingReaderAt adds the bytes read to n.
type countingReaderAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := c.r.ReadAt(p, off)
	if c.n != nil {
		c.n.Add(int64(k))
	}
	return k, err
}
