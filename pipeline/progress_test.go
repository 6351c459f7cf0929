package pipeline

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	if p.tty {
		t.Fatal("a buffer is not a terminal")
	}
	p.start(3)
	p.add(1)
	p.logf("failed: %s", "x.jpg")
	p.add(1)
	p.add(1)
	p.finish()
	out := buf.String()
	for _, want := range []string{"3 photos to build", "failed: x.jpg\n", "3/3 photos", "photos/s", "left"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") || strings.Contains(out, "\x1b") {
		t.Errorf("terminal codes written to a non-terminal:\n%q", out)
	}
}

func TestProgressBarLine(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, width: 100}
	p.total, p.done, p.began = 10, 5, time.Now().Add(-5*time.Second)
	p.drawLocked()
	line := buf.String()
	if !strings.HasPrefix(line, "\r\x1b[K[") || !strings.Contains(line, strings.Repeat("=", 15)+strings.Repeat(" ", 15)+"]") || !strings.Contains(line, "5/10 photos") {
		t.Errorf("bar line %q", line)
	}
}
