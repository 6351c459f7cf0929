package detect

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

func TestFaceFamily(t *testing.T) {
	tests := []struct{ name, family string }{
		{"yolov8-face:yolov8-lite-t-face.onnx", FamilyYOLO},
		{"yolov8-face:yolov8n-face.onnx", FamilyYOLO},
		{"yunet:yunet-face.onnx", FamilyYuNet},
		{HaarName, FamilyHaar},
		{"something-else", ""},
	}
	for _, tc := range tests {
		if got := FaceFamily(tc.name); got != tc.family {
			t.Errorf("FaceFamily(%q) = %q, want %q", tc.name, got, tc.family)
		}
	}
	if got := OtherFaceFamilies(FamilyYOLO); !slices.Equal(got, []string{FamilyYuNet}) {
		t.Errorf("other of yolo: %v", got)
	}
	if got := OtherFaceFamilies(FamilyYuNet); !slices.Equal(got, []string{FamilyYOLO}) {
		t.Errorf("other of yunet: %v", got)
	}
	if got := OtherFaceFamilies(FamilyHaar); slices.Contains(got, FamilyHaar) || len(got) != 2 {
		t.Errorf("other of haar: %v", got)
	}
}

func TestNewFaceDetectorOfFamily(t *testing.T) {
	empty := t.TempDir()
	if _, err := NewFaceDetectorOfFamily(empty, FamilyYuNet); !errors.Is(err, ErrNoFamilyModel) {
		t.Errorf("empty folder: err = %v, want ErrNoFamilyModel", err)
	}
	if _, err := NewFaceDetectorOfFamily(empty, "mtcnn"); err == nil {
		t.Error("unknown family accepted")
	}
	haar, err := NewFaceDetectorOfFamily(empty, FamilyHaar)
	if err != nil {
		t.Fatal(err)
	}
	haar.Close()
	models := filepath.Dir(testenv.Model(t, "yunet-face.onnx"))
	testenv.Model(t, "yolov8-lite-t-face.onnx")
	for _, fam := range []string{FamilyYOLO, FamilyYuNet} {
		fd, err := NewFaceDetectorOfFamily(models, fam)
		if err != nil {
			t.Fatalf("%s: %v", fam, err)
		}
		if got := FaceFamily(fd.Name()); got != fam {
			t.Errorf("family %s opened %s (family %q)", fam, fd.Name(), got)
		}
		fd.Close()
	}
}
