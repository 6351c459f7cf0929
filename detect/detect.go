// Package detect finds faces and people in photos and segments people with
// masks. Its detectors return the plain-Go types of package scene (Box,
// Face, Person, Mask), re-exported here under the same names, implement its
// interfaces (FaceDetector, PersonDetector, Segmenter), and an Analyzer runs
// them once on a photo into a Scene that every condition variant reuses.
//
// The detectors are a classical OpenCV default that needs no model files
// (Haar, HOG, GrabCut) and ONNX Runtime detectors for real model weights
// (YOLOv8, YuNet, Grounding DINO, SAM, ISNet). Every constructor, and
// NewAnalyzer, takes one list of Options.
// No cgo type appears in this package's API.
package detect

import (
	"errors"

	"github.com/phantom-vlm/phantom/scene"
)

// ErrNoModel is returned (wrapped) when a detector's model file cannot be
// found: by every ONNX constructor for a missing file (the error then also
// matches fs.ErrNotExist and names the path), and by NewHaarFaceDetector when
// no cascade is found (the error lists the paths tried).
var ErrNoModel = errors.New("detect: model file not found")

// The plain-Go types and interfaces of package scene, under the names this
// package has always used: a detector returns them, and a program that only
// reads scenes imports scene alone.
type (
	// Box is an axis-aligned box with a score (scene.Box).
	Box = scene.Box
	// Point is a position in photo pixels (scene.Point).
	Point = scene.Point
	// Face is one detected face, with landmarks when the detector gives
	// them (scene.Face).
	Face = scene.Face
	// Person is one detected person (scene.Person).
	Person = scene.Person
	// Mask is a soft mask of one person over the whole photo (scene.Mask).
	Mask = scene.Mask
	// Scene is everything detected in one photo (scene.Scene).
	Scene = scene.Scene
	// Detectors names the detectors that made a Scene (scene.Detectors).
	Detectors = scene.Detectors
	// StageTimes is the time of each stage of Analyze (scene.StageTimes).
	StageTimes = scene.StageTimes
	// FaceDetector finds faces in a photo (scene.FaceDetector).
	FaceDetector = scene.FaceDetector
	// PersonDetector finds people in a photo (scene.PersonDetector).
	PersonDetector = scene.PersonDetector
	// Segmenter cuts people out of a photo (scene.Segmenter).
	Segmenter = scene.Segmenter
)
