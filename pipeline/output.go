package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// Summary is OUT/summary.json: what OUT holds and how the last run went.
type Summary struct {
	// Photos counts the photos with an outcome in OUT: Built + Filtered + the
	// failures that have an ID.
	Photos   int `json:"photos"`
	Built    int `json:"built"`
	Filtered int `json:"filtered"`
	// Failed counts the rows of failed.jsonl.
	Failed int `json:"failed"`
	// Variants counts the variant files per condition.
	Variants map[string]int `json:"variants"`
	// NoFaces and NoPeople count built photos where detection found none.
	NoFaces  int `json:"no_faces"`
	NoPeople int `json:"no_people"`
	// Stages has the time spent per stage over every photo in OUT.
	Stages map[string]StageStats `json:"stages"`
	// Run describes the run that wrote this summary.
	Run RunStats `json:"run"`
}

// StageStats is the time one stage took, summed over photos.
type StageStats struct {
	Photos       int     `json:"photos"`
	TotalSeconds float64 `json:"total_s"`
	MeanMS       float64 `json:"mean_ms"`
}

// RunStats describes one run of the builder.
type RunStats struct {
	// Photos is the number of records the run was given.
	Photos int `json:"photos"`
	// Processed photos got an outcome in this run: Built, Filtered or Failed.
	Processed int `json:"processed"`
	Built     int `json:"built"`
	Filtered  int `json:"filtered"`
	Failed    int `json:"failed"`
	// Resumed photos were already complete; OtherShard photos belong to
	// another shard; Duplicates repeat a photo (same bytes, same path).
	Resumed    int `json:"resumed"`
	OtherShard int `json:"other_shard"`
	Duplicates int `json:"duplicates"`
	Workers    int `json:"workers"`
	// WallSeconds is the run's duration; CPUSeconds the process's CPU time
	// in it; CPUUtilisation is CPUSeconds / (WallSeconds × GOMAXPROCS).
	WallSeconds     float64 `json:"wall_s"`
	CPUSeconds      float64 `json:"cpu_s"`
	CPUUtilisation  float64 `json:"cpu_utilisation"`
	PhotosPerSecond float64 `json:"photos_per_s"`
}

// finalize derives metadata.jsonl, filtered.jsonl, failed.jsonl,
// summary.json and the contact sheet from the journal, plus failures that
// have no journal entry (inputs that could not be read at all).
func finalize(out string, s Settings, j *journal, extraFails []*FailedRow, run *RunStats, sheetPhotos int) (*Summary, error) {
	sum, files, done, err := summarize(j, s.Conditions, extraFails)
	if err != nil {
		return nil, err
	}
	if run != nil {
		sum.Run = *run
	}
	sb, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	files["summary.json"] = append(sb, '\n')
	for name, data := range files {
		if err := imageio.WriteFileAtomic(filepath.Join(out, name), data); err != nil {
			return sum, fmt.Errorf("pipeline: writing %s: %w", name, err)
		}
	}
	return sum, writeContactSheet(out, done, sheetPhotos, s.Conditions)
}

// summarize counts the journal's photos per outcome, condition and stage
// into a Summary and encodes the rows of metadata.jsonl, filtered.jsonl
// and failed.jsonl (extraFails, the failures without a photo ID, at the end
// of the last). It returns the built photos' entries too.
func summarize(j *journal, conds []Condition, extraFails []*FailedRow) (*Summary, map[string][]byte, []*entry, error) {
	sum := &Summary{Variants: map[string]int{}, Stages: map[string]StageStats{}}
	for _, c := range conds {
		sum.Variants[string(c)] = 0
	}
	var meta, filtered, failed bytes.Buffer
	enc := func(buf *bytes.Buffer, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
		return nil
	}
	var done []*entry
	for _, e := range j.sorted() {
		sum.Photos++
		for st, ms := range e.StageMS {
			ss := sum.Stages[st]
			ss.Photos++
			ss.TotalSeconds += ms / 1000
			sum.Stages[st] = ss
		}
		var err error
		switch e.Status {
		case statusDone:
			sum.Built++
			done = append(done, e)
			if len(e.Rows) > 0 && e.Rows[0].Faces == 0 {
				sum.NoFaces++
			}
			if len(e.Rows) > 0 && e.Rows[0].People == 0 {
				sum.NoPeople++
			}
			for _, r := range e.Rows {
				sum.Variants[r.Condition]++
				if err = enc(&meta, r); err != nil {
					break
				}
			}
		case statusFiltered:
			sum.Filtered++
			err = enc(&filtered, e.Filtered)
		case statusFailed:
			sum.Failed++
			err = enc(&failed, e.Failed)
		}
		if err != nil {
			return nil, nil, nil, err
		}
	}
	sort.Slice(extraFails, func(a, b int) bool { return extraFails[a].Source < extraFails[b].Source })
	for _, f := range extraFails {
		sum.Failed++
		if err := enc(&failed, f); err != nil {
			return nil, nil, nil, err
		}
	}
	for st, ss := range sum.Stages {
		if ss.Photos > 0 {
			ss.MeanMS = ss.TotalSeconds * 1000 / float64(ss.Photos)
		}
		sum.Stages[st] = ss
	}
	files := map[string][]byte{
		"metadata.jsonl": meta.Bytes(),
		"filtered.jsonl": filtered.Bytes(),
		"failed.jsonl":   failed.Bytes(),
	}
	return sum, files, done, nil
}

// writeContactSheet draws the sheet of up to photos of the built ones into
// out, or removes an old sheet when there is none to draw.
func writeContactSheet(out string, done []*entry, photos int, conds []Condition) error {
	sheet := filepath.Join(out, "contact-sheet.png")
	if photos <= 0 || len(done) == 0 {
		os.Remove(sheet)
		return nil
	}
	img, err := ContactSheet(out, pickForSheet(done, photos), conds)
	if err != nil {
		return err
	}
	if err := imageio.Save(sheet, img); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// pickForSheet takes up to n photos, those with both a face and a person
// first, by ID.
func pickForSheet(done []*entry, n int) [][]Row {
	var good, rest [][]Row
	for _, e := range done {
		if len(e.Rows) == 0 {
			continue
		}
		if e.Rows[0].Faces > 0 && e.Rows[0].People > 0 {
			good = append(good, e.Rows)
		} else {
			rest = append(rest, e.Rows)
		}
	}
	all := append(good, rest...)
	if len(all) > n {
		all = all[:n]
	}
	return all
}
