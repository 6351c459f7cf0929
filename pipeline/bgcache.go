package pipeline

import (
	"image"
	"sync"

	"github.com/phantom-vlm/phantom/background"
)

// fitCache keeps landscapes already cover-fitted to a photo size, so that a
// collection with many photos of one size (portraits, video frames) pays
// the resampling of each landscape once per size instead of once per
// photo. A size is cached from its second photo on, so that a collection of
// all-different sizes pays nothing extra; the cache holds a few entries of
// at most maxPixels pixels each.
type fitCache struct {
	mu      sync.Mutex
	seen    map[fitKey]int
	entries map[fitKey]background.Background
	order   []fitKey // oldest first
}

type fitKey struct {
	name string
	w, h int
}

const (
	fitCacheEntries   = 8
	fitCacheMaxPixels = 4 << 20
	fitCacheSeenMax   = 1 << 14
)

func newFitCache() *fitCache {
	return &fitCache{seen: map[fitKey]int{}, entries: map[fitKey]background.Background{}}
}

// fitted returns bg for a photo of size w×h: a background whose image is
// bg already cover-fitted to w×h when that size is cached (Composite then
// only copies it), bg itself otherwise. Both composite to the same pixels.
func (c *fitCache) fitted(bg background.Background, photo image.Image) background.Background {
	if c == nil || bg.Image == nil {
		return bg
	}
	b := photo.Bounds()
	k := fitKey{bg.Name, b.Dx(), b.Dy()}
	if k.w*k.h > fitCacheMaxPixels {
		return bg
	}
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		c.mu.Unlock()
		return e
	}
	if len(c.seen) >= fitCacheSeenMax {
		c.seen = map[fitKey]int{}
	}
	c.seen[k]++
	second := c.seen[k] >= 2
	c.mu.Unlock()
	if !second {
		return bg
	}
	// A nil mask composites no person: the landscape alone, fitted.
	fit := bg.Composite(photo, nil)
	e := background.NewSet(background.Background{Name: bg.Name, Image: fit}).Pick(0, "")
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok {
		return old
	}
	c.entries[k] = e
	c.order = append(c.order, k)
	if len(c.order) > fitCacheEntries {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	return e
}
