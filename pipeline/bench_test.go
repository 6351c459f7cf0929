package pipeline

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
)

// benchScene is a 1000×1000 photo (1 MP) with two faces and one person
// whose mask covers the middle third, as a portrait's would.
func benchScene() (*image.RGBA, *detect.Scene) {
	const n = 1000
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	m := image.NewAlpha(img.Rect)
	for y := 150; y < n; y++ {
		for x := 330; x < 670; x++ {
			m.Pix[m.PixOffset(x, y)] = 255
		}
	}
	return img, &detect.Scene{
		Width: n, Height: n,
		Faces: []detect.Face{
			{Box: detect.Box{X1: 420, Y1: 160, X2: 580, Y2: 360}},
			{Box: detect.Box{X1: 100, Y1: 100, X2: 180, Y2: 200}},
		},
		People: []detect.Person{{Box: detect.Box{X1: 330, Y1: 150, X2: 670, Y2: n}}},
		Masks:  []detect.Mask{{Alpha: m}},
	}
}

func benchBackground(b *testing.B) background.Background {
	if root := os.Getenv("PHANTOM_DATA"); root != "" {
		img, err := imageio.Load(filepath.Join(root, "backgrounds", "evening-glow.jpg"))
		if err != nil {
			b.Fatal(err)
		}
		return background.NewSet(background.Background{Name: "evening-glow.jpg", Image: img}).Pick(0, "x")
	}
	img := image.NewRGBA(image.Rect(0, 0, 2560, 1600))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	return background.NewSet(background.Background{Name: "gen", Image: img}).Pick(0, "x")
}

// BenchmarkRenderSixConditions renders the six conditions of a 1 MP photo
// from a ready scene on one goroutine (no detection, no encoding); the
// ms/MP metric is the cost on top of detection. "new-size" resamples the
// landscape for the photo; "repeat-size" takes it from the builder's cache
// of fitted landscapes, as every photo of an already seen size does;
// "new-size-no-person" is the worst case, a scene without a person mask, so
// the whole landscape is resampled.
func BenchmarkRenderSixConditions(b *testing.B) {
	photo, scene := benchScene()
	land := benchBackground(b)
	cache := newFitCache()
	cache.fitted(land, photo)
	cached := cache.fitted(land, photo)
	noPerson := *scene
	noPerson.People, noPerson.Masks = nil, nil
	for _, bc := range []struct {
		name  string
		bg    background.Background
		scene *detect.Scene
	}{{"new-size", land, scene}, {"repeat-size", cached, scene}, {"new-size-no-person", land, &noPerson}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := RenderOptions{Grid: 10, Landscape: bc.bg, InPlace: true}
			mp := float64(photo.Rect.Dx()*photo.Rect.Dy()) / 1e6
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if err := Render(photo, bc.scene, AllConditions, opts, func(Variant) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			// Wall time and the process's CPU time: on a shared machine the
			// second is the cost itself.
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/mp, "ms/MP")
			b.ReportMetric((cpuTime()-cpu0)*1000/float64(b.N)/mp, "cpu-ms/MP")
		})
	}
}

// BenchmarkRenderSweep measures what a sweep of five anonymization
// strengths adds to rendering the six conditions of the 1 MP photo (two
// faces, one person; the fitted landscape cached, as for every photo after
// the first of its size), on one goroutine: each iteration renders the six
// alone and then the six with the sweep, interleaved so that both see the
// same machine load; added-ms/MP/strength is the difference per strength
// in wall time, added-cpu-ms/MP/strength in the process's CPU time.
func BenchmarkRenderSweep(b *testing.B) {
	photo, scene := benchScene()
	cache := newFitCache()
	land := benchBackground(b)
	cache.fitted(land, photo)
	land = cache.fitted(land, photo)
	mp := float64(photo.Rect.Dx()*photo.Rect.Dy()) / 1e6
	for _, sweep := range []string{"pixelate:grid=16,8,6,4,2", "white+pixelate:cell=4,8,12,16,24", "gaussian:sigma=0.02,0.05,0.1,0.2,0.4", "pixelate:grid=10,scale=1.1,1.2,1.3,1.5,2"} {
		strengths, err := ParseSweep(sweep)
		if err != nil || len(strengths) != 5 {
			b.Fatalf("%s: %v, %d strengths", sweep, err, len(strengths))
		}
		withSweep := append(append([]Condition(nil), AllConditions...), strengths...)
		b.Run(sweep, func(b *testing.B) {
			opts := RenderOptions{Grid: 10, Landscape: land, InPlace: true}
			var six, all time.Duration
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := Render(photo, scene, AllConditions, opts, func(Variant) error { return nil }); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := Render(photo, scene, withSweep, opts, func(Variant) error { return nil }); err != nil {
					b.Fatal(err)
				}
				six, all = six+t1.Sub(t0), all+time.Since(t1)
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) / mp }
			b.ReportMetric((per(all)-per(six))/float64(len(strengths)), "added-ms/MP/strength")
			// The process's CPU time is counted in scheduler ticks, too
			// coarse for one render of a few ms: it is taken over b.N
			// renders of each kind in turn, so that on a loaded machine the
			// cost itself is measured, not the waiting.
			cpu := func(conds []Condition) float64 {
				c0 := cpuTime()
				for i := 0; i < b.N; i++ {
					if err := Render(photo, scene, conds, opts, func(Variant) error { return nil }); err != nil {
						b.Fatal(err)
					}
				}
				return (cpuTime() - c0) * 1000 / float64(b.N) / mp
			}
			cSix := cpu(AllConditions)
			cAll := cpu(withSweep)
			b.ReportMetric(cSix, "six-cpu-ms/MP")
			b.ReportMetric((cAll-cSix)/float64(len(strengths)), "added-cpu-ms/MP/strength")
		})
	}
}

// BenchmarkEncodeSixConditions encodes the six variants of a 1 MP photo as
// the builder writes them (JPEG quality 95, or PNG).
func BenchmarkEncodeSixConditions(b *testing.B) {
	photo, scene := benchScene()
	var vs []*image.RGBA
	Render(photo, scene, AllConditions, RenderOptions{Grid: 10, Landscape: benchBackground(b)}, func(v Variant) error {
		vs = append(vs, v.Image)
		return nil
	})
	for _, f := range []imageio.Format{imageio.JPEG, imageio.PNG} {
		b.Run(string(f), func(b *testing.B) {
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for _, v := range vs {
					if _, err := imageio.Encode(v, f); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/photo")
			b.ReportMetric((cpuTime()-cpu0)*1000/float64(b.N), "cpu-ms/photo")
		})
	}
}

// BenchmarkBuild builds the sample photos of $PHANTOM_DATA/photos (the OCR
// filter off: it has its own benchmark) with two workers and reports
// photos/s, CPU utilisation and the mean time per photo of each stage, with
// the OpenCV default detectors and with the ONNX models of $PHANTOM_MODELS.
func BenchmarkBuild(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchBuild(b, testAnalyzer(b)) })
	b.Run("onnx", func(b *testing.B) {
		dir := os.Getenv("PHANTOM_MODELS")
		if dir == "" {
			b.Skip("PHANTOM_MODELS not set")
		}
		a, err := detect.NewAnalyzer(dir, detect.WithDevice(detect.DeviceCPU), detect.WithThreads(1))
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close()
		benchBuild(b, a)
	})
}

// BenchmarkBuildPortraits builds 40 Congress portraits (180×225 to
// 720×900) of $PHANTOM_DATA with the OpenCV default, on one worker, two and
// three, to show how the workers share the cores on even work (a third
// worker on two cores fills the time the others wait for fsync).
// %machine-busy is the whole machine's CPU use in the run: what this
// process did not use of it, other processes did.
func BenchmarkBuildPortraits(b *testing.B) {
	for _, w := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			benchBuildDir(b, testAnalyzer(b), filepath.Join("faces", "congress"), 40, w)
		})
	}
}

func benchBuild(b *testing.B, an Analyzer) { benchBuildDir(b, an, "photos", 0, 2) }

func benchBuildDir(b *testing.B, an Analyzer, sub string, limit, workers int) {
	root := os.Getenv("PHANTOM_DATA")
	if root == "" {
		b.Skip("PHANTOM_DATA not set")
	}
	paths, err := imageio.Walk(filepath.Join(root, sub))
	if err != nil {
		b.Fatal(err)
	}
	if limit > 0 && len(paths) > limit {
		paths = paths[:limit]
	}
	var recs []Record
	for _, p := range paths {
		recs = append(recs, Record{Path: p, Source: filepath.Base(p), Name: "Unknown Person"})
	}
	set := background.NewSet()
	for _, n := range []string{"evening-glow.jpg", "forest-path.jpg", "lake-dusk.jpg"} {
		img, err := imageio.Load(filepath.Join(root, "backgrounds", n))
		if err != nil {
			b.Fatal(err)
		}
		set.Add(n, img)
	}
	ta := &timedAnalyzer{Analyzer: an}
	b.ResetTimer()
	var last *Summary
	for i := 0; i < b.N; i++ {
		bl, err := New(b.TempDir(), WithAnalyzer(ta), WithBackgrounds(set), WithWorkers(workers), WithContactSheet(0))
		if err != nil {
			b.Fatal(err)
		}
		ta.reset()
		busy0, ok0 := machineBusy()
		if last, err = bl.Run(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		if busy1, ok1 := machineBusy(); ok0 && ok1 && i == b.N-1 {
			// The whole machine's CPU use in the run: what this process did
			// not use of it, another did.
			b.ReportMetric(100*(busy1[0]-busy0[0])/(busy1[1]-busy0[1]), "%machine-busy")
		}
	}
	b.StopTimer()
	b.Logf("detection: %s", ta.report(last.Run.WallSeconds, workers))
	b.ReportMetric(last.Run.PhotosPerSecond, "photos/s")
	b.ReportMetric(100*last.Run.CPUUtilisation, "%cpu")
	for st, ss := range last.Stages {
		b.ReportMetric(ss.MeanMS, st+"-ms/photo")
	}
	b.Logf("GOMAXPROCS %d, %d photos, detectors %s", runtime.GOMAXPROCS(0), last.Built, detectorNames(an))
}

// timedAnalyzer records when each Analyze call ran, to tell how much of a
// run the workers spent detecting side by side, alone, or not at all.
type timedAnalyzer struct {
	Analyzer
	mu    sync.Mutex
	start time.Time
	spans [][2]time.Duration // since start
}

func (t *timedAnalyzer) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start, t.spans = time.Now(), nil
}

func (t *timedAnalyzer) Analyze(ctx context.Context, img image.Image) (*detect.Scene, error) {
	t0 := time.Since(t.start)
	s, err := t.Analyzer.Analyze(ctx, img)
	t1 := time.Since(t.start)
	t.mu.Lock()
	t.spans = append(t.spans, [2]time.Duration{t0, t1})
	t.mu.Unlock()
	return s, err
}

// report says, over a run of wall seconds, how long 0, 1, … of the
// workers were detecting, and when the first and the last detection ran.
func (t *timedAnalyzer) report(wall float64, workers int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	type ev struct {
		at time.Duration
		d  int
	}
	var evs []ev
	for _, s := range t.spans {
		evs = append(evs, ev{s[0], 1}, ev{s[1], -1})
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	by := make([]time.Duration, workers+1)
	n := 0
	prev := time.Duration(0)
	for _, e := range evs {
		by[min(n, workers)] += e.at - prev
		prev, n = e.at, n+e.d
	}
	tail := time.Duration(wall*float64(time.Second)) - prev
	out := ""
	for k, d := range by {
		out += fmt.Sprintf("%d detecting %.2fs, ", k, d.Seconds())
	}
	if len(evs) > 0 {
		out += fmt.Sprintf("first detection at %.2fs, after the last %.2fs", evs[0].at.Seconds(), tail.Seconds())
	}
	return out
}

// machineBusy returns the busy and the total CPU time of the whole machine
// so far (from /proc/stat, in clock ticks), and false where there is none.
func machineBusy() ([2]float64, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return [2]float64{}, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return [2]float64{}, false
	}
	var busy, total float64
	for i, v := range f[1:] {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return [2]float64{}, false
		}
		if i >= 8 { // guest time is already in user time
			break
		}
		total += x
		if i != 3 && i != 4 { // idle, iowait
			busy += x
		}
	}
	return [2]float64{busy, total}, true
}

func detectorNames(a Analyzer) string {
	if ta, ok := a.(*timedAnalyzer); ok {
		a = ta.Analyzer
	}
	if da, ok := a.(*detect.Analyzer); ok {
		s := ""
		for _, d := range []interface{ Name() string }{da.Faces(), da.People(), da.Segmenter()} {
			if d != nil {
				s += d.Name() + " "
			}
		}
		return s
	}
	return "?"
}
