package names

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// Summary is what a count or a merge wrote beside its CSV file (see
// [SummaryPath]): the rule, the totals and the files.
type Summary struct {
	// Command is "phantom names count" or "phantom names merge".
	Command string `json:"command"`
	// Rule is "words" or "substring"; RuleText says it in words.
	Rule     string `json:"rule"`
	RuleText string `json:"rule_text"`
	// Names is the number of names, NamesSHA256 identifies them and the rule.
	Names       int    `json:"names"`
	NamesSHA256 string `json:"names_sha256"`
	// Shard is the part counted ("i/n"), "" for all.
	Shard string `json:"shard,omitempty"`
	// Captions, Empty and Bytes are the totals over Files.
	Captions int64 `json:"captions"`
	Empty    int64 `json:"empty"`
	Bytes    int64 `json:"bytes"`
	// Files are the files counted.
	Files []FileCount `json:"files"`
	// Failed are the files that could not be counted.
	Failed []FileError `json:"failed"`
	// Parts are the outputs a merge summed.
	Parts []string `json:"parts,omitempty"`
}

// SummaryPath is the summary file beside the CSV output out:
// counts.csv → counts.summary.json.
func SummaryPath(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".summary.json"
}

// PartsPath is the folder of per-file partial counts beside the CSV output
// out: counts.csv → counts.csv.parts.
func PartsPath(out string) string { return out + ".parts" }

// Summary returns the result's summary.
func (r *Result) Summary(command, shard string) Summary {
	s := Summary{Command: command, Rule: r.Rule.String(), RuleText: r.Rule.Describe(), Names: len(r.Set.Names),
		NamesSHA256: r.Set.Hash(r.Rule), Shard: shard, Captions: r.Captions, Empty: r.Empty, Bytes: r.Bytes,
		Files: r.Files, Failed: r.Failed}
	if s.Files == nil {
		s.Files = []FileCount{}
	}
	if s.Failed == nil {
		s.Failed = []FileError{}
	}
	return s
}

// WriteCSV writes name,count rows sorted by name (byte order of the names
// as given), with a header line: the file phantom report --name-counts
// reads.
func (r *Result) WriteCSV(w io.Writer) error {
	idx := make([]int, len(r.Set.Names))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return r.Set.Names[idx[a]] < r.Set.Names[idx[b]] })
	cw := csv.NewWriter(w)
	cw.Write([]string{"name", "count"})
	for _, i := range idx {
		cw.Write([]string{r.Set.Names[i], strconv.FormatInt(r.Counts[i], 10)})
	}
	cw.Flush()
	return cw.Error()
}

// Write writes the CSV file out and its summary beside it, each atomically.
func (r *Result) Write(out string, s Summary) error {
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		return err
	}
	if err := imageio.WriteFileAtomic(out, buf.Bytes()); err != nil {
		return fmt.Errorf("names: %w", err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := imageio.WriteFileAtomic(SummaryPath(out), append(data, '\n')); err != nil {
		return fmt.Errorf("names: %w", err)
	}
	return nil
}

// ErrMismatch is returned by Merge for parts counted with other names or
// another rule, or that counted the same file.
var ErrMismatch = errors.New("parts do not match")

// Merge sums the CSV outputs of several counts (the shards of one corpus).
// Each part's summary, when it is beside it, must have the same rule and
// names as the others, and no file may have been counted by two parts;
// a part without one is summed with a warning.
func Merge(parts []string) (*Result, Summary, []string, error) {
	var warnings []string
	res := &Result{}
	sum := Summary{Command: "phantom names merge", Files: []FileCount{}, Failed: []FileError{}, Parts: parts}
	index := map[string]int{}
	counted := map[string]string{} // file → part
	given := map[string]bool{}
	for _, part := range parts {
		if given[filepath.Clean(part)] {
			return nil, sum, warnings, fmt.Errorf("names: %w: %s given twice", ErrMismatch, part)
		}
		given[filepath.Clean(part)] = true
		rows, err := readCountsCSV(part)
		if err != nil {
			return nil, sum, warnings, err
		}
		data, err := os.ReadFile(SummaryPath(part))
		switch {
		case errors.Is(err, os.ErrNotExist):
			warnings = append(warnings, fmt.Sprintf("%s: no summary %s beside it: its rule, totals and files are not known", part, SummaryPath(part)))
		case err != nil:
			return nil, sum, warnings, fmt.Errorf("names: %w", err)
		default:
			var s Summary
			if err := json.Unmarshal(data, &s); err != nil {
				return nil, sum, warnings, fmt.Errorf("names: %s: %w", SummaryPath(part), err)
			}
			if sum.Rule == "" {
				sum.Rule, sum.RuleText, sum.Names, sum.NamesSHA256 = s.Rule, s.RuleText, s.Names, s.NamesSHA256
			} else if s.Rule != sum.Rule || s.NamesSHA256 != sum.NamesSHA256 {
				return nil, sum, warnings, fmt.Errorf("names: %s: %w: counted %d names by rule %s, the first part %d by %s",
					part, ErrMismatch, s.Names, s.Rule, sum.Names, sum.Rule)
			}
			for _, f := range s.Files {
				if prev, ok := counted[f.File]; ok {
					return nil, sum, warnings, fmt.Errorf("names: %w: %s was counted by both %s and %s", ErrMismatch, f.File, prev, part)
				}
				counted[f.File] = part
				sum.Files = append(sum.Files, f)
			}
			sum.Failed = append(sum.Failed, s.Failed...)
			sum.Captions += s.Captions
			sum.Empty += s.Empty
			sum.Bytes += s.Bytes
		}
		for _, row := range rows {
			i, ok := index[row.name]
			if !ok {
				i = len(res.Set.Names)
				index[row.name] = i
				res.Set.Names = append(res.Set.Names, row.name)
				res.Counts = append(res.Counts, 0)
			}
			res.Counts[i] += row.count
		}
	}
	if r, err := ParseRule(sum.Rule); err == nil {
		res.Rule = r
	}
	res.Captions, res.Empty, res.Bytes, res.Files, res.Failed = sum.Captions, sum.Empty, sum.Bytes, sum.Files, sum.Failed
	return res, sum, warnings, nil
}

type countRow struct {
	name  string
	count int64
}

// readCountsCSV reads a name,count file with its header.
func readCountsCSV(path string) ([]countRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = 2
	var rows []countRow
	seen := map[string]bool{}
	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("names: %s: %w", path, err)
		}
		if n == 1 && rec[0] == "name" && rec[1] == "count" {
			continue
		}
		c, err := strconv.ParseInt(rec[1], 10, 64)
		if err != nil || c < 0 {
			return nil, fmt.Errorf("names: %s:%d: count %q is not a whole number ≥ 0", path, n, rec[1])
		}
		if seen[rec[0]] {
			return nil, fmt.Errorf("names: %s:%d: name %q repeated", path, n, rec[0])
		}
		seen[rec[0]] = true
		rows = append(rows, countRow{rec[0], c})
	}
}
