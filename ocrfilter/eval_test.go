package ocrfilter

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/tess"
)

// TestDumpSet writes the generated set as PNG files into $PHANTOM_OCR_DUMP,
// to look at.
func TestDumpSet(t *testing.T) {
	dir := os.Getenv("PHANTOM_OCR_DUMP")
	if dir == "" {
		t.Skip("PHANTOM_OCR_DUMP not set")
	}
	for _, s := range genSet(t, os.Getenv("PHANTOM_OCR_FULL") != "") {
		if err := imageio.Save(filepath.Join(dir, s.ID+".png"), s.Img); err != nil {
			t.Fatal(err)
		}
	}
}

// passRead is what one OCR pass read from one sample, and how long it took.
type passRead struct {
	words []Word
	dur   time.Duration
}

// candidates are the OCR passes the measurement tries.
var candidates = []Pass{
	{},
	{PSM: PSMSingleBlock},
	{Invert: true},
	{Scale: 2, MaxSide: 1000},
	{Scale: 2, MaxSide: 1000, PSM: PSMSingleBlock},
	{Grid: 3},
	{Grid: 3, PSM: PSMSingleBlock},
	{Grid: 3, Rotate: 15},
	{Grid: 3, Rotate: -15},
	{Rotate: 15, PSM: PSMSingleBlock},
	{Rotate: -15, PSM: PSMSingleBlock},
	{Chroma: true, PSM: PSMSingleBlock},
	{PSM: PSMSingleBlock, Binarize: Adaptive},
	{Regions: true},
}

// readCandidates reads img with every candidate pass, timing each.
func readCandidates(t testing.TB, cl *tess.Client, img image.Image) map[string]passRead {
	src := prepared{img: img}
	out := map[string]passRead{}
	for _, p := range candidates {
		start := time.Now()
		words, err := p.read(cl, &src, nil, PSMSparseText)
		if err != nil {
			t.Error(err)
			continue
		}
		out[p.String()] = passRead{words, time.Since(start)}
	}
	return out
}

// maxCombo is the most passes TestMeasure combines.
const maxCombo = 4

// TestMeasure measures the filter on the full generated set for several page
// segmentation modes, pass combinations and minimum confidences, and prints
// the table that BENCHMARKS.md quotes. It takes several minutes:
//
//	PHANTOM_OCR_EVAL=1 PHANTOM_DATA=/path/to/data go test -run TestMeasure -v -timeout 60m ./ocrfilter
func TestMeasure(t *testing.T) {
	if os.Getenv("PHANTOM_OCR_EVAL") == "" {
		t.Skip("PHANTOM_OCR_EVAL not set")
	}
	set := genSet(t, true)
	psms := []PageSegMode{PSMSparseText, PSMAuto, PSMSingleBlock}
	if s := os.Getenv("PHANTOM_OCR_PSM"); s != "" {
		n, _ := strconv.Atoi(s)
		psms = []PageSegMode{PageSegMode(n)}
	}
	t.Logf("generated set: %d samples (%s)", len(set), setSummary(set))
	for _, psm := range psms {
		reads := make([]map[string]passRead, len(set))
		var mu sync.Mutex
		next := 0
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl, err := tess.New(tess.Config{PSM: int(psm), Vars: binarizationVars})
				if err != nil {
					t.Error(err)
					return
				}
				defer cl.Close()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= len(set) {
						return
					}
					reads[i] = readCandidates(t, cl, set[i].Img)
				}
			}()
		}
		wg.Wait()
		eval := func(passes []string, conf float64, logMiss bool) evalStats {
			m := Matcher{MinConfidence: conf}
			var st evalStats
			for i, s := range set {
				var words []Word
				var dur time.Duration
				for _, p := range passes {
					words = append(words, reads[i][p].words...)
					dur += reads[i][p].dur
				}
				ev := m.Match(s.Name, nil, words)
				st.add(s, len(ev) > 0, dur)
				if logMiss && s.WantDrop && len(ev) == 0 {
					t.Logf("psm %d: missed %s (%s, bg %s)", psm, s.ID, s.Name, s.Bg)
				}
				if logMiss && !s.WantDrop && len(ev) > 0 {
					t.Logf("psm %d: false drop %s (%s, text %q): %+v", psm, s.ID, s.Name, s.Text, ev)
				}
			}
			return st
		}
		for _, c := range candidates {
			t.Logf("psm %2d pass %-18s: %s", psm, c, eval([]string{c.String()}, 0, false))
		}
		// Every combination of up to four passes at several minimum
		// confidences: rank by recall at ≥ 20 px with a false drop costing
		// two hits, then by time.
		type combo struct {
			passes []string
			conf   float64
			st     evalStats
		}
		var combos []combo
		n := len(candidates)
		for mask := 1; mask < 1<<n; mask++ {
			var ps []string
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					ps = append(ps, candidates[i].String())
				}
			}
			if len(ps) > maxCombo {
				continue
			}
			for _, conf := range []float64{0, 25, 50, 70} {
				combos = append(combos, combo{ps, conf, eval(ps, conf, false)})
			}
		}
		score := func(st evalStats) int {
			return st.hit20*1000 + st.hitSmall - (st.cleanDrop+st.decoyDrop)*2000
		}
		slices.SortFunc(combos, func(a, b combo) int {
			if sa, sb := score(a.st), score(b.st); sa != sb {
				return sb - sa
			}
			return int(a.st.dur - b.st.dur)
		})
		for k := 1; k <= maxCombo; k++ {
			shown := 0
			for _, c := range combos {
				if len(c.passes) == k && shown < 4 {
					t.Logf("psm %2d best %d-pass %-60s minconf %2.0f: %s", psm, k, strings.Join(c.passes, ","), c.conf, c.st)
					shown++
				}
			}
		}
		// The defaults, and the defaults with the upscaled copy the
		// Reader no longer runs (five passes: beyond the search above).
		var def []string
		for _, p := range DefaultPasses() {
			def = append(def, p.String())
		}
		for _, ps := range [][]string{def, append(slices.Clone(def), Pass{Scale: 2, MaxSide: 1000}.String())} {
			t.Logf("psm %2d %s minconf %d: %s", psm, strings.Join(ps, "+"), DefaultMinConfidence, eval(ps, DefaultMinConfidence, false))
		}
		best := combos[0].passes
		for _, conf := range []float64{0, 20, 40, 60} {
			t.Logf("psm %2d %s minconf %2.0f: %s", psm, strings.Join(best, "+"), conf, eval(best, conf, conf == 0))
		}
	}
}

func setSummary(set []sample) string {
	pos, clean, decoy := 0, 0, 0
	for _, s := range set {
		switch {
		case s.WantDrop:
			pos++
		case s.Style == "clean":
			clean++
		default:
			decoy++
		}
	}
	return fmt.Sprintf("%d with the name, %d clean, %d decoy text", pos, clean, decoy)
}

// evalStats counts the filter's hits and misses on a set.
type evalStats struct {
	pos20, hit20, posSmall, hitSmall int // names at ≥ 20 px and < 20 px
	posRot, hitRot                   int // tilted names at ≥ 20 px
	clean, cleanDrop                 int
	decoy, decoyDrop                 int
	dur                              time.Duration
	n                                int
}

func (st *evalStats) add(s sample, drop bool, dur time.Duration) {
	st.n++
	st.dur += dur
	b := map[bool]int{true: 1}[drop]
	switch {
	case s.WantDrop && s.Px >= 20:
		st.pos20++
		st.hit20 += b
		if s.Angle != 0 {
			st.posRot++
			st.hitRot += b
		}
	case s.WantDrop:
		st.posSmall++
		st.hitSmall += b
	case s.Style == "clean":
		st.clean++
		st.cleanDrop += b
	default:
		st.decoy++
		st.decoyDrop += b
	}
}

func (st evalStats) String() string {
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
	drops := st.hit20 + st.hitSmall + st.cleanDrop + st.decoyDrop
	return fmt.Sprintf("recall≥20px %5.1f%% (%d/%d) tilted %5.1f%% <20px %5.1f%% (%d/%d) | false drops clean %d/%d decoy %d/%d | precision %5.1f%% | %4.0f ms/img",
		pct(st.hit20, st.pos20), st.hit20, st.pos20, pct(st.hitRot, st.posRot),
		pct(st.hitSmall, st.posSmall), st.hitSmall, st.posSmall,
		st.cleanDrop, st.clean, st.decoyDrop, st.decoy,
		pct(st.hit20+st.hitSmall, drops), float64(st.dur.Milliseconds())/float64(max(st.n, 1)))
}

// TestMeasureDefault measures the default Filter on the full generated set,
// the figures BENCHMARKS.md gives for phantom's defaults:
//
//	PHANTOM_OCR_EVAL=1 PHANTOM_DATA=/path/to/data go test -run TestMeasureDefault -v ./ocrfilter
func TestMeasureDefault(t *testing.T) {
	if os.Getenv("PHANTOM_OCR_EVAL") == "" {
		t.Skip("PHANTOM_OCR_EVAL not set")
	}
	set := genSet(t, true)
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type res struct {
		drop  bool
		dur   time.Duration
		words []Word
	}
	out := make([]res, len(set))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	start := time.Now()
	for i, s := range set {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			d, err := f.Decide(context.Background(), s.Img, s.Name, nil)
			if err != nil {
				t.Error(err)
			}
			out[i] = res{!d.Keep, time.Since(t0), d.Words}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	var st evalStats
	byStyle := map[string]*evalStats{}
	for i, s := range set {
		st.add(s, out[i].drop, out[i].dur)
		if s.WantDrop {
			if byStyle[s.Style] == nil {
				byStyle[s.Style] = &evalStats{}
			}
			byStyle[s.Style].add(s, out[i].drop, out[i].dur)
			if !out[i].drop {
				t.Logf("missed %s (%s)", s.ID, s.Name)
			}
		}
	}
	t.Logf("default passes %v, minconf %v: %s", f.Reader().Passes(image.Pt(640, 480)), f.Matcher().MinConfidence, st)
	for _, k := range []string{"caption", "jersey", "magazine", "sign"} {
		t.Logf("  %-8s %s", k, byStyle[k])
	}
	t.Logf("wall %v for %d photos with %d engines: %v per photo", wall, len(set), runtime.GOMAXPROCS(0), wall/time.Duration(len(set)))
	// The same words, matched with other minimum word confidences.
	for _, conf := range minConfs {
		m := Matcher{MinRun: f.Matcher().MinRun, MinConfidence: conf}
		var st evalStats
		for i, s := range set {
			st.add(s, len(m.Match(s.Name, nil, out[i].words)) > 0, out[i].dur)
		}
		t.Logf("minconf %2.0f: %s", conf, st)
	}
}

// minConfs are the minimum word confidences the measurements compare.
var minConfs = []float64{0, 1, 10, 25, 40}

// TestMeasureRealFalseDrops reads every photo under $PHANTOM_DATA (real
// photos, backgrounds and faces, none showing the names of the generated
// set) with the default Filter and counts the photos dropped for any of
// those names: more clean photos than the generated set holds.
//
//	PHANTOM_OCR_EVAL=1 PHANTOM_DATA=/path/to/data go test -run TestMeasureRealFalseDrops -v ./ocrfilter
func TestMeasureRealFalseDrops(t *testing.T) {
	dir := os.Getenv("PHANTOM_DATA")
	if os.Getenv("PHANTOM_OCR_EVAL") == "" || dir == "" {
		t.Skip("PHANTOM_OCR_EVAL or PHANTOM_DATA not set")
	}
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png":
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	words := make([][]Word, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	start := time.Now()
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			img, err := imageio.Load(p)
			if err != nil {
				t.Error(err)
				return
			}
			if words[i], err = f.Reader().Read(context.Background(), img); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d real photos read in %v with %d engines", len(paths), time.Since(start), runtime.GOMAXPROCS(0))
	for _, conf := range minConfs {
		m := Matcher{MinRun: f.Matcher().MinRun, MinConfidence: conf}
		drops, photos := 0, 0
		for i, p := range paths {
			dropped := false
			for _, person := range people {
				if ev := m.Match(person.name, nil, words[i]); len(ev) > 0 {
					drops++
					dropped = true
					t.Logf("minconf %2.0f: false drop %s for %q: %+v", conf, p, person.name, ev)
				}
			}
			if dropped {
				photos++
			}
		}
		t.Logf("minconf %2.0f: %d real photos × %d names: %d false drops (%d photos)", conf, len(paths), len(people), drops, photos)
	}
}
