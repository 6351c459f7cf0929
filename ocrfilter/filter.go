package ocrfilter

import (
	"context"
	"fmt"
	"image"
	"strings"

	"github.com/phantom-vlm/phantom/internal/tess"
)

// Decision is the filter's verdict on one photo for one name.
type Decision struct {
	// Keep is false when the photo shows a run of the name (or of an alias)
	// as text, and the photo must be dropped.
	Keep bool `json:"keep"`
	// Evidence holds the runs found, one per distinct run; empty when Keep.
	Evidence []Evidence `json:"evidence,omitempty"`
	// Words are all the words read from the photo, every pass.
	Words []Word `json:"words"`
}

// Filter decides whether a photo shows the person's name as text. It is safe
// for concurrent use; Close it when done.
type Filter struct {
	r *Reader
	m Matcher
}

// New starts a Filter. Options configure its Reader (language, page
// segmentation mode, pool size, extra passes) and its Matcher (minimum run,
// minimum word confidence).
func New(opts ...Option) (*Filter, error) {
	r, err := NewReader(opts...)
	if err != nil {
		return nil, err
	}
	return &Filter{r: r, m: Matcher{MinRun: r.cfg.minRun, MinConfidence: r.cfg.minConf}}, nil
}

// Reader returns the Filter's Reader.
func (f *Filter) Reader() *Reader { return f.r }

// Matcher returns the Filter's Matcher.
func (f *Filter) Matcher() Matcher { return f.m }

// Decide reads img and says whether to keep it for the person called name
// (also known as aliases). The photo is dropped when the words read show a
// run of at least the minimum length of the name or of an alias.
func (f *Filter) Decide(ctx context.Context, img image.Image, name string, aliases []string) (Decision, error) {
	words, err := f.r.Read(ctx, img)
	if err != nil {
		return Decision{}, err
	}
	return f.DecideWords(words, name, aliases), nil
}

// KeepPhoto is Decide in the form pipeline.OCRFilter adapts (so that
// package pipeline needs no Tesseract): whether to keep img for name and
// aliases, and when not, the evidence to record (Decision.Evidence, a
// []Evidence).
func (f *Filter) KeepPhoto(ctx context.Context, img image.Image, name string, aliases []string) (keep bool, evidence any, err error) {
	d, err := f.Decide(ctx, img, name, aliases)
	if err != nil {
		return false, nil, err
	}
	return d.Keep, d.Evidence, nil
}

// DecideWords decides on words already read (for example by Reader.Read, to
// test one photo against several names without reading it again).
func (f *Filter) DecideWords(words []Word, name string, aliases []string) Decision {
	ev := f.m.Match(name, aliases, words)
	if words == nil {
		words = []Word{}
	}
	return Decision{Keep: len(ev) == 0, Evidence: ev, Words: words}
}

// Close frees the Filter's Tesseract engines.
func (f *Filter) Close() error { return f.r.Close() }

// Settings describes everything that changes the filter's decisions, in one
// line: the Tesseract version, language, page segmentation mode, DPI, the
// passes, the minimum run and the minimum word confidence. Two filters with
// the same Settings decide alike; the builder records it in build.json and
// in every metadata row.
func (f *Filter) Settings() string {
	c := f.r.cfg
	passes := make([]string, len(c.passes))
	for i, p := range c.passes {
		passes[i] = p.String()
	}
	return fmt.Sprintf("tesseract %s lang=%s psm=%d dpi=%d passes=%s min_run=%d min_conf=%g",
		tess.Version(), c.lang, int(c.psm), c.dpi, strings.Join(passes, ","), f.m.MinRun, f.m.MinConfidence)
}
