// Command gpucheck is the Go half of scripts/gpu-check.sh: it writes the
// manifest of the shared photos that the GPU check builds, and compares what
// phantom detect found on the CPU with what it found on the GPU.
//
//	gpucheck manifest DATA OUT.csv
//	gpucheck compare [-iou 0.9] [-score 0.02] CPU.jsonl GPU.jsonl
//	gpucheck stages LABEL=OUT/summary.json...
//
// manifest lists, with paths relative to DATA ($PHANTOM_DATA), the 112
// congress portraits (faces/congress/labels.csv: common name, the source's
// name as an alias when it differs), the single-person photos of
// faces/face_recognition_examples and the people photos of photos/
// (Eileen Collins by name, the others as "Unknown Person").
//
// compare reads two outputs of phantom detect (one JSON line per photo),
// pairs the photos by file and, within each photo, each face and each
// person of the CPU run with the unused one of the GPU run that overlaps it
// most. It passes when every photo has the same numbers of faces and people
// on both, and every pair overlaps by at least -iou with scores within
// -score; it prints one line per photo and a summary, and exits 1 when
// anything differs.
//
// stages prints, as a Markdown table, the time each stage of phantom build
// took (decode, ocr, detect, render, encode, write: the summary's "stages",
// summed over photos and workers) and each run's wall time, one column per
// build: the split between detection and the CPU work around it.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "manifest":
		if len(os.Args) != 4 {
			usage()
		}
		err = writeManifest(os.Args[2], os.Args[3])
	case "compare":
		fs := flag.NewFlagSet("compare", flag.ExitOnError)
		minIoU := fs.Float64("iou", 0.9, "least IoU of a CPU box and its GPU box")
		maxScore := fs.Float64("score", 0.02, "largest score difference")
		fs.Parse(os.Args[2:])
		if fs.NArg() != 2 {
			usage()
		}
		var ok bool
		ok, err = compareFiles(os.Stdout, fs.Arg(0), fs.Arg(1), tolerance{*minIoU, *maxScore})
		if err == nil && !ok {
			os.Exit(1)
		}
	case "stages":
		if len(os.Args) < 3 {
			usage()
		}
		err = writeStages(os.Stdout, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gpucheck:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gpucheck manifest DATA OUT.csv | gpucheck compare [-iou 0.9] [-score 0.02] CPU.jsonl GPU.jsonl | gpucheck stages LABEL=summary.json...")
	os.Exit(2)
}

// people are the photos of photos/ that show people, with their names.
var people = []struct{ file, name string }{
	{"eileen-collins.png", "Eileen Collins"},
	{"cameraman.png", "Unknown Person"},
	{"portrait-outdoor.jpg", "Unknown Person"},
	{"two-people-night.jpg", "Unknown Person"},
	{"crowd-selfie.jpg", "Unknown Person"},
}

// writeManifest writes the build manifest of the shared photos under data.
func writeManifest(data, out string) error {
	rows := [][]string{{"path", "name", "aliases"}}
	congress, err := readCSV(filepath.Join(data, "faces", "congress", "labels.csv"))
	if err != nil {
		return err
	}
	for _, r := range congress {
		alias := ""
		if r["name"] != r["common_name"] {
			alias = r["name"]
		}
		rows = append(rows, []string{"faces/congress/" + r["file"], r["common_name"], alias})
	}
	examples, err := readCSV(filepath.Join(data, "faces", "face_recognition_examples", "labels.csv"))
	if err != nil {
		return err
	}
	for _, r := range examples {
		if n := r["names"]; !strings.ContainsAny(n, ";(") && !strings.HasPrefix(n, "two people") {
			rows = append(rows, []string{"faces/face_recognition_examples/" + r["file"], n, ""})
		}
	}
	for _, p := range people {
		rows = append(rows, []string{"photos/" + p.file, p.name, ""})
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// readCSV reads a CSV file with a header into one map per row.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, k := range recs[0] {
			if i < len(r) {
				m[k] = r[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// box is a detection as phantom detect prints it.
type box struct {
	X1, Y1, X2, Y2, Score float64
}

// photo is one line of phantom detect.
type photo struct {
	File   string `json:"file"`
	Error  string `json:"error"`
	Faces  []box  `json:"faces"`
	People []box  `json:"people"`
}

type tolerance struct{ iou, score float64 }

// readDetect reads phantom detect's JSON lines, by file.
func readDetect(path string) (map[string]photo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[string]photo)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var p photo
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out[p.File] = p
	}
	return out, sc.Err()
}

func iou(a, b box) float64 {
	iw := math.Min(a.X2, b.X2) - math.Max(a.X1, b.X1)
	ih := math.Min(a.Y2, b.Y2) - math.Max(a.Y1, b.Y1)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	in := iw * ih
	union := (a.X2-a.X1)*(a.Y2-a.Y1) + (b.X2-b.X1)*(b.Y2-b.Y1) - in
	if union <= 0 {
		return 0
	}
	return in / union
}

// stats is what matching one kind of box in one photo found.
type stats struct {
	pairs    int
	minIoU   float64
	maxScore float64
	problems []string
}

// match pairs each cpu box with the unused gpu box that overlaps it most
// (cpu boxes taken by score, highest first) and checks each pair.
func match(kind string, cpu, gpu []box, tol tolerance) stats {
	st := stats{minIoU: 1}
	if len(cpu) != len(gpu) {
		st.problems = append(st.problems, fmt.Sprintf("%d %s on the CPU, %d on the GPU", len(cpu), kind, len(gpu)))
	}
	order := make([]int, len(cpu))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cpu[order[a]].Score > cpu[order[b]].Score })
	used := make([]bool, len(gpu))
	for _, i := range order {
		best, bestIoU := -1, 0.0
		for j, g := range gpu {
			if v := iou(cpu[i], g); !used[j] && v > bestIoU {
				best, bestIoU = j, v
			}
		}
		if best < 0 {
			st.minIoU = 0
			st.problems = append(st.problems, fmt.Sprintf("%s %d (score %.3f) has no GPU box", kind, i, cpu[i].Score))
			continue
		}
		used[best] = true
		st.pairs++
		d := math.Abs(cpu[i].Score - gpu[best].Score)
		st.minIoU = math.Min(st.minIoU, bestIoU)
		st.maxScore = math.Max(st.maxScore, d)
		if bestIoU < tol.iou || d > tol.score {
			st.problems = append(st.problems, fmt.Sprintf("%s %d: IoU %.3f, score %.3f vs %.3f", kind, i, bestIoU, cpu[i].Score, gpu[best].Score))
		}
	}
	return st
}

// compareFiles compares two phantom detect outputs and reports to w; ok is
// whether they agree within tol.
func compareFiles(w io.Writer, cpuPath, gpuPath string, tol tolerance) (bool, error) {
	cpu, err := readDetect(cpuPath)
	if err != nil {
		return false, err
	}
	gpu, err := readDetect(gpuPath)
	if err != nil {
		return false, err
	}
	files := make([]string, 0, len(cpu))
	for f := range cpu {
		files = append(files, f)
	}
	for f := range gpu {
		if _, ok := cpu[f]; !ok {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	ok := true
	var faces, persons int
	minIoU, maxScore := 1.0, 0.0
	for _, f := range files {
		c, inC := cpu[f]
		g, inG := gpu[f]
		var problems []string
		switch {
		case !inC || !inG:
			problems = []string{fmt.Sprintf("only in the %s run", map[bool]string{true: "CPU", false: "GPU"}[inC])}
		case c.Error != "" || g.Error != "":
			problems = []string{fmt.Sprintf("error: CPU %q, GPU %q", c.Error, g.Error)}
		default:
			fs := match("faces", c.Faces, g.Faces, tol)
			ps := match("people", c.People, g.People, tol)
			faces += fs.pairs
			persons += ps.pairs
			if fs.pairs > 0 {
				minIoU = math.Min(minIoU, fs.minIoU)
			}
			if ps.pairs > 0 {
				minIoU = math.Min(minIoU, ps.minIoU)
			}
			maxScore = math.Max(maxScore, math.Max(fs.maxScore, ps.maxScore))
			problems = append(fs.problems, ps.problems...)
		}
		status := "same"
		if len(problems) > 0 {
			ok, status = false, "DIFFERENT: "+strings.Join(problems, "; ")
		}
		fmt.Fprintf(w, "%s\t%d faces\t%d people\t%s\n", filepath.Base(f), len(c.Faces), len(c.People), status)
	}
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d photos, %d faces and %d people paired; least IoU %.4f, largest score difference %.4f (tolerance IoU >= %.2f, score within %.2f)\n",
		verdict, len(files), faces, persons, minIoU, maxScore, tol.iou, tol.score)
	return ok, nil
}

// buildSummary is the part of phantom build's summary.json that stages reads.
type buildSummary struct {
	Photos int `json:"photos"`
	Stages map[string]struct {
		Photos int     `json:"photos"`
		TotalS float64 `json:"total_s"`
		MeanMS float64 `json:"mean_ms"`
	} `json:"stages"`
	Run struct {
		Workers int     `json:"workers"`
		WallS   float64 `json:"wall_s"`
		CPUS    float64 `json:"cpu_s"`
	} `json:"run"`
}

// stageOrder is the order of a photo's stages in the builder.
var stageOrder = []string{"decode", "ocr", "detect", "render", "encode", "write"}

// writeStages writes the stage table of the builds given as LABEL=PATH.
func writeStages(w io.Writer, args []string) error {
	labels := make([]string, len(args))
	sums := make([]buildSummary, len(args))
	for i, a := range args {
		label, path, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("%q: want LABEL=summary.json", a)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &sums[i]); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if sums[i].Run.WallS <= 0 {
			return fmt.Errorf("%s: no run wall time", path)
		}
		labels[i] = label
	}
	fmt.Fprintf(w, "| stage (s summed over photos; ms per photo) | %s |\n", strings.Join(labels, " | "))
	fmt.Fprintf(w, "| --- |%s\n", strings.Repeat(" ---: |", len(labels)))
	for _, st := range stageOrder {
		row := []string{st}
		for _, s := range sums {
			v, ok := s.Stages[st]
			if !ok {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%.2f s (%.1f ms)", v.TotalS, v.MeanMS))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	row := []string{"**wall** (workers; CPU s)"}
	for _, s := range sums {
		row = append(row, fmt.Sprintf("**%.2f s** (%d; %.1f)", s.Run.WallS, s.Run.Workers, s.Run.CPUS))
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	if len(sums) > 1 {
		row = []string{"wall against the first"}
		for _, s := range sums {
			row = append(row, fmt.Sprintf("%.2f×", sums[0].Run.WallS/s.Run.WallS))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	return nil
}
