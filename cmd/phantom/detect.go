package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
)

// detectOptions are phantom detect's flags and arguments.
type detectOptions struct {
	streams
	detectorFlags
	ins  []string
	draw string
}

// newDetectCmd returns phantom detect, parsing its flags into opts.
func newDetectCmd(opts *detectOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "detect IN...",
		Short: "Detect faces, people and person masks; print JSON lines, optionally draw them",
		Long: `detect runs the detectors once on each photo (files, or folders searched for images)
and prints one JSON line per photo: faces (box, score, landmarks), people, a summary
of each person's mask, the detector names and the time each stage took.

The detectors are the best models present in the models folder (--models, else
$PHANTOM_MODELS, else the cache's models folder; "none" for no models), with the
OpenCV default (Haar, HOG, GrabCut) for any stage without a model; which one runs
is logged to stderr. --draw writes each photo with its masks, boxes and landmarks
drawn into a folder, for a person to look at. A photo that cannot be read or
analysed prints its error and the others go on; the exit status is then 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.ins = args
			return runDetect(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	opts.register(f)
	f.StringVar(&opts.draw, "draw", "", "write annotated copies of the photos (PNG) into this folder")
	return cmd
}

// detectResult is one JSON line of phantom detect.
type detectResult struct {
	File      string           `json:"file"`
	Error     string           `json:"error,omitempty"`
	Width     int              `json:"width,omitempty"`
	Height    int              `json:"height,omitempty"`
	Faces     []detect.Face    `json:"faces"`
	People    []detect.Person  `json:"people"`
	Masks     []maskSummary    `json:"masks"`
	Detectors detect.Detectors `json:"detectors"`
	Millis    map[string]int64 `json:"ms,omitempty"`
	Drawn     string           `json:"drawn,omitempty"`
}

// maskSummary describes one person's mask without its pixels.
type maskSummary struct {
	Person int `json:"person"`
	// Area is the number of pixels with alpha >= 128.
	Area int `json:"area"`
	// InBox is the fraction of the person's box the mask covers; Outside is
	// the fraction of the mask that lies outside the box.
	InBox   float64 `json:"in_box"`
	Outside float64 `json:"outside"`
	Score   float64 `json:"score,omitempty"`
}

// runDetect prints the detections of every photo of opts.ins.
func runDetect(ctx context.Context, opts *detectOptions) error {
	an, err := opts.open(opts.ErrOut)
	if err != nil {
		return err
	}
	defer an.Close()
	files, failed := expandInputs(opts.ErrOut, "detect", opts.ins)
	if opts.draw != "" {
		if err := os.MkdirAll(opts.draw, 0o755); err != nil {
			return fmt.Errorf("detect: --draw folder: %w", err)
		}
	}
	enc := json.NewEncoder(opts.Out)
	used := map[string]int{}
	for _, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := detectOne(ctx, an, in.path, opts.draw, used)
		if res.Error != "" && ctx.Err() != nil {
			// Stopped, not failed: the photo is neither reported nor
			// written.
			return ctx.Err()
		}
		if res.Error != "" {
			failed++
			fmt.Fprintf(opts.ErrOut, "phantom detect: %s: %s\n", in.path, res.Error)
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	if failed > 0 {
		return errSomeFailed
	}
	return nil
}

// detectOne analyses the photo at path and, unless drawDir is "", draws
// what was found into a PNG in the folder drawDir, named after the photo (made
// unique with used, the names taken so far).
func detectOne(ctx context.Context, an *detect.Analyzer, path, drawDir string, used map[string]int) detectResult {
	res := detectResult{File: path, Faces: []detect.Face{}, People: []detect.Person{}, Masks: []maskSummary{}}
	t0 := time.Now()
	img, err := imageio.Load(path)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	tLoad := time.Since(t0)
	sc, err := an.Analyze(ctx, img)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Millis = map[string]int64{
		"load": tLoad.Milliseconds(), "faces": sc.Times.Faces.Milliseconds(), "people": sc.Times.People.Milliseconds(),
		"segment": sc.Times.Segment.Milliseconds(), "total": sc.Times.Total().Milliseconds(),
	}
	res.Width, res.Height = sc.Width, sc.Height
	res.Faces, res.People, res.Detectors = sc.Faces, sc.People, sc.Detectors
	if res.Faces == nil {
		res.Faces = []detect.Face{}
	}
	if res.People == nil {
		res.People = []detect.Person{}
	}
	for i, m := range sc.Masks {
		if i < len(sc.People) {
			res.Masks = append(res.Masks, summariseMask(i, m, sc.People[i].Box))
		}
	}
	if drawDir != "" {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if n := used[name]; n > 0 {
			used[name]++
			name = fmt.Sprintf("%s-%d", name, n)
		} else {
			used[name] = 1
		}
		out := filepath.Join(drawDir, name+".png")
		if err := imageio.Save(out, drawScene(img, sc)); err != nil {
			res.Error = err.Error()
			return res
		}
		res.Drawn = out
	}
	return res
}

func summariseMask(i int, m detect.Mask, b detect.Box) maskSummary {
	s := maskSummary{Person: i, Score: m.Score}
	if m.Alpha == nil {
		return s
	}
	r := b.Rect().Intersect(m.Rect)
	in := 0
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):m.PixOffset(m.Rect.Max.X, y)]
		for x, a := range row {
			if a < 128 {
				continue
			}
			s.Area++
			if (image.Point{m.Rect.Min.X + x, y}).In(r) {
				in++
			}
		}
	}
	if ba := r.Dx() * r.Dy(); ba > 0 {
		s.InBox = round3(float64(in) / float64(ba))
	}
	if s.Area > 0 {
		s.Outside = round3(float64(s.Area-in) / float64(s.Area))
	}
	return s
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// Colours of the drawing: people and their masks cycle through these.
var (
	personColours = []color.RGBA{{255, 64, 64, 255}, {64, 160, 255, 255}, {255, 200, 0, 255}, {200, 64, 255, 255}, {0, 220, 200, 255}}
	faceColour    = color.RGBA{0, 255, 0, 255}
	// Landmarks: right eye, left eye, nose, right and left mouth corner.
	landmarkColours = []color.RGBA{{255, 0, 0, 255}, {0, 0, 255, 255}, {0, 255, 0, 255}, {255, 0, 255, 255}, {0, 255, 255, 255}}
)

// drawScene returns a copy of img with each person's mask tinted in the
// person's colour, person boxes, face boxes with their scores and landmarks.
func drawScene(img *image.RGBA, sc *detect.Scene) *image.RGBA {
	out := image.NewRGBA(img.Rect)
	draw.Draw(out, out.Rect, img, img.Rect.Min, draw.Src)
	size := max(img.Rect.Dx(), img.Rect.Dy())
	thick := max(1, size/400)
	for i, m := range sc.Masks {
		if m.Alpha != nil {
			tint(out, m.Alpha, personColours[i%len(personColours)])
		}
	}
	for i, p := range sc.People {
		c := personColours[i%len(personColours)]
		rectangle(out, p.Rect(), c, thick)
		label(out, p.Rect().Min, fmt.Sprintf("%s %.2f", p.Label, p.Score), c)
	}
	for _, f := range sc.Faces {
		rectangle(out, f.Rect(), faceColour, thick)
		label(out, f.Rect().Min, fmt.Sprintf("%.2f", f.Score), faceColour)
		r := max(2, int(math.Round(f.Width()/25)))
		for k, p := range f.Landmarks {
			disc(out, int(math.Round(p.X)), int(math.Round(p.Y)), r, landmarkColours[k%len(landmarkColours)])
		}
	}
	return out
}

// tint blends c into img at 45% of the mask's alpha.
func tint(img *image.RGBA, m *image.Alpha, c color.RGBA) {
	r := m.Rect.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			a := uint32(m.Pix[m.PixOffset(x, y)]) * 45 / 100
			if a == 0 {
				continue
			}
			i := img.PixOffset(x, y)
			p := img.Pix[i : i+3 : i+3]
			p[0] = uint8((uint32(p[0])*(255-a) + uint32(c.R)*a) / 255)
			p[1] = uint8((uint32(p[1])*(255-a) + uint32(c.G)*a) / 255)
			p[2] = uint8((uint32(p[2])*(255-a) + uint32(c.B)*a) / 255)
		}
	}
}

// rectangle draws the outline of r, t pixels thick, inside r.
func rectangle(img *image.RGBA, r image.Rectangle, c color.RGBA, t int) {
	u := &image.Uniform{c}
	for _, e := range []image.Rectangle{
		{r.Min, image.Pt(r.Max.X, r.Min.Y+t)},
		{image.Pt(r.Min.X, r.Max.Y-t), r.Max},
		{r.Min, image.Pt(r.Min.X+t, r.Max.Y)},
		{image.Pt(r.Max.X-t, r.Min.Y), r.Max},
	} {
		draw.Draw(img, e.Intersect(img.Rect), u, image.Point{}, draw.Src)
	}
}

// disc draws a filled circle of radius r with a black rim.
func disc(img *image.RGBA, cx, cy, r int, c color.RGBA) {
	for y := cy - r - 1; y <= cy+r+1; y++ {
		for x := cx - r - 1; x <= cx+r+1; x++ {
			if !(image.Point{x, y}).In(img.Rect) {
				continue
			}
			d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			switch {
			case d <= r*r:
				img.SetRGBA(x, y, c)
			case d <= (r+1)*(r+1):
				img.SetRGBA(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
}

// label writes s on a dark strip just above p (below it at the top edge).
func label(img *image.RGBA, p image.Point, s string, c color.RGBA) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, s).Ceil()
	top := p.Y - 14
	if top < img.Rect.Min.Y {
		top = p.Y
	}
	bg := image.Rect(p.X, top, p.X+w+4, top+14).Intersect(img.Rect)
	draw.Draw(img, bg, &image.Uniform{color.RGBA{0, 0, 0, 200}}, image.Point{}, draw.Over)
	d := font.Drawer{Dst: img, Src: &image.Uniform{c}, Face: face, Dot: fixed.P(p.X+2, top+11)}
	d.DrawString(s)
}
