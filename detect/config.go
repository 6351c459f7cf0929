package detect

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// NoModels is the models directory value that asks NewAnalyzer for no model
// files at all: the OpenCV default for every stage.
const NoModels = "none"

// yunetFile is the file name of the YuNet face model; the other face files
// are YOLOv8 exports.
const yunetFile = "yunet-face.onnx"

// The stage preference orders of NewAnalyzer, best first (the names of
// `phantom models`). A stage takes the first entry whose files are all
// present.
var (
	// Faces: a YOLOv8-face standard export (the study's detector), then the
	// YOLOv8-lite raw-head export, then YuNet.
	faceOrder = [][]string{{"yolov8n-face.onnx"}, {"yolov8-lite-t-face.onnx"}, {"yunet-face.onnx"}}
	// People: Grounding DINO prompted with "person" (the study's detector,
	// with its vocabulary), then the COCO YOLOv8.
	personOrder = [][]string{{"groundingdino.onnx", "vocab.txt"}, {"groundingdino*.onnx", "vocab.txt"}, {"yolov8n-coco.onnx"}}
	// Masks: SAM ViT-B (the study's segmenter), MobileSAM, then ISNet.
	maskOrder = [][]string{{"sam_vit_b_encoder.onnx", "sam_vit_b_decoder.onnx"}, {"mobile_sam_encoder.onnx", "mobile_sam_decoder.onnx"}, {"isnet-quint8.onnx"}}
)

// NewAnalyzer builds an Analyzer from the model files present in dir
// (ModelsDir(dir): $PHANTOM_MODELS or the cache's models folder when dir is
// empty; no models at all when dir is NoModels). For each stage it takes the
// first model present in this order, and the OpenCV default when none is:
//
//	faces:  yolov8n-face.onnx > yolov8-lite-t-face.onnx > yunet-face.onnx > Haar cascade
//	people: groundingdino.onnx (or the first groundingdino*.onnx) + vocab.txt > yolov8n-coco.onnx > HOG
//	masks:  sam_vit_b_{encoder,decoder}.onnx > mobile_sam_{encoder,decoder}.onnx > isnet-quint8.onnx > GrabCut
//
// It logs (WithLogger) one line per stage naming the detector, and says when
// a stage falls back to the OpenCV default. A model file that is present but
// cannot be loaded (a wrong signature, a corrupt file, DeviceCUDA without
// CUDA) is an error: a file put there on purpose is never silently skipped.
// The options (device, threads, library) apply to every ONNX model. With
// WithStages only the stages asked for are loaded (and those they depend
// on: masks need people, and the OpenCV person default's bodies below faces
// need faces); the others stay nil and never run. Close the Analyzer to
// release them.
func NewAnalyzer(dir string, opts ...Option) (*Analyzer, error) {
	dir, log := modelsFolder(dir, opts)
	a := &Analyzer{}
	fail := func(err error) (*Analyzer, error) {
		a.Close()
		return nil, err
	}
	o := newOptions(opts)
	stages := closure(o.stages)
	var err error
	if !stages.Has(StagePeople) {
		log.Info("detect: people and masks not loaded (not asked for)")
	}
	// People.
	if stages.Has(StagePeople) {
		if err := a.openPeople(dir, opts, log); err != nil {
			return fail(err)
		}
		if on := o.peopleFromFaces; on != nil {
			a.peopleFromFaces = *on
		}
	}
	// Faces, also for the bodies below faces of the OpenCV person default.
	if stages.Has(StageFaces) || a.peopleFromFaces {
		if a.faces, err = faceStage(dir, opts, log); err != nil {
			return fail(err)
		}
	} else {
		log.Info("detect: faces not loaded (not asked for)")
	}
	// Masks.
	if stages.Has(StageMasks) {
		if err := a.openMasks(dir, opts, log); err != nil {
			return fail(err)
		}
	} else if stages.Has(StagePeople) {
		log.Info("detect: masks not loaded (not asked for)")
	}
	return a, nil
}

// openPeople opens NewAnalyzer's person stage into a.
func (a *Analyzer) openPeople(dir string, opts []Option, log *slog.Logger) error {
	if firstPresent(dir, [][]string{{"groundingdino*.onnx"}}) != nil && firstPresent(dir, [][]string{{"vocab.txt"}}) == nil {
		log.Warn("detect: Grounding DINO needs vocab.txt beside it; not using it", "dir", dir)
	}
	if files := firstPresent(dir, personOrder); files != nil {
		pd, err := openPersonModel(files, opts)
		if err != nil {
			return err
		}
		a.people = pd
	} else {
		d, err := NewHOGPersonDetector(opts...)
		if err != nil {
			return err
		}
		a.people, a.peopleFromFaces = d, true
		log.Info("detect: no person model; using the OpenCV default (HOG, plus bodies below faces)", "dir", dir)
	}
	log.Info("detect: people", "detector", a.people.Name())
	return nil
}

// openMasks opens NewAnalyzer's mask stage into a.
func (a *Analyzer) openMasks(dir string, opts []Option, log *slog.Logger) error {
	if files := firstPresent(dir, maskOrder); files != nil {
		sg, err := openMaskModel(files, opts)
		if err != nil {
			return err
		}
		a.segmenter = sg
	} else {
		d, err := NewGrabCutSegmenter(opts...)
		if err != nil {
			return err
		}
		a.segmenter = d
		log.Info("detect: no mask model; using the OpenCV default", "dir", dir)
	}
	log.Info("detect: masks", "segmenter", a.segmenter.Name())
	return nil
}

// NewFaceDetector returns NewAnalyzer's face stage alone, for callers that
// need no people or masks (the anonymization audit, face pixelation): the
// best face model in dir, else the Haar cascade. Close it when done.
func NewFaceDetector(dir string, opts ...Option) (FaceDetector, error) {
	dir, log := modelsFolder(dir, opts)
	return faceStage(dir, opts, log)
}

// modelsFolder resolves NewAnalyzer's dir argument (NoModels when the folder
// does not exist) and returns the logger of opts.
func modelsFolder(dir string, opts []Option) (string, *slog.Logger) {
	log := newOptions(opts).logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if dir != NoModels {
		dir = ModelsDir(dir)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			log.Info("detect: no models folder; using the OpenCV default", "dir", dir)
			dir = NoModels
		}
	}
	return dir, log
}

// faceStage opens the first face model present in dir, or the Haar cascade.
func faceStage(dir string, opts []Option, log *slog.Logger) (FaceDetector, error) {
	var fd FaceDetector
	if files := firstPresent(dir, faceOrder); files != nil {
		d, err := openFaceModel(files[0], opts)
		if err != nil {
			return nil, err
		}
		fd = d
	} else {
		d, err := NewHaarFaceDetector(opts...)
		if err != nil {
			return nil, err
		}
		fd = d
		log.Info("detect: no face model; using the OpenCV default", "dir", dir)
	}
	log.Info("detect: faces", "detector", fd.Name())
	return fd, nil
}

// The openers below return the detector for the model files found. On error
// the detector is not to be used: NewAnalyzer keeps only what opened.

func openFaceModel(p string, opts []Option) (FaceDetector, error) {
	if filepath.Base(p) == yunetFile {
		return NewYuNet(p, opts...)
	}
	return NewYOLOFace(p, opts...)
}

func openPersonModel(files []string, opts []Option) (PersonDetector, error) {
	if len(files) == 2 {
		return NewGroundingDINO(files[0], files[1], opts...)
	}
	return NewYOLOPerson(files[0], opts...)
}

func openMaskModel(files []string, opts []Option) (Segmenter, error) {
	if len(files) == 2 {
		return NewSAM(files[0], files[1], opts...)
	}
	return NewISNet(files[0], opts...)
}

// firstPresent returns the paths of the first entry of order whose files are
// all in dir, or nil. A name with a * is a pattern: its first match (in
// lexical order) counts.
func firstPresent(dir string, order [][]string) []string {
	if dir == NoModels {
		return nil
	}
	for _, files := range order {
		paths := make([]string, len(files))
		all := true
		for i, f := range files {
			paths[i] = filepath.Join(dir, f)
			if strings.Contains(f, "*") {
				m, _ := filepath.Glob(paths[i])
				if len(m) == 0 {
					all = false
					break
				}
				paths[i] = m[0]
			}
			if st, err := os.Stat(paths[i]); err != nil || !st.Mode().IsRegular() {
				all = false
				break
			}
		}
		if all {
			return paths
		}
	}
	return nil
}
