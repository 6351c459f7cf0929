package leak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/phantom-vlm/phantom/internal/atomicfile"
)

// MergeStats is what MergeResults did.
type MergeStats struct {
	// Files is the number of input files and Rows their readable rows.
	Files, Rows int
	// Keys is the number of rows written, one per key; OK and Failed
	// split them by status.
	Keys, OK, Failed int
}

// ErrMergeInput is returned by MergeResults when the output is also one of
// its inputs.
var ErrMergeInput = errors.New("leak: merge: the output is one of the inputs")

// mergePick is the row chosen so far for one key: where it is and whether
// it is ok.
type mergePick struct {
	file, line int32
	ok         bool
}

// replacedBy reports whether a later row q replaces p: unless p is ok and
// q failed, as resuming a run and Latest keep the last ok row.
func (p mergePick) replacedBy(q mergePick) bool { return q.ok || !p.ok }

// MergeResults joins results files (the shards of one study, or a run and
// its reruns) into one file at out, with one row per key: the last ok row
// when the key has one, else the last failed row, as resuming a run and
// Latest keep. "Last" is in the order of the inputs as given, then of the
// rows in each file, so list reruns after the runs they redo. Rows are
// copied byte for byte, in that order; out is written atomically and may
// not be one of the inputs.
// Unreadable lines are skipped and returned in bad, each naming its file
// and line. The inputs are read twice (ranking, then copying) and only the
// ranking of each key is held in memory, so time and memory are linear in
// the rows and the keys.
func MergeResults(ctx context.Context, out string, ins []string) (stats MergeStats, bad []error, err error) {
	if len(ins) == 0 {
		return stats, nil, errors.New("leak: merge: no results files")
	}
	absOut, _ := filepath.Abs(out)
	for _, in := range ins {
		if a, _ := filepath.Abs(in); a == absOut {
			return stats, nil, fmt.Errorf("%w: %s", ErrMergeInput, in)
		}
	}
	stats.Files = len(ins)
	picks := make(map[[16]byte]mergePick)
	for fi, in := range ins {
		err := readLines(ctx, in, func(line []byte, n int) {
			row, k, err := parseRow(line)
			if err != nil {
				bad = append(bad, &LineError{in, n, err})
				return
			}
			stats.Rows++
			q := mergePick{file: int32(fi), line: int32(n), ok: row.OK()}
			if p, seen := picks[k]; !seen || p.replacedBy(q) {
				picks[k] = q
			}
		})
		if err != nil {
			return stats, bad, err
		}
	}
	if dir := filepath.Dir(out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return stats, bad, fmt.Errorf("leak: merge: %w", err)
		}
	}
	f, err := atomicfile.Create(out)
	if err != nil {
		return stats, bad, fmt.Errorf("leak: merge: %w", err)
	}
	// The chosen rows, by file: their line numbers, so that the copying
	// pass needs no parsing.
	chosen := make([]map[int32]bool, len(ins))
	for i := range chosen {
		chosen[i] = make(map[int32]bool)
	}
	for _, p := range picks {
		chosen[p.file][p.line] = p.ok
	}
	for fi, in := range ins {
		err := readLines(ctx, in, func(line []byte, n int) {
			ok, keep := chosen[fi][int32(n)]
			if !keep {
				return
			}
			f.Write(line)
			f.Write([]byte{'\n'})
			stats.Keys++
			if ok {
				stats.OK++
			} else {
				stats.Failed++
			}
		})
		if err != nil {
			f.Abort()
			return stats, bad, err
		}
	}
	if err := f.Commit(); err != nil {
		return stats, bad, fmt.Errorf("leak: merge: %w", err)
	}
	return stats, bad, nil
}

// readLines calls fn with the body of every complete, non-blank line of the
// file at path (without its newline) and its 1-based number, checking ctx
// every few thousand lines.
func readLines(ctx context.Context, path string, fn func(line []byte, n int)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("leak: merge: %w", err)
	}
	defer f.Close()
	var cerr error
	err = forEachLine(f, func(line []byte, n int) {
		if cerr != nil {
			return
		}
		if n%4096 == 0 {
			if cerr = ctx.Err(); cerr != nil {
				return
			}
		}
		if body := bytes.TrimSpace(line); len(body) > 0 {
			fn(body, n)
		}
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("leak: merge: %s: %w", path, err)
	}
	return nil
}

// ExpandResults expands the shell patterns among paths (a Slurm array's
// "results-*.jsonl"), in order, each pattern's matches sorted, and drops
// repeats. A pattern that matches nothing, or a plain path that does not
// exist, is an error naming it.
func ExpandResults(paths []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for _, p := range paths {
		matches := []string{p}
		if hasMeta(p) {
			m, err := filepath.Glob(p)
			if err != nil {
				return nil, fmt.Errorf("leak: results %q: %w", p, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("leak: results %q: no file matches", p)
			}
			slices.Sort(m)
			matches = m
		} else if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("leak: results: %w", err)
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }
