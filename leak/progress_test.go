package leak

import (
	"strings"
	"testing"
	"time"
)

func TestBarLine(t *testing.T) {
	tests := []struct {
		name    string
		bar     *bar
		elapsed time.Duration
		tty     bool
		want    string
	}{
		{"plain", &bar{model: "llava", total: 600, skipped: 100, ok: 95, fail: 5}, 50 * time.Second, false,
			"llava 200/600  33% 2.0 req/s ETA 3m20s 5 failed"},
		{"bar", &bar{model: "m", total: 10, ok: 5}, 5 * time.Second, true,
			"m     [===============>              ] 5/10  50% 1.0 req/s ETA 5s"},
		{"done", &bar{model: "m", total: 4, skipped: 4}, time.Second, false, "m     4/4 100% 0.0 req/s ETA done"},
		{"no rate yet", &bar{model: "m", total: 4}, time.Second, false, "m     0/4   0% 0.0 req/s ETA --"},
	}
	for _, tt := range tests {
		tt.bar.start = time.Now().Add(-tt.elapsed)
		if got := tt.bar.line(tt.tty, 5); !strings.HasPrefix(got, tt.want) || len(got) != len(tt.want) {
			t.Errorf("%s: line = %q, want %q", tt.name, got, tt.want)
		}
	}
}
