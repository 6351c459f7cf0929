package detect

import "github.com/phantom-vlm/phantom/scene"

// Stages is a set of the Analyzer's detection stages (scene.Stages). A
// caller that needs only some of them (faces to pixelate, people and masks
// to cut out) asks NewAnalyzer for those (WithStages), and the others are
// neither loaded nor run.
type Stages = scene.Stages

// The stages (scene's). StageMasks implies StagePeople (masks are made on
// the people found).
const (
	StageFaces  = scene.StageFaces
	StagePeople = scene.StagePeople
	StageMasks  = scene.StageMasks
	// AllStages is every stage: NewAnalyzer's default.
	AllStages = scene.AllStages
)

// closure returns s with the stages the others depend on: masks need
// people.
func closure(s Stages) Stages {
	if s.Has(StageMasks) {
		s |= StagePeople
	}
	return s
}

// Only returns an Analyzer that runs only the stages of s (and those they
// depend on: masks need people, and PeopleFromFaces needs faces) with a's
// detectors, which it shares: close a, not the result.
func (a *Analyzer) Only(s Stages) *Analyzer {
	s = closure(s)
	c := *a
	if !s.Has(StageMasks) {
		c.segmenter = nil
	}
	if !s.Has(StagePeople) {
		c.people, c.peopleFromFaces = nil, false
	}
	if !s.Has(StageFaces) && !c.peopleFromFaces {
		c.faces = nil
	}
	return &c
}

// Limit is Only behind the scene.StageLimiter interface, through which
// pipeline.Builder restricts an Analyzer to the stages its conditions need
// without importing this package.
func (a *Analyzer) Limit(s Stages) scene.Analyzer { return a.Only(s) }
