package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name          string
		label, unit   string
		total, before int
		ok, failed    int
		elapsed       time.Duration
		labels        int
		bar           bool
		width         int
		want          string
	}{
		{name: "plain", label: "llava", unit: "req", total: 600, before: 100, ok: 95, failed: 5, elapsed: 50 * time.Second, labels: 5,
			want: "llava 200/600  33% 2.0 req/s ETA 3m20s 5 failed"},
		{name: "label padded", label: "m", unit: "req", total: 10, ok: 5, elapsed: 5 * time.Second, labels: 5,
			want: "m     5/10  50% 1.0 req/s ETA 5s"},
		{name: "bar", label: "m", unit: "req", total: 10, ok: 5, elapsed: 5 * time.Second, labels: 5, bar: true,
			want: "m     [===============>              ] 5/10  50% 1.0 req/s ETA 5s"},
		{name: "bar full", unit: "photos", total: 3, ok: 3, elapsed: time.Second, bar: true,
			want: "[==============================] 3/3 100% 3.0 photos/s ETA done"},
		{name: "bar empty", unit: "photos", total: 3, elapsed: time.Second, bar: true,
			want: "[>                             ] 0/3   0% 0.0 photos/s ETA --"},
		{name: "bar fits", unit: "photos", total: 10, ok: 5, elapsed: 5 * time.Second, bar: true, width: 63,
			want: "[===============>              ] 5/10  50% 1.0 photos/s ETA 5s"},
		{name: "no room for the bar", unit: "photos", total: 10, ok: 5, elapsed: 5 * time.Second, bar: true, width: 62,
			want: "5/10  50% 1.0 photos/s ETA 5s"},
		{name: "cut to the width", label: "a-long-model-name", unit: "req", total: 10, ok: 5, elapsed: 5 * time.Second, labels: 17, bar: true, width: 20,
			want: "a-long-model-name 5"},
		{name: "done before", label: "m", unit: "req", total: 4, before: 4, elapsed: time.Second, labels: 1,
			want: "m 4/4 100% 0.0 req/s ETA done"},
		{name: "no rate yet", label: "m", unit: "req", total: 4, elapsed: time.Second, labels: 1,
			want: "m 0/4   0% 0.0 req/s ETA --"},
		{name: "slow", unit: "photos", total: 100, ok: 1, elapsed: 4 * time.Second,
			want: "1/100   1% 0.25 photos/s ETA 6m36s"},
		{name: "hours", unit: "req", total: 100000, ok: 10, elapsed: 10 * time.Second,
			want: "10/100000   0% 1.0 req/s ETA 27h46m30s"},
		{name: "empty job", unit: "req", elapsed: time.Second,
			want: "0/0 100% 0.0 req/s ETA done"},
	}
	for _, tt := range tests {
		b := &Bar{label: tt.label, unit: tt.unit, total: tt.total, before: tt.before, start: now.Add(-tt.elapsed)}
		b.ok.Store(int64(tt.ok))
		b.failed.Store(int64(tt.failed))
		if got := b.line(tt.labels, tt.bar, tt.width, now); got != tt.want {
			t.Errorf("%s: line = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestETA(t *testing.T) {
	tests := []struct {
		left int
		rate float64
		want string
	}{
		{0, 0, "done"},
		{0, 5, "done"},
		{-1, 5, "done"},
		{10, 0, "--"},
		{10, 2, "5s"},
		{3, 0.5, "6s"},
		{1, 3, "0s"},
		{7200, 1, "2h0m0s"},
	}
	for _, tt := range tests {
		if got := eta(tt.left, tt.rate); got != tt.want {
			t.Errorf("eta(%d, %g) = %q, want %q", tt.left, tt.rate, got, tt.want)
		}
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		items   int
		elapsed time.Duration
		want    string
	}{
		{0, 0, "0.0"},
		{10, 0, "0.0"},
		{10, 5 * time.Second, "2.0"},
		{1, 3 * time.Second, "0.33"},
		{1, 1000 * time.Second, "0.00"},
		{1234, time.Second, "1234.0"},
	}
	for _, tt := range tests {
		if got := formatRate(rate(tt.items, tt.elapsed)); got != tt.want {
			t.Errorf("rate(%d, %s) = %s, want %s", tt.items, tt.elapsed, got, tt.want)
		}
	}
}

// TestPlain checks the output to a writer that is not a terminal: log
// lines, a line per bar each interval and a last one at Stop, and no
// terminal codes.
func TestPlain(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, time.Millisecond)
	if d.Terminal() {
		t.Fatal("a buffer is not a terminal")
	}
	d.Logf("reading %d photos", 3)
	a := d.NewBar("llava:7b", "req", 3, 1)
	b := d.NewBar("m", "req", 2, 0)
	d.Start()
	a.Add(true)
	time.Sleep(20 * time.Millisecond)
	d.Logf("failed: %s", "x.jpg")
	a.Add(false)
	b.Add(true)
	b.Add(true)
	d.Stop()
	d.Stop() // a second Stop does nothing
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "reading 3 photos" {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(out, "\nllava:7b 2/3  67% ") || !strings.Contains(out, "\nm        0/2   0% 0.0 req/s ETA --\n") ||
		!strings.Contains(out, "\nfailed: x.jpg\n") {
		t.Errorf("no interval lines or log line:\n%s", out)
	}
	n := len(lines)
	if n < 4 || !strings.HasPrefix(lines[n-2], "llava:7b 3/3 100% ") || !strings.HasSuffix(lines[n-2], " req/s ETA done 1 failed") ||
		!strings.HasPrefix(lines[n-1], "m        2/2 100% ") {
		t.Errorf("last lines:\n%s", out)
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("terminal codes written to a non-terminal:\n%q", out)
	}
}

// TestTerminal checks the redrawing in place on a terminal: the bars are
// erased and drawn again below a log line, and Stop leaves them on screen.
func TestTerminal(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, 0)
	d.tty, d.width = true, 100
	d.Logf("start")
	a := d.NewBar("a", "req", 10, 0)
	d.NewBar("b", "req", 10, 5)
	d.draw()
	a.Add(true)
	d.Logf("note")
	d.Stop()
	out := buf.String()
	want := []string{
		"\rstart\n",
		"a [>                             ] 0/10   0% 0.0 req/s ETA --\n",
		"b [===============>              ] 5/10  50% 0.0 req/s ETA --\n",
		"\x1b[2A\r\x1b[Jnote\n",
		"a [===>                          ] 1/10  10% ",
		"\x1b[2A\r\x1b[Ja [===>",
	}
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q after the earlier parts:\n%q", w, out)
		}
		rest = rest[i+len(w):]
	}
	if strings.Count(out, "\n") != 1+2+1+2+2 {
		t.Errorf("want 8 lines written:\n%q", out)
	}
}

func TestNilWriter(t *testing.T) {
	d := New(nil, 0)
	d.Logf("nothing")
	b := d.NewBar("m", "req", 1, 0)
	d.Start()
	b.Add(true)
	d.Stop()
	var nb *Bar
	nb.Add(true) // a nil bar ignores Add
}

func TestAddN(t *testing.T) {
	b := &Bar{unit: "MB", total: 10, start: time.Now().Add(-2 * time.Second)}
	b.AddN(4)
	b.AddN(0)
	b.AddN(-3) // ignored
	b.Add(true)
	if got, want := b.line(0, false, 0, b.start.Add(2*time.Second)), "5/10  50% 2.5 MB/s ETA 2s"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	var nilBar *Bar
	nilBar.AddN(1)
}
