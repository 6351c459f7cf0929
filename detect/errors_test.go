package detect

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestSentinelErrors: each sentinel is returned where its doc says, it
// matches with errors.Is, and the message carries the package's prefix
// once.
func TestSentinelErrors(t *testing.T) {
	onnxOrSkip(t)
	missing := filepath.Join(t.TempDir(), "missing.onnx")
	tests := []struct {
		name string
		call func() error
		want []error
	}{
		{"yolo face missing", func() error { _, err := NewYOLOFace(missing); return err }, []error{ErrNoModel, fs.ErrNotExist}},
		{"yolo person missing", func() error { _, err := NewYOLOPerson(missing); return err }, []error{ErrNoModel, fs.ErrNotExist}},
		{"yunet missing", func() error { _, err := NewYuNet(missing); return err }, []error{ErrNoModel, fs.ErrNotExist}},
		{"isnet missing", func() error { _, err := NewISNet(missing); return err }, []error{ErrNoModel, fs.ErrNotExist}},
		{"sam missing", func() error { _, err := NewSAM(missing, missing); return err }, []error{ErrNoModel, fs.ErrNotExist}},
		{"sam decoder missing", func() error {
			_, err := NewSAM("testdata/sam_tiny_encoder.onnx", missing, WithDevice(DeviceCPU))
			return err
		}, []error{ErrNoModel, fs.ErrNotExist}},
		{"grounding dino missing", func() error {
			_, err := NewGroundingDINO(missing, "testdata/gdino_vocab.txt")
			return err
		}, []error{ErrNoModel, fs.ErrNotExist}},
		{"grounding dino vocabulary missing", func() error {
			_, err := NewGroundingDINO("testdata/gdino_tiny.onnx", missing+".txt")
			return err
		}, []error{ErrNoModel, fs.ErrNotExist}},
		{"haar cascade missing", func() error { _, err := NewHaarFaceDetector(WithCascade(missing + ".xml")); return err }, []error{ErrNoModel}},
		{"yolo wrong model", func() error {
			_, err := NewYOLOFace("testdata/yolo_wrong.onnx", WithDevice(DeviceCPU))
			return err
		}, []error{ErrModelSignature}},
		{"yunet given a yolo model", func() error {
			_, err := NewYuNet("testdata/yolo_face_std.onnx", WithDevice(DeviceCPU))
			return err
		}, []error{ErrModelSignature}},
		{"isnet given a sam decoder", func() error {
			_, err := NewISNet("testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU))
			return err
		}, []error{ErrModelSignature}},
		{"grounding dino prompt too long", func() error {
			_, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/gdino_vocab.txt",
				WithPrompt(strings.Repeat("dog . ", 300)), WithDevice(DeviceCPU))
			return err
		}, []error{ErrPromptTooLong}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testenv.WantError(t, tc.call(), "detect: ", true, tc.want...)
		})
	}
	// Under DeviceCUDA, where CUDA cannot run (the CPU-only library).
	_, err := NewYOLOFace("testdata/yolo_face_std.onnx", WithDevice(DeviceCUDA))
	switch {
	case err == nil:
		t.Log("CUDA runs here: ErrCUDAUnavailable not tested")
	case !errors.Is(err, ErrCUDAUnavailable):
		t.Errorf("DeviceCUDA: %v, want ErrCUDAUnavailable", err)
	case !strings.HasPrefix(err.Error(), "detect: ") || strings.Count(err.Error(), "detect: ") != 1:
		t.Errorf("%q: want the prefix \"detect: \" once, at the start", err)
	}
}
