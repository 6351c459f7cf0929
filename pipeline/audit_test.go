package pipeline

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
)

func TestMatchResiduals(t *testing.T) {
	box := func(x1, y1, x2, y2 float64) detect.Box { return detect.Box{X1: x1, Y1: y1, X2: x2, Y2: y2} }
	face := func(b detect.Box) detect.Face { return detect.Face{Box: b} }
	tests := []struct {
		name     string
		original []detect.Box
		found    []detect.Face
		want     int
	}{
		{name: "nothing found", original: []detect.Box{box(0, 0, 10, 10)}, want: 0},
		{name: "same box", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(0, 0, 10, 10))}, want: 1},
		{name: "IoU 0.33 counts", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(5, 0, 15, 10))}, want: 1},
		{name: "IoU 0.14 does not", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(7.5, 0, 17.5, 10))}, want: 0},
		{name: "a face elsewhere is no residual", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(50, 50, 60, 60))}, want: 0},
		{name: "two detections of one face count once", original: []detect.Box{box(0, 0, 10, 10)}, found: []detect.Face{face(box(0, 0, 10, 10)), face(box(1, 1, 10, 10))}, want: 1},
		{name: "two faces", original: []detect.Box{box(0, 0, 10, 10), box(20, 0, 30, 10)}, found: []detect.Face{face(box(21, 0, 31, 10)), face(box(0, 1, 10, 11))}, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MatchResiduals(tc.original, tc.found, DefaultResidualIoU)
			if len(got) != tc.want {
				t.Fatalf("%d residuals %+v, want %d", len(got), got, tc.want)
			}
			for _, r := range got {
				if r.IoU < DefaultResidualIoU || r.Original.IoU(r.Found) != r.IoU {
					t.Errorf("residual %+v", r)
				}
			}
		})
	}
}

func TestFaceSize(t *testing.T) {
	for _, tc := range []struct {
		h    float64
		want string
	}{{0, "<48"}, {47.9, "<48"}, {48, "48-96"}, {95, "48-96"}, {96, "96-192"}, {191.5, "96-192"}, {192, ">=192"}, {4000, ">=192"}} {
		if got := FaceSizes[faceSize(tc.h)].Name; got != tc.want {
			t.Errorf("face of height %g in band %s, want %s", tc.h, got, tc.want)
		}
	}
}

// detailDetector "finds" each face of the fixed scene whose box still shows
// more than min colours: a stand-in for a detector that needs detail.
type detailDetector struct{ min int }

func (d detailDetector) Name() string { return "yunet:detail" }
func (d detailDetector) Close() error { return nil }
func (d detailDetector) DetectFaces(ctx context.Context, img image.Image) ([]detect.Face, error) {
	sc, _ := fixedAnalyzer{}.Analyze(ctx, img)
	m := imageio.ToRGBA(img)
	var out []detect.Face
	for _, f := range sc.Faces {
		if distinctColours(m, f.Box.Rect().Intersect(m.Rect)) > d.min {
			out = append(out, f)
		}
	}
	return out, nil
}

// TestAuditSweep audits a sweep built with the fixed scene: every
// anonymized condition is audited in the build's order, with its columns,
// faces split by size, residuals falling as the grid gets coarser, and
// audit.csv and audit.json written.
func TestAuditSweep(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFixtures(t, in, 3)
	recs, err := FolderRecords(in)
	must(t, err)
	conds, err := ParseConditions("original,blur,fill")
	must(t, err)
	sweep, err := ParseSweep("pixelate:grid=16,6,2")
	must(t, err)
	b, err := New(out, WithAnalyzer(fixedAnalyzer{}), WithConditions(append(conds, sweep...)...), WithFormat("png"), WithContactSheet(0), WithWorkers(2))
	must(t, err)
	_, err = b.Run(context.Background(), recs)
	must(t, err)
	rep, err := NewAuditor(detailDetector{min: 8}, WithAuditWorkers(2)).Run(context.Background(), out)
	must(t, err)
	var names []string
	for _, c := range rep.Conditions {
		names = append(names, c.Condition)
	}
	if fmt.Sprint(names) != "[blur fill pixelate:grid=16 pixelate:grid=6 pixelate:grid=2]" {
		t.Fatalf("audited %v", names)
	}
	if fmt.Sprint(rep.FacesFrom) != "[fixed]" || rep.SameFamily {
		t.Errorf("faces from %v, same family %v", rep.FacesFrom, rep.SameFamily)
	}
	by := map[string]ConditionAudit{}
	for _, c := range rep.Conditions {
		by[c.Condition] = c
		if c.Variants != 3 || c.OriginalFaces != 5 || len(c.BySize) != len(FaceSizes) || c.BySize[0].OriginalFaces != 5 {
			t.Errorf("%s: %+v (3 photos, 5 faces, all under 48 px)", c.Condition, c)
		}
	}
	if c := by["pixelate:grid=16"]; c.Method != "pixelate" || c.Grid != 16 || c.Scale != 1 {
		t.Errorf("grid 16 columns: %+v", c)
	}
	g16, g6, g2, fill := by["pixelate:grid=16"].Residuals, by["pixelate:grid=6"].Residuals, by["pixelate:grid=2"].Residuals, by["fill"].Residuals
	if !(g16 > g2 && g16 >= g6 && g6 >= g2) || fill != 0 {
		t.Errorf("residuals: grid 16 %d, 6 %d, 2 %d, fill %d; want falling with the grid, none for fill", g16, g6, g2, fill)
	}
	must(t, WriteAudit(out, rep))
	f, err := os.Open(filepath.Join(out, AuditCSV))
	must(t, err)
	defer f.Close()
	recsCSV, err := csv.NewReader(f).ReadAll()
	must(t, err)
	if len(recsCSV) != 1+5*(1+len(FaceSizes)) || recsCSV[0][0] != "condition" || recsCSV[1][6] != "all" || recsCSV[2][6] != "<48" {
		t.Errorf("audit.csv: %d rows, first %v", len(recsCSV), recsCSV[:2])
	}
	var back AuditReport
	data, err := os.ReadFile(filepath.Join(out, AuditJSON))
	must(t, err)
	must(t, json.Unmarshal(data, &back))
	if len(back.Conditions) != 5 || len(back.Residuals) != len(rep.Residuals) {
		t.Errorf("audit.json: %d conditions, %d residuals", len(back.Conditions), len(back.Residuals))
	}
}
