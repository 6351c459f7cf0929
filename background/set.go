package background

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	// Decoders for the background files.
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"
)

// ErrEmptySet is returned by LoadSet when the folder holds no image.
var ErrEmptySet = errors.New("background: no background images found")

// Background is one background of a Set.
type Background struct {
	// Name is the file name it was loaded from ("lake-dusk.jpg").
	Name string
	// Image is the decoded background.
	Image image.Image

	levels []image.Image // Image, then halvings while both sides are ≥ 512 px
}

// Set is a fixed set of backgrounds from which one is drawn per photo. The
// study draws one of 3 landscapes per photo; Pick makes that draw
// reproducible. A Set is safe for concurrent use.
type Set struct {
	items []Background
}

// LoadSet decodes every JPEG, PNG and WebP file in dir (not its sub-folders),
// in name order. The order, and so every Pick, depends only on the file
// names.
func LoadSet(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("background: %w", err)
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png", ".webp":
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrEmptySet, dir)
	}
	s := &Set{}
	for _, n := range names {
		p := filepath.Join(dir, n)
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("background: %w", err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("background: decode %s: %w", p, err)
		}
		s.Add(n, img)
	}
	return s, nil
}

// NewSet returns a Set of the given backgrounds, in the given order.
func NewSet(items ...Background) *Set {
	s := &Set{}
	for _, b := range items {
		s.Add(b.Name, b.Image)
	}
	return s
}

// Add appends a background to the set. It is not safe to call Add while
// other goroutines use the Set.
func (s *Set) Add(name string, img image.Image) {
	levels := mipLevels(img)
	s.items = append(s.items, Background{Name: name, Image: levels[0], levels: levels})
}

// Len returns the number of backgrounds.
func (s *Set) Len() int { return len(s.items) }

// Names returns the backgrounds' names in set order.
func (s *Set) Names() []string {
	out := make([]string, len(s.items))
	for i, b := range s.items {
		out[i] = b.Name
	}
	return out
}

// Pick returns the background for a photo: a uniform draw over the set,
// determined only by (seed, id), so a run with the same seed puts every
// photo on the same background again, whatever the order or the number of
// workers. It panics on an empty Set.
func (s *Set) Pick(seed int64, id string) Background {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(id))
	sum := h.Sum(nil)
	return s.items[binary.LittleEndian.Uint64(sum)%uint64(len(s.items))]
}

// Composite is the package's Composite with b as the background, using b's
// pre-shrunk copies for a fast, alias-free cover fit.
func (b Background) Composite(photo image.Image, mask *image.Alpha, opts ...Option) *image.RGBA {
	return b.CompositeInto(nil, photo, mask, opts...)
}

// CompositeInto is Composite writing into dst, which it returns. dst is
// reused when its bounds are photo's size with the origin at (0, 0), and
// every pixel of it is overwritten; otherwise (nil included) a new image is
// returned. Reusing one dst saves allocating and clearing an image per
// photo.
func (b Background) CompositeInto(dst *image.RGBA, photo image.Image, mask *image.Alpha, opts ...Option) *image.RGBA {
	levels := b.levels
	if len(levels) == 0 {
		levels = []image.Image{b.Image}
	}
	pb := photo.Bounds()
	return composite(dst, photo, mask, newFit(levels, pb.Dx(), pb.Dy()), opts)
}

// Fingerprint returns one "name sha256:<hex>" entry per background, in set
// order, the hash taken over its decoded pixels (RGBA, with its size): two
// sets with the same fingerprints give the same composites. A uniform
// background is hashed by its colour.
func (s *Set) Fingerprint() []string {
	out := make([]string, len(s.items))
	for i, b := range s.items {
		h := sha256.New()
		var hdr [16]byte
		switch m := b.Image.(type) {
		case *image.RGBA:
			binary.LittleEndian.PutUint64(hdr[:8], uint64(m.Rect.Dx()))
			binary.LittleEndian.PutUint64(hdr[8:], uint64(m.Rect.Dy()))
			h.Write(hdr[:])
			for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
				o := m.PixOffset(m.Rect.Min.X, y)
				h.Write(m.Pix[o : o+4*m.Rect.Dx()])
			}
		default:
			r, g, bl, a := b.Image.At(0, 0).RGBA()
			fmt.Fprintf(h, "uniform %d %d %d %d", r, g, bl, a)
		}
		out[i] = b.Name + " sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	return out
}
