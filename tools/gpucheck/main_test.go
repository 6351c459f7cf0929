package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

func writeLines(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "d.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompare(t *testing.T) {
	cpu := writeLines(t,
		`{"file":"a.jpg","faces":[{"x1":0,"y1":0,"x2":100,"y2":100,"score":0.90},{"x1":200,"y1":0,"x2":260,"y2":60,"score":0.70}],"people":[{"x1":0,"y1":0,"x2":300,"y2":500,"score":0.8}]}`,
		`{"file":"b.jpg","faces":[],"people":[]}`)
	tests := []struct {
		name   string
		gpu    []string
		ok     bool
		errHas string
	}{
		{"same, other order", []string{
			`{"file":"b.jpg","faces":[],"people":[]}`,
			`{"file":"a.jpg","faces":[{"x1":201,"y1":0,"x2":260,"y2":60,"score":0.71},{"x1":0,"y1":0,"x2":101,"y2":100,"score":0.905}],"people":[{"x1":0,"y1":0,"x2":300,"y2":502,"score":0.79}]}`,
		}, true, "PASS: 2 photos, 2 faces and 1 people paired"},
		{"box moved", []string{
			`{"file":"a.jpg","faces":[{"x1":10,"y1":10,"x2":110,"y2":110,"score":0.90},{"x1":200,"y1":0,"x2":260,"y2":60,"score":0.70}],"people":[{"x1":0,"y1":0,"x2":300,"y2":500,"score":0.8}]}`,
			`{"file":"b.jpg","faces":[],"people":[]}`,
		}, false, "faces 0: IoU 0.681"},
		{"score off", []string{
			`{"file":"a.jpg","faces":[{"x1":0,"y1":0,"x2":100,"y2":100,"score":0.86},{"x1":200,"y1":0,"x2":260,"y2":60,"score":0.70}],"people":[{"x1":0,"y1":0,"x2":300,"y2":500,"score":0.8}]}`,
			`{"file":"b.jpg","faces":[],"people":[]}`,
		}, false, "score 0.900 vs 0.860"},
		{"face missing", []string{
			`{"file":"a.jpg","faces":[{"x1":0,"y1":0,"x2":100,"y2":100,"score":0.90}],"people":[{"x1":0,"y1":0,"x2":300,"y2":500,"score":0.8}]}`,
			`{"file":"b.jpg","faces":[],"people":[]}`,
		}, false, "2 faces on the CPU, 1 on the GPU"},
		{"extra person", []string{
			`{"file":"a.jpg","faces":[{"x1":0,"y1":0,"x2":100,"y2":100,"score":0.90},{"x1":200,"y1":0,"x2":260,"y2":60,"score":0.70}],"people":[{"x1":0,"y1":0,"x2":300,"y2":500,"score":0.8}]}`,
			`{"file":"b.jpg","faces":[],"people":[{"x1":0,"y1":0,"x2":10,"y2":10,"score":0.3}]}`,
		}, false, "0 people on the CPU, 1 on the GPU"},
		{"photo missing", []string{
			`{"file":"a.jpg","faces":[{"x1":0,"y1":0,"x2":100,"y2":100,"score":0.90},{"x1":200,"y1":0,"x2":260,"y2":60,"score":0.70}],"people":[{"x1":0,"y1":0,"x2":300,"y2":500,"score":0.8}]}`,
		}, false, "b.jpg\t0 faces\t0 people\tDIFFERENT: only in the CPU run"},
		{"gpu error", []string{
			`{"file":"a.jpg","error":"CUDA failure","faces":[],"people":[]}`,
			`{"file":"b.jpg","faces":[],"people":[]}`,
		}, false, `GPU "CUDA failure"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ok, err := compareFiles(&out, cpu, writeLines(t, tc.gpu...), tolerance{0.9, 0.02})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok || !strings.Contains(out.String(), tc.errHas) {
				t.Errorf("ok %v (want %v), output lacks %q:\n%s", ok, tc.ok, tc.errHas, out.String())
			}
		})
	}
}

func TestCompareBadLine(t *testing.T) {
	p := writeLines(t, `{"file":"a.jpg"}`, `not json`)
	if _, err := compareFiles(&bytes.Buffer{}, p, p, tolerance{0.9, 0.02}); err == nil || !strings.Contains(err.Error(), p+":2") {
		t.Errorf("err = %v, want one naming %s:2", err, p)
	}
}

// TestManifest writes the manifest of the shared photos: 112 congress
// portraits, the single-person examples and the photos of people, every
// path present.
func TestManifest(t *testing.T) {
	data := testenv.Data(t)
	out := filepath.Join(t.TempDir(), "m.csv")
	if err := writeManifest(data, out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var congress, examples int
	for _, r := range rows[1:] {
		if _, err := os.Stat(filepath.Join(data, r[0])); err != nil {
			t.Errorf("row %v: %v", r, err)
		}
		if r[1] == "" || strings.ContainsAny(r[1], ";(") {
			t.Errorf("row %v: bad name", r)
		}
		switch {
		case strings.HasPrefix(r[0], "faces/congress/"):
			congress++
		case strings.HasPrefix(r[0], "faces/face_recognition_examples/"):
			examples++
		}
	}
	if congress != 112 || examples != 9 || len(rows)-1 != 112+9+len(people) {
		t.Errorf("%d rows: %d congress, %d examples", len(rows)-1, congress, examples)
	}
}

func TestStages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cpu := write("cpu.json", `{"photos":2,"stages":{"decode":{"photos":2,"total_s":0.5,"mean_ms":250},"detect":{"photos":2,"total_s":8,"mean_ms":4000}},"run":{"workers":2,"wall_s":10,"cpu_s":18}}`)
	gpu := write("gpu.json", `{"photos":2,"stages":{"decode":{"photos":2,"total_s":0.5,"mean_ms":250},"detect":{"photos":2,"total_s":0.4,"mean_ms":200}},"run":{"workers":2,"wall_s":2.5,"cpu_s":3}}`)
	var out bytes.Buffer
	if err := writeStages(&out, []string{"cpu=" + cpu, "cuda, H200=" + gpu}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| stage (s summed over photos; ms per photo) | cpu | cuda, H200 |",
		"| detect | 8.00 s (4000.0 ms) | 0.40 s (200.0 ms) |",
		"| ocr | – | – |",
		"| **wall** (workers; CPU s) | **10.00 s** (2; 18.0) | **2.50 s** (2; 3.0) |",
		"| wall against the first | 1.00× | 4.00× |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if err := writeStages(&out, []string{cpu}); err == nil {
		t.Error("an argument without LABEL= accepted")
	}
	if err := writeStages(&out, []string{"x=" + write("bad.json", `{"run":{}}`)}); err == nil || !strings.Contains(err.Error(), "no run wall time") {
		t.Errorf("a summary without a run: %v", err)
	}
}
