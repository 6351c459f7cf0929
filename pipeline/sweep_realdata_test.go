package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestSweepAuditRealPhotos builds a pixelation sweep of the shared photos
// (small faces in a crowd, portraits) with the YOLOv8-face model of
// $PHANTOM_MODELS, audits it with YuNet, a detector of another family, and
// checks that the residual detection rate does not rise as the grid gets
// coarser: a coarser grid never leaves more faces detectable.
func TestSweepAuditRealPhotos(t *testing.T) {
	models, root := filepath.Dir(testenv.Model(t, "yolov8-lite-t-face.onnx")), testenv.Data(t)
	testenv.Model(t, "yunet-face.onnx")
	in := t.TempDir()
	link := func(person, rel string) {
		must(t, os.MkdirAll(filepath.Join(in, person), 0o755))
		must(t, os.Symlink(filepath.Join(root, rel), filepath.Join(in, person, filepath.Base(rel))))
	}
	for _, p := range []string{"crowd-selfie.jpg", "two-people-night.jpg", "portrait-outdoor.jpg", "eileen-collins.png"} {
		link("Someone", filepath.Join("photos", p))
	}
	for _, p := range []string{"obama.jpg", "biden.jpg", "test_obama_and_biden.jpg", "two_people.jpg", "lin-manuel-miranda.png"} {
		link("Someone Else", filepath.Join("faces", "face_recognition_examples", p))
	}
	ents, err := os.ReadDir(filepath.Join(root, "faces", "congress"))
	must(t, err)
	n := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".jpg" && n < 6 {
			link("Member", filepath.Join("faces", "congress", e.Name()))
			n++
		}
	}
	recs, err := FolderRecords(in)
	must(t, err)
	sweep, err := ParseSweep("pixelate:grid=16,10,6,4,2")
	must(t, err)
	a, err := detect.NewAnalyzer(models, detect.WithDevice(detect.DeviceCPU))
	must(t, err)
	defer a.Close()
	out := t.TempDir()
	b, err := New(out, WithAnalyzer(a), WithConditions(sweep...), WithWorkers(2), WithContactSheet(0))
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	must(t, err)
	if sum.Built != len(recs) {
		t.Fatalf("built %d of %d photos", sum.Built, len(recs))
	}
	if fam := detect.FaceFamily(a.Faces().Name()); fam != detect.FamilyYOLO {
		t.Fatalf("the build's faces came from %s, want a YOLO model", a.Faces().Name())
	}
	yunet, err := detect.NewFaceDetectorOfFamily(models, detect.FamilyYuNet, detect.WithDevice(detect.DeviceCPU))
	must(t, err)
	defer yunet.Close()
	rep, err := NewAuditor(yunet, WithAuditWorkers(2)).Run(context.Background(), out)
	must(t, err)
	if rep.SameFamily || len(rep.Failed) != 0 || len(rep.Conditions) != len(sweep) {
		t.Fatalf("audit: same family %v, %d failed, %d conditions", rep.SameFamily, len(rep.Failed), len(rep.Conditions))
	}
	byCond := map[string]ConditionAudit{}
	for _, c := range rep.Conditions {
		byCond[c.Condition] = c
		t.Logf("%-18s %3d of %3d faces still found by %s (%.0f%%); by size %+v", c.Condition, c.Residuals, c.OriginalFaces, rep.Detector, 100*c.Rate, c.BySize)
	}
	prev := byCond[string(sweep[0])]
	if prev.OriginalFaces < 10 {
		t.Fatalf("only %d faces in the sweep's photos", prev.OriginalFaces)
	}
	for _, c := range sweep[1:] {
		cur := byCond[string(c)]
		if cur.Rate > prev.Rate {
			t.Errorf("%s leaves %.1f%% of faces detectable, more than the finer %s's %.1f%%", c, 100*cur.Rate, prev.Condition, 100*prev.Rate)
		}
		prev = cur
	}
}
