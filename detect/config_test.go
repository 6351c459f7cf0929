package detect

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// linkModels makes a models folder holding links to the named real models.
func linkModels(t *testing.T, names ...string) string {
	t.Helper()
	src := os.Getenv(ModelsEnv)
	if src == "" {
		t.Skip("PHANTOM_MODELS not set")
	}
	dir := t.TempDir()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(src, n)); err != nil {
			t.Skip(err)
		}
		if err := os.Symlink(filepath.Join(src, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNewAnalyzer(t *testing.T) {
	needORT(t)
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		want    [3]string // face, person, segmenter names
		logHas  []string
		noLog   []string
		wantErr error
	}{
		{
			name:   "no models",
			dir:    func(*testing.T) string { return NoModels },
			want:   [3]string{HaarName, HOGName, GrabCutName},
			logHas: []string{"no face model; using the OpenCV default", "no person model", "no mask model"},
		},
		{
			name:   "missing folder",
			dir:    func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent") },
			want:   [3]string{HaarName, HOGName, GrabCutName},
			logHas: []string{"no models folder"},
		},
		{
			name:   "yunet and coco",
			dir:    func(t *testing.T) string { return linkModels(t, "yunet-face.onnx", "yolov8n-coco.onnx") },
			want:   [3]string{"yunet:yunet-face.onnx", "yolov8-coco:yolov8n-coco.onnx", GrabCutName},
			logHas: []string{"no mask model; using the OpenCV default"},
			noLog:  []string{"no face model", "no person model"},
		},
		{
			name: "preference order",
			dir: func(t *testing.T) string {
				return linkModels(t, "yunet-face.onnx", "yolov8-lite-t-face.onnx", "yolov8n-coco.onnx", "isnet-quint8.onnx")
			},
			want:  [3]string{"yolov8-face:yolov8-lite-t-face.onnx", "yolov8-coco:yolov8n-coco.onnx", "isnet:isnet-quint8.onnx"},
			noLog: []string{"OpenCV default"},
		},
		{
			name: "grounding dino without its vocabulary is skipped",
			dir: func(t *testing.T) string {
				d := linkModels(t, "yolov8n-coco.onnx")
				if err := os.WriteFile(filepath.Join(d, "groundingdino.onnx"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
				return d
			},
			want:   [3]string{HaarName, "yolov8-coco:yolov8n-coco.onnx", GrabCutName},
			logHas: []string{"Grounding DINO needs vocab.txt"},
		},
		{
			name: "grounding dino by pattern, with its vocabulary",
			dir: func(t *testing.T) string {
				d := linkModels(t, "yolov8n-coco.onnx")
				for src, dst := range map[string]string{"gdino_tiny.onnx": "groundingdino_swint_ogc.onnx", "gdino_vocab.txt": "vocab.txt"} {
					abs, _ := filepath.Abs(filepath.Join("testdata", src))
					if err := os.Symlink(abs, filepath.Join(d, dst)); err != nil {
						t.Fatal(err)
					}
				}
				return d
			},
			want: [3]string{HaarName, "grounding-dino:groundingdino_swint_ogc.onnx", GrabCutName},
		},
		{
			name: "a corrupt model is an error",
			dir: func(t *testing.T) string {
				d := t.TempDir()
				if err := os.WriteFile(filepath.Join(d, "yolov8-lite-t-face.onnx"), []byte("not a model"), 0o644); err != nil {
					t.Fatal(err)
				}
				return d
			},
			wantErr: errors.New("yolov8-lite-t-face.onnx"),
		},
		{
			name: "a wrong model is an error",
			dir: func(t *testing.T) string {
				d := t.TempDir()
				src, _ := filepath.Abs(filepath.Join("testdata", "yolo_coco_std.onnx"))
				if err := os.Symlink(src, filepath.Join(d, "yunet-face.onnx")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			wantErr: ErrModelSignature,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			a, err := NewAnalyzer(tc.dir(t), WithDevice(DeviceCPU), WithLogger(slog.New(slog.NewTextHandler(&logBuf, nil))))
			if tc.wantErr != nil {
				if err == nil {
					a.Close()
					t.Fatal("no error")
				}
				if !errors.Is(err, tc.wantErr) && !strings.Contains(err.Error(), tc.wantErr.Error()) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			got := [3]string{a.faces.Name(), a.people.Name(), a.segmenter.Name()}
			if got != tc.want {
				t.Errorf("detectors %v, want %v", got, tc.want)
			}
			// Bodies from faces stand in for HOG's misses, and only for HOG.
			if fromFaces := got[1] == HOGName; a.peopleFromFaces != fromFaces {
				t.Errorf("PeopleFromFaces = %v with person detector %s", a.peopleFromFaces, got[1])
			}
			log := logBuf.String()
			for _, s := range tc.logHas {
				if !strings.Contains(log, s) {
					t.Errorf("log lacks %q:\n%s", s, log)
				}
			}
			for _, s := range tc.noLog {
				if strings.Contains(log, s) {
					t.Errorf("log has %q:\n%s", s, log)
				}
			}
		})
	}
}

// TestNewAnalyzerCUDA: asking for CUDA where it cannot run fails clearly;
// auto runs on the CPU.
func TestNewAnalyzerCUDA(t *testing.T) {
	dir := linkModels(t, "yunet-face.onnx")
	needORT(t)
	a, err := NewAnalyzer(dir, WithDevice(DeviceCUDA))
	if err == nil {
		defer a.Close()
		t.Skipf("CUDA works here: %s", a.faces.(*YuNet).Provider())
	}
	if !errors.Is(err, ErrCUDAUnavailable) || !strings.Contains(err.Error(), "yunet-face.onnx") {
		t.Fatalf("err = %v, want ErrCUDAUnavailable naming the model", err)
	}
	a, err = NewAnalyzer(dir, WithDevice(DeviceAuto), WithLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if p := a.faces.(*YuNet).Provider(); p != "cpu" {
		t.Errorf("auto provider %s", p)
	}
}

func TestNewFaceDetector(t *testing.T) {
	needORT(t)
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"no models", func(*testing.T) string { return NoModels }, HaarName},
		{"yunet beside a mask model", func(t *testing.T) string { return linkModels(t, "yunet-face.onnx", "isnet-quint8.onnx") }, "yunet:yunet-face.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := NewFaceDetector(tc.dir(t), WithDevice(DeviceCPU))
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			if fd.Name() != tc.want {
				t.Errorf("face detector %s, want %s", fd.Name(), tc.want)
			}
		})
	}
}
