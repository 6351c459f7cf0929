package detect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/phantom-vlm/phantom/scene"
)

// The families of face detectors (scene's): detectors of one family share
// their design and training, so they tend to fail on the same faces.
const (
	FamilyYOLO  = scene.FamilyYOLO  // YOLOv8-face, standard and lite exports
	FamilyYuNet = scene.FamilyYuNet // OpenCV Zoo's YuNet
	FamilyHaar  = scene.FamilyHaar  // OpenCV's Haar cascade
)

// ErrNoFamilyModel is returned by NewFaceDetectorOfFamily when the models
// folder has no model of the family asked for.
var ErrNoFamilyModel = errors.New("detect: no face model of that family")

// familyFiles lists each ONNX family's model files, best first.
var familyFiles = map[string][][]string{
	FamilyYOLO:  {{"yolov8n-face.onnx"}, {"yolov8-lite-t-face.onnx"}},
	FamilyYuNet: {{"yunet-face.onnx"}},
}

// FaceFamily returns the family of the face detector with the given name
// (a FaceDetector's Name, as scenes and metadata record it), or "" for a
// name it does not know: it is scene.FaceFamily.
func FaceFamily(name string) string { return scene.FaceFamily(name) }

// OtherFaceFamilies returns, best first, the families that can check the
// work of a detector of family f without sharing its blind spots: YuNet for
// YOLO, YOLO for YuNet, and both ONNX families (YOLO first) for the Haar
// cascade or an unknown family.
func OtherFaceFamilies(f string) []string {
	switch f {
	case FamilyYOLO:
		return []string{FamilyYuNet}
	case FamilyYuNet:
		return []string{FamilyYOLO}
	}
	return []string{FamilyYOLO, FamilyYuNet}
}

// NewFaceDetectorOfFamily opens the best face model of family in dir
// (resolved as NewAnalyzer does), or the Haar cascade for FamilyHaar. It
// returns an error wrapping ErrNoFamilyModel when dir has no model of the
// family. Close the detector when done.
func NewFaceDetectorOfFamily(dir, family string, opts ...Option) (FaceDetector, error) {
	if family == FamilyHaar {
		return NewHaarFaceDetector()
	}
	order, ok := familyFiles[family]
	if !ok {
		return nil, fmt.Errorf("detect: unknown face detector family %q (want %s, %s or %s)", family, FamilyYOLO, FamilyYuNet, FamilyHaar)
	}
	dir, log := modelsFolder(dir, opts)
	files := firstPresent(dir, order)
	if files == nil {
		var names []string
		for _, f := range order {
			names = append(names, f[0])
		}
		return nil, fmt.Errorf("%w: %s has none of %s (phantom models fetch NAME, or --models DIR)", ErrNoFamilyModel, dir, strings.Join(names, ", "))
	}
	fd, err := openFaceModel(files[0], opts)
	if err != nil {
		return nil, fmt.Errorf("detect: face model: %w", err)
	}
	log.Info("detect: faces", "detector", fd.Name(), "family", family)
	return fd, nil
}
