package leak

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress draws one bar per model on a terminal, or writes plain lines
// when its writer is not a terminal.
type progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	bars     []*bar
	mu       sync.Mutex // serialises drawing
	drawn    bool
	done     chan struct{}
	wg       sync.WaitGroup
}

// bar counts one model's progress. A nil *bar ignores add.
type bar struct {
	mu       sync.Mutex
	model    string
	total    int
	skipped  int
	ok, fail int
	start    time.Time
}

func (b *bar) add(ok bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	if ok {
		b.ok++
	} else {
		b.fail++
	}
	b.mu.Unlock()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, interval time.Duration, sums []ModelSummary) *progress {
	p := &progress{w: w, done: make(chan struct{})}
	if w == nil {
		return p
	}
	p.tty = isTerminal(w)
	p.interval = interval
	if p.interval <= 0 {
		p.interval = 10 * time.Second
	}
	if p.tty {
		p.interval = 200 * time.Millisecond
	}
	now := time.Now()
	for _, s := range sums {
		p.bars = append(p.bars, &bar{model: s.Model, total: s.Total, skipped: s.Skipped, start: now})
	}
	return p
}

func (p *progress) bar(i int) *bar {
	if i < len(p.bars) {
		return p.bars[i]
	}
	return nil
}

func (p *progress) start() {
	if p.w == nil {
		return
	}
	if !p.tty {
		for _, b := range p.bars {
			fmt.Fprintf(p.w, "%s: %d questions, %d already answered, %d to ask\n",
				b.model, b.total, b.skipped, b.total-b.skipped)
		}
	}
	p.wg.Go(func() {
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw()
			case <-p.done:
				return
			}
		}
	})
}

func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
	p.draw()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var sb strings.Builder
	if p.tty && p.drawn {
		fmt.Fprintf(&sb, "\x1b[%dA", len(p.bars)) // back to the first bar
	}
	width := 0
	for _, b := range p.bars {
		width = max(width, len(b.model))
	}
	for _, b := range p.bars {
		line := b.line(p.tty, width)
		if p.tty {
			sb.WriteString("\r\x1b[2K")
		}
		sb.WriteString(line)
		sb.WriteByte('\n')
	}
	p.drawn = true
	io.WriteString(p.w, sb.String())
}

// line formats the bar: "llava  [=====>    ] 120/600  20%  3.1/s  ETA 2m35s  3 failed".
func (b *bar) line(tty bool, width int) string {
	b.mu.Lock()
	asked, fail := b.ok+b.fail, b.fail
	b.mu.Unlock()
	done := b.skipped + asked
	pct := 100.0
	if b.total > 0 {
		pct = 100 * float64(done) / float64(b.total)
	}
	elapsed := time.Since(b.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(asked) / s
	}
	eta := "--"
	if left := b.total - done; left == 0 {
		eta = "done"
	} else if rate > 0 {
		eta = time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-*s ", width, b.model)
	if tty {
		const cells = 30
		fill := int(pct / 100 * cells)
		sb.WriteByte('[')
		for i := range cells {
			switch {
			case i < fill:
				sb.WriteByte('=')
			case i == fill:
				sb.WriteByte('>')
			default:
				sb.WriteByte(' ')
			}
		}
		sb.WriteString("] ")
	}
	fmt.Fprintf(&sb, "%d/%d %3.0f%% %.1f req/s ETA %s", done, b.total, pct, rate, eta)
	if fail > 0 {
		fmt.Fprintf(&sb, " %d failed", fail)
	}
	return sb.String()
}
