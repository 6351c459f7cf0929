package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// TestBuildLoadsOnlyNeededStages runs phantom build as a user would, with
// the OpenCV default: for original,blur the person detector and the
// segmenter are never loaded (the log says so), and every metadata row
// says "not run" for them; for white they are, and named.
func TestBuildLoadsOnlyNeededStages(t *testing.T) {
	photo := testenv.Data(t, "photos", "eileen-collins.png")
	in := filepath.Join(t.TempDir(), "Eileen Collins")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(photo, filepath.Join(in, "001.png")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		conds          string
		logHas, logNot string
		person, seg    string // a metadata value, or "" for any but "not run"
	}{
		{"original,blur", "people and masks not loaded", `msg="detect: people" detector=`, "not run", "not run"},
		{"white", "detect: masks", "not loaded", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.conds, func(t *testing.T) {
			out := t.TempDir()
			_, log, status := phantomRun(t, "build", filepath.Dir(in), "-o", out, "--conditions", tc.conds, "--models", "none", "--no-ocr", "--contact-sheet", "0")
			if status != 0 {
				t.Fatalf("status %d\n%s", status, log)
			}
			if !strings.Contains(log, tc.logHas) || strings.Contains(log, tc.logNot) {
				t.Errorf("log should have %q and not %q:\n%s", tc.logHas, tc.logNot, log)
			}
			data, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(rows) != len(strings.Split(tc.conds, ",")) {
				t.Fatalf("%d rows:\n%s", len(rows), data)
			}
			for _, line := range rows {
				var r struct {
					Face   string `json:"face_detector"`
					Person string `json:"person_detector"`
					Seg    string `json:"segmenter"`
				}
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatal(err)
				}
				for _, f := range []struct{ got, want string }{{r.Person, tc.person}, {r.Seg, tc.seg}} {
					if (f.want != "" && f.got != f.want) || (f.want == "" && (f.got == "" || f.got == "not run")) {
						t.Errorf("row %s: person %q, segmenter %q", line, r.Person, r.Seg)
					}
				}
			}
		})
	}
}
