package cv

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sort"

	"gocv.io/x/gocv"

	"github.com/phantom-vlm/phantom/internal/disjoint"
)

// Detection is one object found by a sliding-window detector after its raw
// hits were grouped: Rect is the mean of the grouped hits and Neighbors how
// many raw hits were merged into it (the detector's only measure of
// confidence).
type Detection struct {
	Rect      image.Rectangle
	Neighbors int
}

// groupEps is the relative tolerance under which two raw hits are taken to
// be the same object (OpenCV's own default for both cascade and HOG).
const groupEps = 0.2

// GroupRects merges raw sliding-window hits into detections. Two hits are
// the same object when each of their four edges differs by at most
// eps × (the smaller of their widths + the smaller of their heights) / 2;
// clusters are formed transitively, and each cluster becomes the mean of its
// hits. Clusters of minNeighbors hits or fewer are dropped (minNeighbors ≤ 0
// keeps them all), as is a detection lying inside a larger one that has more
// hits. The result is sorted by Neighbors, most first.
func GroupRects(raw []image.Rectangle, minNeighbors int, eps float64) []Detection {
	n := len(raw)
	if n == 0 {
		return nil
	}
	clusters := disjoint.New(n)
	similar := func(a, b image.Rectangle) bool {
		d := eps * float64(min(a.Dx(), b.Dx())+min(a.Dy(), b.Dy())) / 2
		return math.Abs(float64(a.Min.X-b.Min.X)) <= d && math.Abs(float64(a.Min.Y-b.Min.Y)) <= d &&
			math.Abs(float64(a.Max.X-b.Max.X)) <= d && math.Abs(float64(a.Max.Y-b.Max.Y)) <= d
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if similar(raw[i], raw[j]) {
				clusters.Union(j, i)
			}
		}
	}
	type acc struct{ x0, y0, x1, y1, n int }
	sums := map[int]*acc{}
	var order []int
	for i, r := range raw {
		root := clusters.Find(i)
		s := sums[root]
		if s == nil {
			s = &acc{}
			sums[root] = s
			order = append(order, root)
		}
		s.x0 += r.Min.X
		s.y0 += r.Min.Y
		s.x1 += r.Max.X
		s.y1 += r.Max.Y
		s.n++
	}
	var groups []Detection
	for _, root := range order {
		s := sums[root]
		if s.n <= minNeighbors {
			continue
		}
		mean := func(v int) int { return int(math.Round(float64(v) / float64(s.n))) }
		groups = append(groups, Detection{
			Rect:      image.Rect(mean(s.x0), mean(s.y0), mean(s.x1), mean(s.y1)),
			Neighbors: s.n,
		})
	}
	// Drop a detection nested in a bigger one that is at least as well
	// supported: a face-sized hit on a cheek inside a real face.
	out := groups[:0:0]
	for i, g := range groups {
		nested := false
		for j, o := range groups {
			if i == j || o.Neighbors < g.Neighbors || o.Rect.Dx()*o.Rect.Dy() <= g.Rect.Dx()*g.Rect.Dy() {
				continue
			}
			dx, dy := int(float64(o.Rect.Dx())*eps), int(float64(o.Rect.Dy())*eps)
			if g.Rect.In(o.Rect.Inset(-max(dx, dy))) && (o.Neighbors > max(3, g.Neighbors) || g.Neighbors < 3) {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Neighbors > out[j].Neighbors })
	return out
}

// CascadeParams configures Cascade.Detect. Sizes are in the pixels of the
// image given to Detect.
type CascadeParams struct {
	// ScaleFactor is the step between pyramid levels (> 1).
	ScaleFactor float64
	// MinNeighbors is how many raw hits an object needs beyond the first.
	MinNeighbors int
	// MinSize and MaxSize bound the object's size; zero means no bound.
	MinSize, MaxSize image.Point
	// Scale resizes the image before detection (0 or 1: as is); the
	// detections are mapped back to the image's coordinates.
	Scale float64
	// Equalize equalizes the grey histogram first.
	Equalize bool
}

// Cascade is a loaded Haar or LBP cascade classifier. It is not safe for
// concurrent use.
type Cascade struct {
	c      gocv.CascadeClassifier
	path   string
	closed bool
}

// LoadCascade loads a cascade classifier from an OpenCV XML file.
func LoadCascade(path string) (*Cascade, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cv: cascade: %w", err)
	}
	if err := checkCascade(path); err != nil {
		return nil, fmt.Errorf("cv: cascade %s: %w", path, err)
	}
	c := gocv.NewCascadeClassifier()
	if !c.Load(path) {
		c.Close()
		return nil, fmt.Errorf("cv: cascade %s: not a cascade classifier file", path)
	}
	return &Cascade{c: c, path: path}, nil
}

// Path returns the file the cascade was loaded from.
func (c *Cascade) Path() string { return c.path }

// Detect finds objects in img and returns them in img's coordinates, best
// supported first.
func (c *Cascade) Detect(img image.Image, p CascadeParams) ([]Detection, error) {
	if c.closed {
		return nil, errors.New("cv: cascade is closed")
	}
	scale := p.Scale
	if scale <= 0 {
		scale = 1
	}
	b := img.Bounds()
	gray, err := grayFromImage(img, b, scale)
	if err != nil {
		return nil, err
	}
	defer gray.Close()
	if p.Equalize {
		gocv.EqualizeHist(gray, &gray)
	}
	sz := func(pt image.Point) image.Point {
		return image.Pt(int(float64(pt.X)*scale+0.5), int(float64(pt.Y)*scale+0.5))
	}
	// MinNeighbors 0 makes OpenCV return its raw hits, so that the grouping
	// (and the hit count used as a score) happens in GroupRects.
	raw := c.c.DetectMultiScaleWithParams(gray, p.ScaleFactor, 0, 0, sz(p.MinSize), sz(p.MaxSize))
	return mapBack(GroupRects(raw, p.MinNeighbors, groupEps), scale, b), nil
}

// Close frees the classifier.
func (c *Cascade) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.c.Close()
}

func mapBack(ds []Detection, scale float64, b image.Rectangle) []Detection {
	for i := range ds {
		ds[i].Rect = scaleRect(ds[i].Rect, scale, b.Min).Intersect(b)
	}
	return ds
}

// HOGParams configures HOG.Detect.
type HOGParams struct {
	// HitThreshold is the SVM margin a window needs (0 is OpenCV's default).
	HitThreshold float64
	// WinStride and Padding are the window step and padding in pixels of
	// the (scaled) image; zero means 8×8 and 0×0.
	WinStride, Padding image.Point
	// ScaleFactor is the step between pyramid levels (> 1).
	ScaleFactor float64
	// MinNeighbors is how many raw hits a person needs beyond the first.
	MinNeighbors int
	// Scale resizes the image before detection (0 or 1: as is).
	Scale float64
}

// HOG is a HOG descriptor with OpenCV's default people detector (a linear
// SVM over 64×128 windows). It is not safe for concurrent use.
type HOG struct {
	h      gocv.HOGDescriptor
	closed bool
}

// NewPeopleHOG returns a HOG set up with the default people detector.
func NewPeopleHOG() (*HOG, error) {
	det, err := peopleDetector()
	if err != nil {
		return nil, err
	}
	defer det.Close()
	h := gocv.NewHOGDescriptor()
	h.SetSVMDetector(det)
	return &HOG{h: h}, nil
}

// hogWindow is the size of the people detector's window: a person must be
// at least about this big (after Scale) to be found.
var hogWindow = image.Pt(64, 128)

// Detect finds people in img and returns their windows in img's
// coordinates, best supported first. The windows hold a margin around the
// person (the detector was trained on 64×128 windows around 48×96 people).
func (h *HOG) Detect(img image.Image, p HOGParams) ([]Detection, error) {
	if h.closed {
		return nil, errors.New("cv: HOG is closed")
	}
	scale := p.Scale
	if scale <= 0 {
		scale = 1
	}
	b := img.Bounds()
	bgr, err := bgrFromImage(img, b, scale)
	if err != nil {
		return nil, err
	}
	defer bgr.Close()
	if bgr.Cols() < hogWindow.X || bgr.Rows() < hogWindow.Y {
		return nil, nil
	}
	stride, pad := p.WinStride, p.Padding
	if stride == (image.Point{}) {
		stride = image.Pt(8, 8)
	}
	sf := p.ScaleFactor
	if sf <= 1 {
		sf = 1.05
	}
	// finalThreshold 0: raw hits, grouped by GroupRects.
	raw := h.h.DetectMultiScaleWithParams(bgr, p.HitThreshold, stride, pad, sf, 0, false)
	return mapBack(GroupRects(raw, p.MinNeighbors, groupEps), scale, b), nil
}

// Close frees the descriptor.
func (h *HOG) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	return h.h.Close()
}
