package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/internal/workers"
)

// Merge gathers the outputs of several builds (the shards of one
// collection, built with the same settings) into out: variant and scene
// files are hard-linked (copied when a link is not possible), journals are
// united, and metadata.jsonl, filtered.jsonl, failed.jsonl, summary.json and
// the contact sheet are written for the whole. A photo found in several
// inputs is taken once. out may already hold a merge or a build with the same
// settings; it must not be one of the inputs.
func Merge(ctx context.Context, out string, ins []string, sheetPhotos int) (*Summary, error) {
	s, err := mergeSettings(out, ins)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	unlock, err := lockOut(out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := writeSettings(out, s); err != nil {
		return nil, err
	}
	j, err := openJournal(filepath.Join(out, "journal.jsonl"))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if err := prepare(out, s, j); err != nil {
		return nil, err
	}
	run := &RunStats{}
	var extra []*FailedRow
	seenFail := map[string]bool{}
	for _, in := range ins {
		if err := mergeJournal(ctx, in, out, j, run); err != nil {
			return nil, err
		}
		fails, err := readFailed(filepath.Join(in, "failed.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("pipeline: merge: %w", err)
		}
		for _, fr := range fails {
			key := fr.Source + "\x00" + fr.Error
			if fr.ID == "" && !seenFail[key] {
				seenFail[key] = true
				extra = append(extra, fr)
			}
		}
	}
	return finalize(out, s, j, extra, run, sheetPhotos)
}

// mergeSettings returns the settings every input was built with, refusing
// an input that is the output, is not a build, or was built otherwise.
func mergeSettings(out string, ins []string) (Settings, error) {
	var s Settings
	if len(ins) == 0 {
		return s, errors.New("pipeline: merge: no inputs")
	}
	absOut, _ := filepath.Abs(out)
	for i, in := range ins {
		if absIn, _ := filepath.Abs(in); absIn == absOut {
			return s, fmt.Errorf("pipeline: merge: %s is both an input and the output", in)
		}
		si, ok, err := ReadSettings(in)
		if err != nil {
			return s, fmt.Errorf("pipeline: merge: %w", err)
		}
		if !ok {
			return s, fmt.Errorf("pipeline: merge: %s has no build.json: not a phantom build output", in)
		}
		if i == 0 {
			s = si
		} else if d := s.diff(si, ins[0], in); len(d) > 0 {
			return s, fmt.Errorf("%w: %s and %s differ:\n  %s", ErrSettingsChanged, ins[0], in, strings.Join(d, "\n  "))
		}
	}
	return s, nil
}

// mergeJournal adds the photos of in's journal that j lacks to j, after
// linking or copying the files of each built one into out.
func mergeJournal(ctx context.Context, in, out string, j *journal, run *RunStats) error {
	f, err := os.Open(filepath.Join(in, "journal.jsonl"))
	if err != nil {
		return fmt.Errorf("pipeline: merge: %w", err)
	}
	entries, _, err := readJournal(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("pipeline: merge: %s: %w", in, err)
	}
	// The inputs are merged one after another, so j.has sees every photo
	// of the inputs before; one journal's IDs are distinct.
	var todo []*entry
	for _, e := range sortedEntries(entries) {
		run.Photos++
		if j.has(e.ID) {
			run.Duplicates++
			continue
		}
		todo = append(todo, e)
	}
	if err := mergeEntries(ctx, j, in, out, todo); err != nil {
		return err
	}
	run.Processed += len(todo)
	return nil
}

// mergeWorkers is how many photos mergeEntries links and journals at once:
// a photo's work is mostly waiting for fsyncs, which the journal shares
// among the appends that wait together (group commit).
const mergeWorkers = 32

// mergeEntries links the files of the entries of input in into out and
// appends the entries to out's journal, mergeWorkers at a time. The
// journal's lines come in any order; what is derived from it is sorted.
func mergeEntries(ctx context.Context, j *journal, in, out string, todo []*entry) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers.Each(ctx, len(todo), mergeWorkers, func(i int) {
		if err := mergeEntry(j, in, out, todo[i]); err != nil {
			cancel(err)
		}
	})
	return context.Cause(ctx)
}

// mergeEntry links one photo's files (a done photo's scene and variants)
// from in into out, then journals it.
func mergeEntry(j *journal, in, out string, e *entry) error {
	if e.Status == statusDone {
		files := []string{"scenes/" + e.ID + ".json"}
		for _, r := range e.Rows {
			files = append(files, r.FileName)
		}
		for _, rel := range files {
			if err := linkOrCopy(filepath.Join(in, filepath.FromSlash(rel)), filepath.Join(out, filepath.FromSlash(rel))); err != nil {
				return fmt.Errorf("pipeline: merge: %w", err)
			}
		}
	}
	return j.add(e)
}

func sortedEntries(m map[string]*entry) []*entry {
	j := &journal{entries: m}
	return j.sorted()
}

// readFailed reads a failed.jsonl file; a missing file has no rows.
func readFailed(path string) ([]*FailedRow, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*FailedRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		var r FailedRow
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Source != "" {
			out = append(out, &r)
		}
	}
	return out, sc.Err()
}

// linkOrCopy puts src at dst: a hard link when the file system allows,
// otherwise an atomic copy.
func linkOrCopy(src, dst string) error {
	tmp := filepath.Join(filepath.Dir(dst), tempName(filepath.Base(dst)))
	if err := os.Link(src, tmp); err == nil {
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeAtomic(dst, data)
}
