package detect

import (
	"context"

	"github.com/phantom-vlm/phantom/scene"
)

// ContextWithSeed returns a context that carries the seed of the randomised
// detectors (the GrabCut segmenter's k-means initialisation): it is
// scene.WithSeed. The builder passes one per photo, drawn from the run's
// seed and the photo's ID, so that a photo gets the same masks whatever
// worker, thread or order it is built in. Without one the seed is 0: still
// deterministic per call.
func ContextWithSeed(ctx context.Context, seed uint64) context.Context {
	return scene.WithSeed(ctx, seed)
}

// boxSeed derives the seed of the i-th box of a call from the call's seed
// (splitmix64's finaliser, so that neighbouring seeds and boxes give
// unrelated streams).
func boxSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
