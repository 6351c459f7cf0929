package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
	"github.com/phantom-vlm/phantom/leak/leaktest"
)

// TestSweepEndToEnd runs a strength sweep as a user would, every step
// through the CLI: build two shared photos with --sweep, audit them, ask a
// stand-in server the R0 prompts about the sweep, and report with the
// dataset, which puts the audit table and the dose-response files beside
// the leak tables.
func TestSweepEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phantom in subprocesses")
	}
	photos := t.TempDir()
	for _, p := range []string{"eileen-collins.png", "portrait-outdoor.jpg"} {
		src := testenv.Data(t, "photos", p)
		os.MkdirAll(filepath.Join(photos, "Eileen Collins"), 0o755)
		if err := os.Symlink(src, filepath.Join(photos, "Eileen Collins", p)); err != nil {
			t.Fatal(err)
		}
	}
	dataset, rep := filepath.Join(t.TempDir(), "sweep"), filepath.Join(t.TempDir(), "report")
	run := func(args ...string) string {
		t.Helper()
		out, status := phantomCombined(t, args...)
		if status != 0 {
			t.Fatalf("phantom %s: status %d\n%s", strings.Join(args, " "), status, out)
		}
		return out
	}
	run("build", photos, "-o", dataset, "--models", "none", "--no-ocr", "-q", "--workers", "2",
		"--conditions", "original,blur,pixelate:grid=10,scale=1.3", "--sweep", "pixelate:grid=16,4,2")
	for _, dir := range []string{"blur", "pixelate-grid16", "pixelate-grid4", "pixelate-grid2", "pixelate-grid10-scale1.3"} {
		if ents, err := os.ReadDir(filepath.Join(dataset, dir)); err != nil || len(ents) != 2 {
			t.Errorf("%s: %d files, %v", dir, len(ents), err)
		}
	}
	out := run("audit", dataset, "--models", "none", "--detector", "haar", "-q", "--workers", "2")
	if !strings.Contains(out, "pixelate:grid=16") || !strings.Contains(out, "h <48 px") {
		t.Errorf("audit printed:\n%s", out)
	}
	f, err := os.Open(filepath.Join(dataset, "audit.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 1+5*5 {
		t.Fatalf("audit.csv: %d rows, %v", len(rows), err)
	}
	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) { return "This is Eileen Collins.", nil })
	defer srv.Close()
	results := filepath.Join(t.TempDir(), "results.jsonl")
	run("query", "--variants", dataset, "--url", srv.URL, "--model", "llava:7b", "--results", results, "--prompts", "main",
		"--conditions", "original,blur,pixelate:grid=16,pixelate:grid=4,pixelate:grid=2,pixelate:scale=1.3,grid=10")
	out = run("report", "--results", results, "--out", rep, "--dataset", dataset)
	for _, name := range []string{"audit.md", "audit.csv", "dose_original+pixelate-grid.md", "dose_original+pixelate-grid.png", "dose_original+pixelate-scale-grid10.md", "table_b_blur.md"} {
		if !strings.Contains(out, filepath.Join(rep, name)) {
			t.Errorf("report did not write %s:\n%s", name, out)
		}
	}
	md, err := os.ReadFile(filepath.Join(rep, "dose_original+pixelate-grid.md"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| strength") && !strings.HasPrefix(line, "| ---") {
			labels = append(labels, strings.TrimSpace(strings.Split(line, "|")[1]))
		}
	}
	if !slices.Equal(labels, []string{"none (original)", "grid=16", "grid=10", "grid=4", "grid=2"}) {
		t.Errorf("dose rows %q, want the original, then grids from the finest", labels)
	}
	if !strings.Contains(string(md), "audit: residual faces (opencv-haar)") || !strings.Contains(string(md), "100.0 (10/10)") {
		t.Errorf("dose table:\n%s", md)
	}
}
