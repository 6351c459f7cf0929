package detect

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestNewAnalyzerStages: WithStages loads only the stages asked for, plus
// the faces that the OpenCV person default's bodies below faces need; a
// corrupt model of a stage not asked for is never opened.
func TestNewAnalyzerStages(t *testing.T) {
	needORT(t)
	corruptMasks := func(t *testing.T, d string) string {
		if err := os.WriteFile(filepath.Join(d, "isnet-quint8.onnx"), []byte("not a model"), 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name   string
		dir    func(t *testing.T) string
		stages Stages
		want   [3]string // face, person, segmenter names; "" for not loaded
	}{
		{"none", func(*testing.T) string { return NoModels }, 0, [3]string{"", "", ""}},
		{"faces", func(t *testing.T) string { return corruptMasks(t, t.TempDir()) }, StageFaces, [3]string{HaarName, "", ""}},
		{"masks imply people; HOG needs faces", func(*testing.T) string { return NoModels }, StageMasks, [3]string{HaarName, HOGName, GrabCutName}},
		{"people without masks", func(*testing.T) string { return NoModels }, StagePeople, [3]string{HaarName, HOGName, ""}},
		{"a person model needs no faces", func(t *testing.T) string { return linkModels(t, "yolov8n-coco.onnx", "yunet-face.onnx") },
			StagePeople | StageMasks, [3]string{"", "yolov8-coco:yolov8n-coco.onnx", GrabCutName}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAnalyzer(tc.dir(t), WithDevice(DeviceCPU), WithStages(tc.stages), WithLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if got := stageNames(a); got != tc.want {
				t.Errorf("detectors %q, want %q", got, tc.want)
			}
		})
	}
}

func stageNames(a *Analyzer) [3]string {
	var got [3]string
	if a.faces != nil {
		got[0] = a.faces.Name()
	}
	if a.people != nil {
		got[1] = a.people.Name()
	}
	if a.segmenter != nil {
		got[2] = a.segmenter.Name()
	}
	return got
}

func TestAnalyzerOnly(t *testing.T) {
	full, err := NewAnalyzer(NoModels, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Skip(err)
	}
	defer full.Close()
	noHOG := *full
	noHOG.peopleFromFaces = false
	tests := []struct {
		name   string
		a      *Analyzer
		stages Stages
		want   [3]string
	}{
		{"faces", full, StageFaces, [3]string{HaarName, "", ""}},
		{"nothing", full, 0, [3]string{"", "", ""}},
		{"people from faces keep the faces", full, StageMasks, [3]string{HaarName, HOGName, GrabCutName}},
		{"people alone", &noHOG, StagePeople | StageMasks, [3]string{"", HOGName, GrabCutName}},
		{"all", full, AllStages, [3]string{HaarName, HOGName, GrabCutName}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stageNames(tc.a.Only(tc.stages)); got != tc.want {
				t.Errorf("detectors %q, want %q", got, tc.want)
			}
			if got := stageNames(full); got != [3]string{HaarName, HOGName, GrabCutName} {
				t.Errorf("Only changed its receiver: %q", got)
			}
		})
	}
}

func ExampleStages() {
	fmt.Println(StageFaces, StageMasks|StagePeople, AllStages, Stages(0))
	// Output: faces people+masks faces+people+masks none
}
