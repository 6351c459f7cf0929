package pipeline

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/testenv"
	"github.com/phantom-vlm/phantom/ocrfilter"
)

// realManifest writes a CSV manifest, outside the data folder, of the sample
// photos and a few labelled faces of $PHANTOM_DATA; its paths are relative to
// $PHANTOM_DATA, the root it is resolved against.
func realManifest(t *testing.T, congress int) (manifest, root string) {
	t.Helper()
	root = testenv.Data(t)
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"path", "name", "aliases"})
	w.Write([]string{"photos/eileen-collins.png", "Eileen Collins", ""})
	for _, p := range []string{"cameraman.png", "portrait-outdoor.jpg", "gorilla.png"} {
		w.Write([]string{"photos/" + p, "Unknown Person", ""})
	}
	w.Write([]string{"faces/face_recognition_examples/obama.jpg", "Barack Obama", "Obama|Barack Hussein Obama"})
	w.Write([]string{"../outside.jpg", "Nobody", ""})
	w.Write([]string{"photos/text-noisy.png", "Ada Implementation", ""}) // the OCR filter drops it
	f, err := os.Open(filepath.Join(root, "faces", "congress", "labels.csv"))
	must(t, err)
	defer f.Close()
	labels, err := csv.NewReader(f).ReadAll()
	must(t, err)
	for i, row := range labels[1:] {
		if i == congress {
			break
		}
		name := row[3]
		aliases := ""
		if row[2] != row[3] {
			aliases = row[2]
		}
		w.Write([]string{"faces/congress/" + row[0], name, aliases})
	}
	w.Flush()
	manifest = filepath.Join(t.TempDir(), "people.csv")
	must(t, os.WriteFile(manifest, []byte(b.String()), 0o644))
	return manifest, root
}

func realBackgrounds(t *testing.T, root string) *background.Set {
	t.Helper()
	dir := t.TempDir()
	for _, n := range []string{"evening-glow.jpg", "forest-path.jpg", "lake-dusk.jpg"} {
		must(t, os.Symlink(filepath.Join(root, "backgrounds", n), filepath.Join(dir, n)))
	}
	set, err := background.LoadSet(dir)
	must(t, err)
	return set
}

// TestBuildRealPhotos builds the sample photos and some labelled faces of
// $PHANTOM_DATA and checks the dataset: one row per condition per kept
// photo, files that decode, scenes that load and match the rows, faces
// pixelated, the escaping manifest row refused.
func TestBuildRealPhotos(t *testing.T) {
	manifest, root := realManifest(t, 3)
	recs, err := ManifestRecords(manifest, root)
	must(t, err)
	out := t.TempDir()
	ocr, err := ocrfilter.New(ocrfilter.WithPoolSize(2))
	must(t, err)
	defer ocr.Close()
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithBackgrounds(realBackgrounds(t, root)), WithWorkers(2), WithSeed(1), WithFilter(OCRFilter(ocr)))
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	must(t, err)
	rows := checkOutput(t, out, AllConditions)
	if sum.Built != len(recs)-2 || sum.Filtered != 1 || len(rows) != 6*sum.Built {
		t.Errorf("built %d of %d records, %d rows", sum.Built, len(recs), len(rows))
	}
	filtered := readJSONL[FilteredRow](t, filepath.Join(out, "filtered.jsonl"))
	if len(filtered) != 1 || filtered[0].Source != "photos/text-noisy.png" || !strings.Contains(strings.ToLower(string(filtered[0].Evidence)), "implementation") {
		t.Errorf("filtered.jsonl = %+v, want text-noisy.png with its evidence", filtered)
	}
	failed := readJSONL[FailedRow](t, filepath.Join(out, "failed.jsonl"))
	if len(failed) != 1 || failed[0].Stage != "source" || !strings.Contains(failed[0].Error, "escapes") || !strings.Contains(failed[0].Error, "line 7") {
		t.Errorf("failed.jsonl = %+v, want the ../outside.jpg row refused", failed)
	}
	faces := map[string]int{}
	for _, r := range rows {
		if r.Condition != string(Original) {
			continue
		}
		faces[r.Source] = r.Faces
		data, err := os.ReadFile(filepath.Join(out, "scenes", r.ID+".json"))
		must(t, err)
		var sc detect.Scene
		must(t, json.Unmarshal(data, &sc))
		if len(sc.Faces) != r.Faces || len(sc.People) != r.People || sc.Width != r.Width || sc.Height != r.Height {
			t.Errorf("%s: scene (%d faces, %d people, %dx%d) disagrees with its row %+v", r.Source, len(sc.Faces), len(sc.People), sc.Width, sc.Height, r)
		}
		if r.Source == "faces/face_recognition_examples/obama.jpg" && fmt.Sprint(r.Aliases) != "[Obama Barack Hussein Obama]" {
			t.Errorf("aliases %q", r.Aliases)
		}
	}
	for _, src := range []string{"photos/eileen-collins.png", "photos/portrait-outdoor.jpg", "faces/face_recognition_examples/obama.jpg"} {
		if faces[src] < 1 {
			t.Errorf("%s: %d faces found, want at least 1", src, faces[src])
		}
	}

	// The audit re-detects faces on the pixelated variants of every photo.
	a := NewAuditor(testFaceDetector(t), WithAuditWorkers(2))
	rep, err := a.Run(context.Background(), out)
	must(t, err)
	if len(rep.Conditions) != 3 || len(rep.Failed) != 0 {
		t.Fatalf("audit: %+v", rep)
	}
	for _, c := range rep.Conditions {
		if c.Variants != sum.Built || c.OriginalFaces == 0 {
			t.Errorf("audit %s: %+v", c.Condition, c)
		}
		t.Logf("audit %s: %d of %d faces still detected (%.0f%%)", c.Condition, c.Residuals, c.OriginalFaces, 100*c.Rate)
	}
}
