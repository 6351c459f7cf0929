package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
)

// Photo outcomes recorded in the journal.
const (
	statusDone     = "done"
	statusFiltered = "filtered"
	statusFailed   = "failed"
)

// FilteredRow is one line of OUT/filtered.jsonl: a photo the OCR filter
// dropped because it shows the person's name as text.
type FilteredRow struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Name   string `json:"name"`
	// Evidence is what the filter found (words, boxes, confidences).
	Evidence json.RawMessage `json:"evidence,omitempty"`
}

// FailedRow is one line of OUT/failed.jsonl: an input that could not be
// built, and why.
type FailedRow struct {
	// ID is empty when the file could not even be read.
	ID     string `json:"id,omitempty"`
	Source string `json:"source"`
	Path   string `json:"path,omitempty"`
	Name   string `json:"name,omitempty"`
	// Stage is where it failed: source, read, decode, ocr, detect, render, write.
	Stage string `json:"stage"`
	Error string `json:"error"`
}

// entry is one line of OUT/journal.jsonl: the outcome of one photo. A photo
// is complete exactly when its entry is in the journal; the entry is
// appended in a single write after every file of the photo has been renamed
// into place. metadata.jsonl, filtered.jsonl and failed.jsonl are derived
// from the journal.
type entry struct {
	ID       string             `json:"id"`
	Source   string             `json:"source"`
	Status   string             `json:"status"`
	Rows     []Row              `json:"rows,omitempty"`
	Filtered *FilteredRow       `json:"filtered,omitempty"`
	Failed   *FailedRow         `json:"failed,omitempty"`
	StageMS  map[string]float64 `json:"stage_ms,omitempty"`
}

// journal is the append-only resume log. Appends are durable: add returns
// once the entry, and the renames of the files it vouches for, are on disk
// (fsync), with one fsync shared by the appends that wait at the same time
// (group commit).
type journal struct {
	mu      sync.Mutex
	f       *os.File
	entries map[string]*entry

	root  string     // the folder holding the journal: OUT
	fsync *groupSync // of f

	dirMu sync.Mutex
	dirs  map[string]*groupSync // OUT's folders, by path
}

// openJournal opens (or creates) the journal at path and reads the entries
// already there. A trailing partial line, left by a killed run, is cut off;
// a later entry for an ID replaces an earlier one.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pipeline: journal: %w", err)
	}
	entries, good, err := readJournal(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: journal %s: %w", path, err)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: journal %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: journal %s: %w", path, err)
	}
	j := &journal{f: f, entries: entries, root: filepath.Dir(path), fsync: newGroupSync(f), dirs: map[string]*groupSync{}}
	// The journal's own name in OUT, when it was just created.
	if err := j.syncDirs([]string{j.root}); err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: journal %s: %w", path, err)
	}
	return j, nil
}

// readJournal reads entries from r and returns the length of the prefix
// that holds only whole lines.
func readJournal(r io.Reader) (map[string]*entry, int64, error) {
	entries := map[string]*entry{}
	br := bufio.NewReaderSize(r, 1<<16)
	var good int64
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A line without its newline is a write cut short: drop it.
			return entries, good, nil
		}
		if err != nil {
			return nil, 0, err
		}
		good += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e entry
		if json.Unmarshal(line, &e) != nil || e.ID == "" {
			continue // a damaged line: its photo is redone
		}
		entries[e.ID] = &e
	}
}

// has reports whether the photo with this ID is complete.
func (j *journal) has(id string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.entries[id]
	return ok
}

// add appends e in one write, records it, and returns when it is on disk.
// Before the write it syncs the folders holding the files e names (its
// variants and, for a built photo, its scene), so that a power cut can never
// leave an entry whose files' renames were lost; the files themselves were
// synced when written. Concurrent adds share their fsyncs.
func (j *journal) add(e *entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := j.syncDirs(j.entryDirs(e)); err != nil {
		return fmt.Errorf("pipeline: journal: %w", err)
	}
	j.mu.Lock()
	if _, err := j.f.Write(b); err != nil {
		j.mu.Unlock()
		return fmt.Errorf("pipeline: journal: %w", err)
	}
	j.entries[e.ID] = e
	j.mu.Unlock()
	if err := j.fsync.sync(); err != nil {
		return fmt.Errorf("pipeline: journal: %w", err)
	}
	return nil
}

// entryDirs returns the folders of OUT that hold e's files.
func (j *journal) entryDirs(e *entry) []string {
	if e.Status != statusDone {
		return nil
	}
	dirs := []string{j.root, filepath.Join(j.root, "scenes")}
	for _, r := range e.Rows {
		d := filepath.Join(j.root, filepath.Dir(filepath.FromSlash(r.FileName)))
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// syncDirs syncs each folder, so that the renames into it so far are on
// disk.
func (j *journal) syncDirs(dirs []string) error {
	for _, d := range dirs {
		j.dirMu.Lock()
		g, ok := j.dirs[d]
		if !ok {
			f, err := os.Open(d)
			if err != nil {
				j.dirMu.Unlock()
				return err
			}
			g = newGroupSync(f)
			j.dirs[d] = g
		}
		j.dirMu.Unlock()
		if err := g.sync(); err != nil {
			return err
		}
	}
	return nil
}

// sorted returns the entries by ID.
func (j *journal) sorted() []*entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*entry, 0, len(j.entries))
	for _, e := range j.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// Close closes the journal and the folders it synced.
func (j *journal) Close() error {
	j.dirMu.Lock()
	for _, g := range j.dirs {
		g.f.Close()
	}
	j.dirs = nil
	j.dirMu.Unlock()
	return j.f.Close()
}

// groupSync shares fsyncs of one file between the goroutines that need it
// synced: a goroutine that arrives while an fsync runs waits for it and is
// covered by the next one, which then syncs everything done before any of
// them arrived.
type groupSync struct {
	f     *os.File
	fsync func() error // f.Sync

	mu    sync.Mutex // guards asked
	asked uint64     // syncs asked for so far

	syncMu sync.Mutex // held during an fsync; guards done
	done   uint64     // syncs asked for before the last fsync started
}

func newGroupSync(f *os.File) *groupSync { return &groupSync{f: f, fsync: f.Sync} }

// sync returns once everything written to the file (or renamed into the
// folder) before the call is on disk.
func (g *groupSync) sync() error {
	g.mu.Lock()
	g.asked++
	ticket := g.asked
	g.mu.Unlock()
	g.syncMu.Lock()
	defer g.syncMu.Unlock()
	if g.done >= ticket {
		return nil // an fsync that started after this call covered it
	}
	g.mu.Lock()
	upTo := g.asked
	g.mu.Unlock()
	if err := g.fsync(); err != nil {
		return err
	}
	g.done = upTo
	return nil
}
