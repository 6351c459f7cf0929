package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/phantom-vlm/phantom/internal/atomicfile"
)

// The audit's files, written by WriteAudit into a build's folder.
const (
	AuditJSON = "audit.json"
	AuditCSV  = "audit.csv"
)

// WriteAudit writes rep into dir as audit.json (the whole report, every
// residual face included) and audit.csv (one row per condition and face
// size: "all", then each FaceSizes band), each file atomically.
func WriteAudit(dir string, rep *AuditReport) error {
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("pipeline: audit: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, AuditJSON), append(js, '\n')); err != nil {
		return fmt.Errorf("pipeline: audit: %w", err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"condition", "method", "grid", "cell", "sigma", "scale", "face_size", "variants", "original_faces", "residuals", "rate", "detector", "faces_from"})
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	from := strings.Join(rep.FacesFrom, "|")
	for _, c := range rep.Conditions {
		row := func(size string, faces, residuals int, r float64) {
			w.Write([]string{c.Condition, c.Method, strconv.Itoa(c.Grid), strconv.Itoa(c.Cell), num(c.Sigma), num(c.Scale), size,
				strconv.Itoa(c.Variants), strconv.Itoa(faces), strconv.Itoa(residuals), strconv.FormatFloat(r, 'f', 4, 64), rep.Detector, from})
		}
		row("all", c.OriginalFaces, c.Residuals, c.Rate)
		for _, s := range c.BySize {
			row(s.Size, s.OriginalFaces, s.Residuals, s.Rate)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("pipeline: audit: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, AuditCSV), b.Bytes()); err != nil {
		return fmt.Errorf("pipeline: audit: %w", err)
	}
	return nil
}
