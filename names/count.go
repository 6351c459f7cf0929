package names

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/lockfile"
	"github.com/phantom-vlm/phantom/internal/textnorm"
	"github.com/phantom-vlm/phantom/shard"
)

// Set is the names to count: each as given and folded, distinct by folded
// form.
type Set struct {
	// Names are the names as given (the first spelling of each folded form).
	Names []string
	// Folded are textnorm.Normalize(Names[i]).
	Folded []string
}

// NewSet folds names and drops the empty ones and those whose folded form
// came before; it returns the set and the names it dropped, with why.
func NewSet(names []string) (Set, []string) {
	var s Set
	var dropped []string
	first := make(map[string]string, len(names))
	for _, n := range names {
		f := textnorm.Normalize(n)
		if f == "" {
			if n != "" {
				dropped = append(dropped, fmt.Sprintf("%q: empty once folded", n))
			}
			continue
		}
		if prev, ok := first[f]; ok {
			if prev != n {
				dropped = append(dropped, fmt.Sprintf("%q: the same as %q once folded", n, prev))
			}
			continue
		}
		first[f] = n
		s.Names = append(s.Names, n)
		s.Folded = append(s.Folded, f)
	}
	return s, dropped
}

// Hash identifies the set's folded names and the rule, so that partial
// counts made for another set are not taken for this one.
func (s Set) Hash(rule Rule) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", rule)
	for _, f := range s.Folded {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Options configure Count.
type Options struct {
	// Source says how to read the files.
	Source Source
	// Rule is the counting rule.
	Rule Rule
	// Jobs is the number of files read at once (GOMAXPROCS when ≤ 0).
	Jobs int
	// Shard is the part of the files to count (by each file's path, with
	// shard.Shard.HasKey); the zero Shard is all of them.
	Shard shard.Shard
	// Parts is the folder of per-file partial counts: a file whose partial
	// is there (for the same names, rule, source and file size) is not read
	// again, and each file counted is written there. "" keeps none. The
	// folder is locked for the run: a second run on it gets an error
	// wrapping lockfile.ErrHeld.
	Parts string
	// Progress, when not nil, is told the bytes of input read (not those
	// of files taken from Parts; see Done).
	Progress func(n int64)
	// OnFile, when not nil, is called after each file, from the worker
	// goroutines: with a nil error when it was counted (or resumed).
	OnFile func(f FileCount, err error)
}

// FileCount is the count of one input file.
type FileCount struct {
	// File is the input's path.
	File string `json:"file"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// Captions is the number of captions (rows, lines) read, Empty of them
	// empty, only white space, null or missing.
	Captions int64 `json:"captions"`
	Empty    int64 `json:"empty"`
	// Bytes is the captions' text in bytes.
	Bytes int64 `json:"bytes"`
	// Counts is, for each name of the set, the captions that contain it.
	Counts []int64 `json:"-"`
	// Resumed is true when the count was read from a partial file.
	Resumed bool `json:"-"`
}

// FileError is an input file that could not be counted.
type FileError struct {
	File string `json:"file"`
	Err  error  `json:"-"`
}

// MarshalJSON writes the error as a string.
func (e FileError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		File  string `json:"file"`
		Error string `json:"error"`
	}{e.File, e.Err.Error()})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (e *FileError) UnmarshalJSON(data []byte) error {
	var v struct {
		File  string `json:"file"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	e.File, e.Err = v.File, errors.New(v.Error)
	return nil
}

// Result is the count over all files.
type Result struct {
	// Set is the names counted.
	Set Set
	// Rule is the rule they were counted by.
	Rule Rule
	// Counts is, for each name of the set, the captions that contain it.
	Counts []int64
	// Captions, Empty and Bytes add up the files'.
	Captions, Empty, Bytes int64
	// Files are the files counted (resumed or read), in input order.
	Files []FileCount
	// Failed are the files that could not be counted, in input order.
	Failed []FileError
	// Skipped is the number of input files left to other shards.
	Skipped int
}

// Count counts, for each name of set, the captions of files that contain it
// under opt.Rule, reading opt.Jobs files at once. A file that cannot be
// read is recorded in Result.Failed and the others go on; Count returns an
// error only when ctx ends (with what it finished) or the matcher cannot be
// built. The result is the same whatever the number of jobs or the order
// the files finish in.
func Count(ctx context.Context, files []string, set Set, opt Options) (*Result, error) {
	m, err := NewMatcher(set.Folded, opt.Rule)
	if err != nil {
		return nil, err
	}
	if opt.Parts != "" {
		if err := os.MkdirAll(opt.Parts, 0o755); err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		// Two runs writing one parts folder would each count every file;
		// the second is refused, naming the first.
		l, err := lockfile.Acquire(filepath.Join(opt.Parts, ".lock"))
		if err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		defer l.Close()
	}
	res := &Result{Set: set, Rule: opt.Rule, Counts: make([]int64, len(set.Names))}
	var mine []string
	for _, f := range files {
		if opt.Shard.Whole() || opt.Shard.HasKey(ShardKey(f)) {
			mine = append(mine, f)
		} else {
			res.Skipped++
		}
	}
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = max(min(jobs, len(mine)), 1)
	hash := set.Hash(opt.Rule)
	counts := make([]*FileCount, len(mine))
	errs := make([]error, len(mine))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			sc := m.NewScanner()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(mine) || ctx.Err() != nil {
					return
				}
				fc, err := countFile(ctx, mine[i], sc, hash, opt)
				if ctx.Err() != nil {
					return // not a failure of the file
				}
				counts[i], errs[i] = fc, err
				if opt.OnFile != nil {
					if fc == nil {
						fc = &FileCount{File: mine[i]}
					}
					opt.OnFile(*fc, err)
				}
			}
		})
	}
	wg.Wait()
	for i, f := range mine {
		switch {
		case errs[i] != nil:
			res.Failed = append(res.Failed, FileError{File: f, Err: errs[i]})
		case counts[i] != nil:
			fc := counts[i]
			res.Files = append(res.Files, *fc)
			res.Captions += fc.Captions
			res.Empty += fc.Empty
			res.Bytes += fc.Bytes
			for j, c := range fc.Counts {
				res.Counts[j] += c
			}
		}
	}
	return res, ctx.Err()
}

// ShardKey is the key a file is assigned to a shard by: its cleaned path
// with forward slashes, as it was given (the same command line on every
// task of a job array gives the same keys).
func ShardKey(path string) string { return filepath.ToSlash(filepath.Clean(path)) }

// partial is a file's count as written in the parts folder.
type partial struct {
	File     string           `json:"file"`
	Size     int64            `json:"size"`
	Source   string           `json:"source"`
	Rule     string           `json:"rule"`
	Names    string           `json:"names_sha256"`
	Captions int64            `json:"captions"`
	Empty    int64            `json:"empty"`
	Bytes    int64            `json:"bytes"`
	Counts   map[string]int64 `json:"counts"` // folded name → captions, non-zero only
}

// partialPath is where the partial count of file lives in parts.
func partialPath(parts, file string) string {
	sum := sha256.Sum256([]byte(ShardKey(file)))
	return filepath.Join(parts, hex.EncodeToString(sum[:12])+".json")
}

func (src Source) String() string {
	return fmt.Sprintf("format=%s column=%s field=%s", src.Format, src.Column, src.Field)
}

// countFile counts one file, or reads its partial count.
func countFile(ctx context.Context, path string, sc *Scanner, hash string, opt Options) (*FileCount, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	folded := sc.m.patterns
	var pp string
	if opt.Parts != "" {
		pp = partialPath(opt.Parts, path)
		if fc, ok := readPartial(pp, path, st.Size(), hash, opt, folded); ok {
			return fc, nil // its bytes are not reported to Progress
		}
	}
	var read atomic.Int64
	var reported int64
	report := func() {
		if opt.Progress != nil {
			n := read.Load()
			opt.Progress(n - reported)
			reported = n
		}
	}
	sc.Reset()
	fc := &FileCount{File: path, Size: st.Size()}
	n := 0
	err = opt.Source.read(ctx, path, &read, func(c []byte, present bool) {
		fc.Captions++
		fc.Bytes += int64(len(c))
		if !present || len(bytes.TrimSpace(c)) == 0 {
			fc.Empty++
			return
		}
		sc.Add(c)
		if n++; n&0x3fff == 0 {
			report()
		}
	})
	if opt.Progress != nil {
		opt.Progress(st.Size() - reported) // the file is done, whatever was read of it
	}
	if err != nil {
		return nil, err
	}
	sc.Flush()
	fc.Counts = append([]int64(nil), sc.Counts()...)
	if pp != "" {
		p := partial{File: path, Size: fc.Size, Source: opt.Source.String(), Rule: opt.Rule.String(), Names: hash,
			Captions: fc.Captions, Empty: fc.Empty, Bytes: fc.Bytes, Counts: map[string]int64{}}
		for i, c := range fc.Counts {
			if c > 0 {
				p.Counts[folded[i]] = c
			}
		}
		data, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if err := imageio.WriteFileAtomic(pp, append(data, '\n')); err != nil {
			return nil, fmt.Errorf("%s: partial count: %w", path, err)
		}
	}
	return fc, nil
}

// Done returns the bytes of the files whose partial counts in opt.Parts
// the run Count(files, set, opt) would take instead of reading them: the
// progress a rerun starts from. Files left to other shards are not
// counted.
func Done(files []string, set Set, opt Options) int64 {
	if opt.Parts == "" {
		return 0
	}
	hash := set.Hash(opt.Rule)
	var n int64
	for _, f := range files {
		if !opt.Shard.Whole() && !opt.Shard.HasKey(ShardKey(f)) {
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			continue
		}
		if _, ok := readPartial(partialPath(opt.Parts, f), f, st.Size(), hash, opt, set.Folded); ok {
			n += st.Size()
		}
	}
	return n
}

// readPartial reads a partial count made for the same file, size, source,
// rule and names.
func readPartial(pp, path string, size int64, hash string, opt Options, folded []string) (*FileCount, bool) {
	data, err := os.ReadFile(pp)
	if err != nil {
		return nil, false
	}
	var p partial
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, false
	}
	if p.File != path || p.Size != size || p.Names != hash || p.Rule != opt.Rule.String() || p.Source != opt.Source.String() {
		return nil, false
	}
	fc := &FileCount{File: path, Size: size, Captions: p.Captions, Empty: p.Empty, Bytes: p.Bytes,
		Counts: make([]int64, len(folded)), Resumed: true}
	idx := make(map[string]int, len(folded))
	for i, f := range folded {
		idx[f] = i
	}
	for f, c := range p.Counts {
		i, ok := idx[f]
		if !ok || c < 0 {
			return nil, false
		}
		fc.Counts[i] = c
	}
	return fc, true
}
