package scene

import "strings"

// The families of face detectors: detectors of one family share their
// design and training, so they tend to fail on the same faces.
const (
	FamilyYOLO  = "yolo"  // YOLOv8-face, standard and lite exports
	FamilyYuNet = "yunet" // OpenCV Zoo's YuNet
	FamilyHaar  = "haar"  // OpenCV's Haar cascade
)

// HaarName is the Name of OpenCV's Haar cascade face detector, as scenes
// and metadata record it.
const HaarName = "opencv-haar"

// FaceFamily returns the family of the face detector with the given name
// (a FaceDetector's Name, as scenes and metadata record it), or "" for a
// name it does not know.
func FaceFamily(name string) string {
	switch {
	case strings.HasPrefix(name, "yolov8-face:"):
		return FamilyYOLO
	case strings.HasPrefix(name, "yunet:"):
		return FamilyYuNet
	case name == HaarName:
		return FamilyHaar
	}
	return ""
}
