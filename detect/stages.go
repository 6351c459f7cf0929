package detect

// Stages is a set of the Analyzer's detection stages. A caller that needs
// only some of them (faces to pixelate, people and masks to cut out) asks
// NewAnalyzer for those (WithStages), and the others are neither loaded nor
// run.
type Stages uint8

// The stages. StageMasks implies StagePeople (masks are made on the people
// found).
const (
	StageFaces Stages = 1 << iota
	StagePeople
	StageMasks
	// AllStages is every stage: NewAnalyzer's default.
	AllStages = StageFaces | StagePeople | StageMasks
)

// Has reports whether every stage of t is in s.
func (s Stages) Has(t Stages) bool { return s&t == t }

// String lists the stages, "faces+people+masks", or "none".
func (s Stages) String() string {
	out := ""
	for _, st := range []struct {
		s    Stages
		name string
	}{{StageFaces, "faces"}, {StagePeople, "people"}, {StageMasks, "masks"}} {
		if s.Has(st.s) {
			if out != "" {
				out += "+"
			}
			out += st.name
		}
	}
	if out == "" {
		return "none"
	}
	return out
}

// closure returns s with the stages the others depend on: masks need
// people.
func (s Stages) closure() Stages {
	if s.Has(StageMasks) {
		s |= StagePeople
	}
	return s
}

// Only returns an Analyzer that runs only the stages of s (and those they
// depend on: masks need people, and PeopleFromFaces needs faces) with a's
// detectors, which it shares: close a, not the result.
func (a *Analyzer) Only(s Stages) *Analyzer {
	s = s.closure()
	c := *a
	if !s.Has(StageMasks) {
		c.Segmenter = nil
	}
	if !s.Has(StagePeople) {
		c.People, c.PeopleFromFaces = nil, false
	}
	if !s.Has(StageFaces) && !c.PeopleFromFaces {
		c.Faces = nil
	}
	return &c
}
