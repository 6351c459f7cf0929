package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/digest"
)

// detectorFlags are the flags of every command that runs detectors.
type detectorFlags struct {
	models  string
	device  string
	threads int
	quiet   bool
}

func (d *detectorFlags) register(f *pflag.FlagSet) {
	f.StringVar(&d.models, "models", "", `models folder (default $PHANTOM_MODELS, else the cache's; "none": the OpenCV default only)`)
	f.StringVar(&d.device, "device", "auto", "where ONNX models run: auto, cpu or cuda")
	f.IntVar(&d.threads, "threads", 0, "ONNX Runtime intra-op threads per model (0: ONNX Runtime's default)")
	f.BoolVarP(&d.quiet, "quiet", "q", false, "do not log which detectors are used")
}

// open builds the Analyzer the flags ask for, logging to w which detector
// each stage uses; extra options come after the flags'.
func (d detectorFlags) open(w io.Writer, extra ...detect.Option) (*detect.Analyzer, error) {
	dev, err := detect.ParseDevice(d.device)
	if err != nil {
		return nil, err
	}
	opts := append([]detect.Option{detect.WithDevice(dev), detect.WithThreads(d.threads), detect.WithLogger(cliLogger(w, d.quiet))}, extra...)
	return detect.NewAnalyzer(d.models, opts...)
}

// forWorkers returns the flags with, unless --threads was given, each ONNX
// model run getting an equal share of the cores among workers, so that
// concurrent workers do not oversubscribe them.
func (d detectorFlags) forWorkers(workers int) detectorFlags {
	if d.threads == 0 {
		d.threads = max(1, runtime.NumCPU()/max(1, workers))
	}
	return d
}

// openFaces opens the face detector the flags ask for, and nothing else.
func (d detectorFlags) openFaces(w io.Writer) (detect.FaceDetector, error) {
	dev, err := detect.ParseDevice(d.device)
	if err != nil {
		return nil, err
	}
	return detect.NewFaceDetector(d.models, detect.WithDevice(dev), detect.WithThreads(d.threads), detect.WithLogger(cliLogger(w, d.quiet)))
}

// cliLogger returns a text logger without timestamps, or one that discards
// everything when quiet.
func cliLogger(w io.Writer, quiet bool) *slog.Logger {
	if quiet {
		w = io.Discard
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// detectorSettings returns what build records of an's detectors in
// build.json: each stage's detector name, and the SHA-256 of each file they
// read (the model files named in the detectors' names, found in the models
// folder modelsDir, Grounding DINO's vocab.txt, the Haar cascade).
func detectorSettings(an *detect.Analyzer, modelsDir string) (names, files map[string]string, err error) {
	names, files = map[string]string{}, map[string]string{}
	var paths []string
	add := func(stage, name string) {
		names[stage] = name
		kind, list, ok := strings.Cut(name, ":")
		if !ok || modelsDir == detect.NoModels {
			return
		}
		for _, f := range strings.Split(list, "+") {
			paths = append(paths, filepath.Join(modelsDir, f))
		}
		if kind == "grounding-dino" {
			paths = append(paths, filepath.Join(modelsDir, "vocab.txt"))
		}
	}
	if an.Faces() != nil {
		add("face", an.Faces().Name())
		if h, ok := an.Faces().(*detect.HaarFaceDetector); ok {
			paths = append(paths, h.CascadePath())
		}
	}
	if an.People() != nil {
		name := an.People().Name()
		if an.PeopleFromFaces() {
			name += "+face-body"
		}
		add("person", name)
	}
	if an.Segmenter() != nil {
		add("segmenter", an.Segmenter().Name())
	}
	for _, p := range paths {
		sum, err := digest.File(p)
		if err != nil {
			return nil, nil, fmt.Errorf("hashing the detectors' files: %w", err)
		}
		files[filepath.Base(p)] = sum
	}
	return names, files, nil
}
