package ocrfilter

import (
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

// candidate is one OCR pass the measurement tries.
type candidate struct {
	name    string
	sauvola bool // Tesseract's Sauvola binarisation instead of Otsu
	prep    func(g *image.Gray, img image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle)
}

func identity(r image.Rectangle) image.Rectangle { return r }

var candidates = []candidate{
	{"grey", false, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) { return g, identity }},
	{"grey-sauvola", true, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) { return g, identity }},
	{"inv-sauvola", true, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) {
		return invertGray(g), identity
	}},
	{"x2", false, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) {
		return resizeGray(g, 2*g.Bounds().Dx(), 2*g.Bounds().Dy()), func(r image.Rectangle) image.Rectangle {
			return image.Rect(r.Min.X/2, r.Min.Y/2, (r.Max.X+1)/2, (r.Max.Y+1)/2)
		}
	}},
	{"x2-sauvola", true, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) {
		return resizeGray(g, 2*g.Bounds().Dx(), 2*g.Bounds().Dy()), func(r image.Rectangle) image.Rectangle {
			return image.Rect(r.Min.X/2, r.Min.Y/2, (r.Max.X+1)/2, (r.Max.Y+1)/2)
		}
	}},
	{"chroma-sauvola", true, func(_ *image.Gray, img image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) {
		return chromaGray(img), identity
	}},
	{"rot15", false, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) { return rotateGray(g, 15) }},
	{"rot-15", false, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) { return rotateGray(g, -15) }},
	{"rot15-sauvola", true, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) { return rotateGray(g, 15) }},
	{"rot-15-sauvola", true, func(g *image.Gray, _ image.Image) (*image.Gray, func(image.Rectangle) image.Rectangle) { return rotateGray(g, -15) }},
}

// readCandidates reads img with every candidate pass, timing each.
func readCandidates(t testing.TB, otsu, sauvola *tess.Client, img image.Image) map[string]passRead {
	g := toGray(img)
	out := map[string]passRead{}
	for _, c := range candidates {
		start := time.Now()
		pg, back := c.prep(g, img)
		cl := otsu
		if c.sauvola {
			cl = sauvola
		}
		tw, err := cl.Read(pg)
		if err != nil {
			t.Error(err)
			continue
		}
		out[c.name] = passRead{appendWords(nil, tw, pass{name: c.name, back: back}), time.Since(start)}
	}
	return out
}

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
				otsu, err := tess.New(tess.Config{PSM: int(psm)})
				if err != nil {
					t.Error(err)
					return
				}
				defer otsu.Close()
				sauvola, err := tess.New(tess.Config{PSM: int(psm), Vars: map[string]string{"thresholding_method": "2"}})
				if err != nil {
					t.Error(err)
					return
				}
				defer sauvola.Close()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= len(set) {
						return
					}
					reads[i] = readCandidates(t, otsu, sauvola, set[i].Img)
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
			t.Logf("psm %2d pass %-16s: %s", psm, c.name, eval([]string{c.name}, 0, false))
		}
		// Every combination of up to four passes: keep the best few by
		// recall at ≥ 20 px, then by time.
		type combo struct {
			passes []string
			st     evalStats
		}
		var combos []combo
		n := len(candidates)
		for mask := 1; mask < 1<<n; mask++ {
			var ps []string
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					ps = append(ps, candidates[i].name)
				}
			}
			if len(ps) > 4 {
				continue
			}
			combos = append(combos, combo{ps, eval(ps, 0, false)})
		}
		slices.SortFunc(combos, func(a, b combo) int {
			ra := a.st.hit20*1000 + a.st.hitSmall - a.st.cleanDrop*100 - a.st.decoyDrop*100
			rb := b.st.hit20*1000 + b.st.hitSmall - b.st.cleanDrop*100 - b.st.decoyDrop*100
			if ra != rb {
				return rb - ra
			}
			return int(a.st.dur - b.st.dur)
		})
		for k := 1; k <= 4; k++ {
			shown := 0
			for _, c := range combos {
				if len(c.passes) == k && shown < 3 {
					t.Logf("psm %2d best %d-pass %-45s: %s", psm, k, strings.Join(c.passes, "+"), c.st)
					shown++
				}
			}
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
