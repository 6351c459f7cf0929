package pipeline

import (
	"context"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/background"
)

// describedFilter keeps every photo and describes itself, as OCRFilter's
// filter does.
type describedFilter string

func (describedFilter) Keep(context.Context, *image.RGBA, Record) (bool, any, error) {
	return true, nil, nil
}
func (d describedFilter) Settings() string { return string(d) }

// TestResumeRefusesOtherSettings builds one photo, then resumes the same
// OUT with one setting changed at a time: each is refused with
// ErrSettingsChanged naming the setting, and the same settings resume.
func TestResumeRefusesOtherSettings(t *testing.T) {
	in := t.TempDir()
	writeFixtures(t, in, 1)
	recs, err := FolderRecords(in)
	must(t, err)
	an := testAnalyzer(t)
	dets := map[string]string{"face": "opencv-haar", "person": "opencv-hog+face-body", "segmenter": "opencv-grabcut"}
	files := map[string]string{"haarcascade_frontalface_alt2.xml": strings.Repeat("a", 64)}
	otherBgs := background.NewSet(background.Background{Name: "sky.png", Image: image.NewUniform(color.RGBA{1, 2, 3, 255})},
		background.Background{Name: "grass.png", Image: image.NewUniform(color.RGBA{4, 5, 6, 255})})
	base := func() []Option {
		return []Option{WithAnalyzer(an), WithBackgrounds(testBackgrounds()), WithWorkers(1),
			WithConditions(Original, Landscape), WithDetectorSettings(dets, files),
			WithFilter(describedFilter("tesseract 5 lang=eng min_run=5"))}
	}
	out := t.TempDir()
	b, err := New(out, base()...)
	must(t, err)
	_, err = b.Run(context.Background(), recs)
	must(t, err)
	for _, r := range checkOutput(t, out, []Condition{Original, Landscape}) {
		if r.OCR != "tesseract 5 lang=eng min_run=5" {
			t.Errorf("row %s: ocr %q, want the filter's settings", r.FileName, r.OCR)
		}
	}

	otherFiles := map[string]string{"haarcascade_frontalface_alt2.xml": strings.Repeat("b", 64)}
	for _, tc := range []struct {
		setting string
		opt     Option
	}{
		{"detectors", WithDetectorSettings(map[string]string{"face": "yolov8-face:yolov8n-face.onnx"}, files)},
		{"model_files", WithDetectorSettings(dets, otherFiles)},
		{"ocr", WithFilter(nil)},
		{"ocr", WithFilter(describedFilter("tesseract 5 lang=eng min_run=6"))},
		{"backgrounds", WithBackgrounds(otherBgs)},
		{"conditions", WithConditions(Original, Landscape, Blur)},
		{"grid", WithGrid(4)},
		{"seed", WithSeed(3)},
		{"format", WithFormat("png")},
	} {
		b, err := New(out, append(base(), tc.opt)...)
		must(t, err)
		_, err = b.Run(context.Background(), recs)
		if !errors.Is(err, ErrSettingsChanged) || !strings.Contains(err.Error(), "\n  "+tc.setting+": ") ||
			!strings.Contains(err.Error(), "build into a new folder") {
			t.Errorf("resume with another %s: %v, want ErrSettingsChanged naming it", tc.setting, err)
		} else if n := strings.Count(err.Error(), "\n  "); n != 1 {
			t.Errorf("resume with another %s names %d settings:\n%v", tc.setting, n, err)
		}
	}
	b, err = New(out, base()...)
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	if err != nil || sum.Run.Resumed != 1 {
		t.Errorf("resume with the same settings: %v, %+v", err, sum.Run)
	}
}

// TestSettingsFromOlderBuild: a build.json written before the detectors,
// OCR and backgrounds were recorded does not resume with them, and says
// they were not recorded.
func TestSettingsFromOlderBuild(t *testing.T) {
	out := t.TempDir()
	must(t, os.WriteFile(filepath.Join(out, settingsFile), []byte(`{"conditions":["original"],"format":"jpg","seed":0,"grid":10}`), 0o644))
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithFilter(describedFilter("tesseract")))
	must(t, err)
	_, err = b.Run(context.Background(), nil)
	if !errors.Is(err, ErrSettingsChanged) || !strings.Contains(err.Error(), `ocr: (not recorded) in `) {
		t.Errorf("older build.json: %v, want ErrSettingsChanged with ocr not recorded", err)
	}
	b, err = New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithFilter(nil))
	must(t, err)
	if _, err := b.Run(context.Background(), nil); !errors.Is(err, ErrSettingsChanged) {
		t.Errorf("older build.json, no OCR: %v; want refused (OCR off is recorded as \"off\")", err)
	}
}
