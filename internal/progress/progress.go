// Package progress shows how far long-running work has got: one bar per
// job (done/total, rate, time left), redrawn in place when the writer is a
// terminal and written as plain lines at an interval when it is not (a log
// file, a pipe).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// DefaultInterval is the period of plain lines when New is given 0.
const DefaultInterval = 10 * time.Second

// redraw is the period of redrawing the bars on a terminal.
const redraw = 200 * time.Millisecond

// cells is the width of a drawn bar between its brackets.
const cells = 30

// Display owns a writer and draws its bars on it. Its methods are safe for
// concurrent use. A Display with a nil writer draws nothing.
type Display struct {
	w        io.Writer
	fd       int  // the terminal's file descriptor when tty
	tty      bool // w is a terminal: bars are redrawn in place
	width    int  // fixed terminal width for tests; 0 asks the terminal
	interval time.Duration

	mu    sync.Mutex // serialises writing and guards bars and drawn
	bars  []*Bar
	drawn int // lines of bars on the screen below the log lines (tty)

	startOnce, stopOnce sync.Once
	stop                chan struct{}
	wg                  sync.WaitGroup
}

// New returns a Display writing to w. When w is a terminal the bars are
// redrawn in place several times a second; otherwise every bar is written
// as a plain line each interval (DefaultInterval when interval <= 0) and
// once more by Stop.
func New(w io.Writer, interval time.Duration) *Display {
	if interval <= 0 {
		interval = DefaultInterval
	}
	d := &Display{w: w, interval: interval, stop: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		d.tty, d.fd = true, int(f.Fd())
	}
	return d
}

// Terminal reports whether the Display draws on a terminal.
func (d *Display) Terminal() bool { return d.tty }

// NewBar adds a bar labelled label (the labels of all bars are padded to
// the same width) counting total items, of which done were done before
// this run: they count towards done/total but not towards the rate. unit
// names the items in the rate ("req" gives "2.0 req/s").
func (d *Display) NewBar(label, unit string, total, done int) *Bar {
	b := &Bar{label: label, unit: unit, total: total, before: done, start: time.Now()}
	d.mu.Lock()
	d.bars = append(d.bars, b)
	d.mu.Unlock()
	return b
}

// Start starts drawing the bars at the Display's pace until Stop.
func (d *Display) Start() {
	if d.w == nil {
		return
	}
	d.startOnce.Do(func() {
		every := d.interval
		if d.tty {
			every = redraw
		}
		d.wg.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					d.draw()
				case <-d.stop:
					return
				}
			}
		})
	})
}

// Stop stops drawing and draws the bars a last time, leaving them on the
// screen (on a terminal) or as the last lines written. Calls after the
// first do nothing.
func (d *Display) Stop() {
	if d.w == nil {
		return
	}
	d.stopOnce.Do(func() {
		close(d.stop)
		d.wg.Wait()
		d.draw()
	})
}

// Logf writes a line formatted as by fmt.Printf (a newline is added): on a
// terminal above the bars, which are then redrawn below it.
func (d *Display) Logf(format string, args ...any) {
	if d.w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var sb strings.Builder
	below := d.drawn > 0 // bars on screen to draw again below the line
	if d.tty {
		sb.WriteString(d.clearLocked())
	}
	fmt.Fprintf(&sb, format, args...)
	sb.WriteByte('\n')
	if below {
		sb.WriteString(d.barsLocked())
	}
	io.WriteString(d.w, sb.String())
}

// draw writes the bars: in place of the previous ones on a terminal.
func (d *Display) draw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.bars) == 0 {
		return
	}
	var sb strings.Builder
	if d.tty {
		sb.WriteString(d.clearLocked())
	}
	sb.WriteString(d.barsLocked())
	io.WriteString(d.w, sb.String())
}

// clearLocked returns the codes that take the cursor back to the first
// drawn bar and erase the bars, leaving the cursor at the start of a line.
func (d *Display) clearLocked() string {
	if d.drawn == 0 {
		return "\r"
	}
	s := fmt.Sprintf("\x1b[%dA\r\x1b[J", d.drawn)
	d.drawn = 0
	return s
}

// barsLocked returns a line for each bar, each ending in a newline.
func (d *Display) barsLocked() string {
	labels := 0
	for _, b := range d.bars {
		labels = max(labels, utf8.RuneCountInString(b.label))
	}
	width := 0 // no limit
	if d.tty {
		width = d.width
		if width == 0 {
			if w, _, err := term.GetSize(d.fd); err == nil {
				width = w
			}
		}
	}
	var sb strings.Builder
	for _, b := range d.bars {
		sb.WriteString(b.line(labels, d.tty, width, time.Now()))
		sb.WriteByte('\n')
	}
	if d.tty {
		d.drawn = len(d.bars)
	}
	return sb.String()
}

// Bar counts the items of one job. Its methods are safe for concurrent
// use; a nil *Bar ignores Add.
type Bar struct {
	label, unit string
	total       int
	before      int // done before this run
	start       time.Time
	ok, failed  atomic.Int64
}

// Add counts one item done: failed when ok is false.
func (b *Bar) Add(ok bool) {
	if b == nil {
		return
	}
	if ok {
		b.ok.Add(1)
	} else {
		b.failed.Add(1)
	}
}

// AddN counts n items done, as n calls of Add(true) would; a bar of bytes
// read moves by a file's bytes at once.
func (b *Bar) AddN(n int) {
	if b == nil || n <= 0 {
		return
	}
	b.ok.Add(int64(n))
}

// line formats the bar at now, its label padded to labels runes, e.g.
//
//	llava [=====>    ] 120/600  20% 3.1 req/s ETA 2m35s 3 failed
//
// The bracketed bar is drawn only when bar is set and the line fits in
// width with it (width 0: no limit); a line longer than width is cut.
func (b *Bar) line(labels int, bar bool, width int, now time.Time) string {
	failed := int(b.failed.Load())
	asked := int(b.ok.Load()) + failed
	done := b.before + asked
	pct := 100.0
	if b.total > 0 {
		pct = 100 * float64(done) / float64(b.total)
	}
	var sb strings.Builder
	if labels > 0 {
		sb.WriteString(b.label)
		sb.WriteString(strings.Repeat(" ", labels-utf8.RuneCountInString(b.label)+1))
	}
	head := sb.Len()
	rate := rate(asked, now.Sub(b.start))
	fmt.Fprintf(&sb, "%d/%d %3.0f%% %s %s/s ETA %s", done, b.total, pct, formatRate(rate), b.unit, eta(b.total-done, rate))
	if failed > 0 {
		fmt.Fprintf(&sb, " %d failed", failed)
	}
	s := sb.String()
	if bar && (width == 0 || utf8.RuneCountInString(s)+cells+3 < width) {
		s = s[:head] + drawBar(pct) + " " + s[head:]
	}
	if width > 0 && utf8.RuneCountInString(s) >= width {
		s = string([]rune(s)[:max(width-1, 0)]) // a full line would wrap on some terminals
	}
	return s
}

// rate returns items per second.
func rate(items int, elapsed time.Duration) float64 {
	if s := elapsed.Seconds(); s > 0 {
		return float64(items) / s
	}
	return 0
}

// formatRate writes a rate with one decimal, two below 1/s.
func formatRate(r float64) string {
	if r > 0 && r < 1 {
		return fmt.Sprintf("%.2f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// eta returns the time left for left items at rate per second: "done"
// when none are left, "--" while the rate is unknown.
func eta(left int, rate float64) string {
	switch {
	case left <= 0:
		return "done"
	case rate <= 0:
		return "--"
	}
	return time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
}

// drawBar returns a bar filled to pct percent: "[=====>    ]".
func drawBar(pct float64) string {
	fill := min(max(int(pct/100*cells), 0), cells)
	s := "[" + strings.Repeat("=", fill)
	if fill < cells {
		s += ">" + strings.Repeat(" ", cells-fill-1)
	}
	return s + "]"
}
