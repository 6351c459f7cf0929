package pipeline

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports done/total, rate and time left: a bar redrawn in place on
// a terminal, a log line every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	width int

	mu    sync.Mutex
	total int
	done  int
	began time.Time
	last  time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// logEvery is how often a non-terminal progress writes a line.
const logEvery = 5 * time.Second

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, width: 80}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if wd, _, err := term.GetSize(int(f.Fd())); err == nil && wd > 20 {
			p.width = wd
		}
	}
	return p
}

func (p *progress) start(total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.total, p.began, p.last = total, time.Now(), time.Now()
	p.mu.Unlock()
	if !p.tty {
		fmt.Fprintf(p.w, "phantom build: %d photos to build\n", total)
		return
	}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				p.drawLocked()
				p.mu.Unlock()
			case <-p.stop:
				return
			}
		}
	}()
}

func (p *progress) add(n int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if !p.tty && (time.Since(p.last) >= logEvery || p.done == p.total) {
		p.last = time.Now()
		fmt.Fprintln(p.w, p.lineLocked())
	}
}

// logf prints a message on its own line, above the bar on a terminal.
func (p *progress) logf(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.tty && p.stop != nil {
		p.drawLocked()
	}
}

func (p *progress) finish() {
	if p.w == nil {
		return
	}
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.drawLocked()
		fmt.Fprintln(p.w)
	} else if p.done != p.total {
		fmt.Fprintln(p.w, p.lineLocked())
	}
}

func (p *progress) lineLocked() string {
	el := time.Since(p.began)
	rate := 0.0
	if el > 0 {
		rate = float64(p.done) / el.Seconds()
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d photos  %.2f photos/s  elapsed %s  left %s", p.done, p.total, rate, el.Round(time.Second), eta)
}

func (p *progress) drawLocked() {
	text := p.lineLocked()
	barW := 30
	if p.width-len(text)-4 < barW {
		barW = 0 // no room: the numbers alone
	}
	bar := ""
	if barW >= 10 && p.total > 0 {
		fill := barW * p.done / p.total
		bar = "[" + strings.Repeat("=", fill) + strings.Repeat(" ", barW-fill) + "] "
	}
	fmt.Fprint(p.w, "\r\x1b[K"+bar+text)
}
