package scene

import (
	"context"
	"image"
	"strings"
)

// Analyzer detects faces, people and masks in a photo into a Scene;
// *detect.Analyzer is one.
type Analyzer interface {
	Analyze(ctx context.Context, img image.Image) (*Scene, error)
}

// Stages is a set of an Analyzer's detection stages. A caller that needs
// only some of them (faces to pixelate, people and masks to cut out) asks
// for those, and the others are neither loaded nor run.
type Stages uint8

// The stages. StageMasks implies StagePeople (masks are made on the people
// found).
const (
	StageFaces Stages = 1 << iota
	StagePeople
	StageMasks
	// AllStages is every stage.
	AllStages = StageFaces | StagePeople | StageMasks
)

// Has reports whether every stage of t is in s.
func (s Stages) Has(t Stages) bool { return s&t == t }

// String lists the stages, "faces+people+masks", or "none".
func (s Stages) String() string {
	var names []string
	for _, st := range []struct {
		s    Stages
		name string
	}{{StageFaces, "faces"}, {StagePeople, "people"}, {StageMasks, "masks"}} {
		if s.Has(st.s) {
			names = append(names, st.name)
		}
	}
	if names == nil {
		return "none"
	}
	return strings.Join(names, "+")
}

// StageLimiter is an Analyzer that can run only some of its stages:
// Limit(s) returns one that runs the stages of s (and those they depend
// on) with the same detectors. *detect.Analyzer is one.
type StageLimiter interface {
	Limit(s Stages) Analyzer
}

type seedKey struct{}

// WithSeed returns a context that carries the seed of the randomised
// detectors (the GrabCut segmenter's k-means initialisation). The builder
// passes one per photo, drawn from the run's seed and the photo's ID, so
// that a photo gets the same masks whatever worker, thread or order it is
// built in.
func WithSeed(ctx context.Context, seed uint64) context.Context {
	return context.WithValue(ctx, seedKey{}, seed)
}

// Seed returns the seed WithSeed put in ctx, or 0 when there is none (still
// deterministic per call).
func Seed(ctx context.Context) uint64 {
	s, _ := ctx.Value(seedKey{}).(uint64)
	return s
}
