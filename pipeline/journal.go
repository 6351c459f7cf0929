package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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

// journal is the append-only resume log.
type journal struct {
	mu      sync.Mutex
	f       *os.File
	entries map[string]*entry
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
	return &journal{f: f, entries: entries}, nil
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

// add appends e in one write and records it.
func (j *journal) add(e *entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("pipeline: journal: %w", err)
	}
	j.entries[e.ID] = e
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

func (j *journal) Close() error { return j.f.Close() }
