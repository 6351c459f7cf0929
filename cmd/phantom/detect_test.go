package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/testenv"
)

// libraryScene analyses photo with detect.NewAnalyzer(models) on the CPU,
// as an importer would.
func libraryScene(t *testing.T, models, photo string) *detect.Scene {
	t.Helper()
	an, err := detect.NewAnalyzer(models, detect.WithDevice(detect.DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer an.Close()
	img, err := imageio.Load(photo)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := an.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestDetectCLI runs phantom detect on a real photo and a broken file, with
// real models and with none (the OpenCV default).
func TestDetectCLI(t *testing.T) {
	photo := testenv.Data(t, "photos", "eileen-collins.png")
	bad := filepath.Join(t.TempDir(), "broken.jpg")
	if err := os.WriteFile(bad, []byte("\xff\xd8 not really a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	models := "none"
	wantFace := "opencv-haar"
	if src := os.Getenv("PHANTOM_MODELS"); src != "" {
		models = t.TempDir()
		for _, n := range []string{"yunet-face.onnx", "yolov8n-coco.onnx"} {
			if err := os.Symlink(filepath.Join(src, n), filepath.Join(models, n)); err != nil {
				t.Fatal(err)
			}
		}
		wantFace = "yunet:yunet-face.onnx"
	}
	for _, tc := range []struct{ models, face string }{{models, wantFace}, {"none", "opencv-haar"}} {
		t.Run(tc.face, func(t *testing.T) {
			draw := filepath.Join(t.TempDir(), "drawn")
			out, errb, status := phantomRun(t, "detect", photo, bad, "--models", tc.models, "--device", "cpu", "--draw", draw)
			if status == 0 {
				t.Error("exit status 0 with a broken input")
			}
			if !strings.Contains(errb, "broken.jpg") {
				t.Errorf("stderr does not name the broken file:\n%s", errb)
			}
			var res []detectResult
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var r detectResult
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
				}
				res = append(res, r)
			}
			if len(res) != 2 {
				t.Fatalf("%d lines, want 2:\n%s\n%s", len(res), out, errb)
			}
			r := res[0]
			if r.Error != "" || r.Width != 512 || len(r.Faces) == 0 || r.Detectors.Face != tc.face {
				t.Errorf("photo result %+v", r)
			}
			if len(r.Masks) != len(r.People) {
				t.Errorf("%d masks for %d people", len(r.Masks), len(r.People))
			}
			// The CLI finds what the library finds: the same faces and
			// people (with the OpenCV default, bodies below the faces too).
			want := libraryScene(t, tc.models, photo)
			if len(want.People) == 0 {
				t.Fatalf("the library finds no person in %s with --models %s", photo, tc.models)
			}
			if !reflect.DeepEqual(r.People, want.People) || !reflect.DeepEqual(r.Faces, want.Faces) {
				t.Errorf("CLI people %+v faces %+v;\nlibrary people %+v faces %+v", r.People, r.Faces, want.People, want.Faces)
			}
			if r.Detectors != want.Detectors {
				t.Errorf("CLI detectors %v, library %v", r.Detectors, want.Detectors)
			}
			img, err := imageio.Load(r.Drawn)
			if err != nil || img.Rect.Dx() != 512 {
				t.Errorf("drawn image %s: %v", r.Drawn, err)
			}
			if res[1].File != bad || res[1].Error == "" {
				t.Errorf("broken file result %+v", res[1])
			}
		})
	}
}
