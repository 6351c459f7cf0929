package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/imageio"
)

// DefaultResidualIoU is the IoU at or above which a face found on a
// pixelated variant counts as a face of the original that survived.
const DefaultResidualIoU = 0.3

// Auditor re-runs a face detector on the pixelated variants of a build to
// find faces that the pixelation left detectable.
type Auditor struct {
	// Detector is the face detector, shared by the workers (so it must be
	// safe for concurrent use, as phantom's detectors are). Run does not
	// close it. Required.
	Detector detect.FaceDetector
	// Workers is how many variants are checked at once (default 1).
	Workers int
	// IoU is the residual threshold (default DefaultResidualIoU).
	IoU float64
}

// AuditReport is the result of an audit.
type AuditReport struct {
	// Detector names the face detector used.
	Detector string  `json:"detector"`
	IoU      float64 `json:"iou"`
	// Conditions has one line per pixelated condition found, in the study's order.
	Conditions []ConditionAudit `json:"conditions"`
	// Residuals lists every face still detected.
	Residuals []Residual `json:"residuals"`
	// Failed lists the variants that could not be checked.
	Failed []FailedRow `json:"failed,omitempty"`
}

// ConditionAudit sums up one condition.
type ConditionAudit struct {
	Condition string `json:"condition"`
	// Variants checked, and the faces their originals had (from the scene).
	Variants      int `json:"variants"`
	OriginalFaces int `json:"original_faces"`
	// Residuals is the number of original faces still detected;
	// VariantsWithResidual the variants with at least one.
	Residuals            int `json:"residuals"`
	VariantsWithResidual int `json:"variants_with_residual"`
	// Rate is Residuals / OriginalFaces (0 when there were no faces).
	Rate float64 `json:"rate"`
}

// Residual is one face of the original still detected on a pixelated variant.
type Residual struct {
	FileName  string     `json:"file_name"`
	ID        string     `json:"id"`
	Condition string     `json:"condition"`
	Found     detect.Box `json:"found"`
	Original  detect.Box `json:"original"`
	IoU       float64    `json:"iou"`
}

type auditOutcome struct {
	row       Row
	faces     int
	residuals []Residual
	err       error
}

// Run audits the build in out: every row of out/metadata.jsonl whose
// condition is pixelated (blur, landscape+blur, white+blur). A variant that
// cannot be read is listed in the report's Failed and the audit goes on.
func (a *Auditor) Run(ctx context.Context, out string) (*AuditReport, error) {
	if a.Detector == nil {
		return nil, errors.New("pipeline: audit: no face detector")
	}
	iou := a.IoU
	if iou <= 0 {
		iou = DefaultResidualIoU
	}
	workers := max(a.Workers, 1)
	rows, err := readMetadata(filepath.Join(out, "metadata.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("pipeline: audit: %w", err)
	}
	var todo []Row
	for _, r := range rows {
		if Condition(r.Condition).Pixelated() {
			todo = append(todo, r)
		}
	}
	rep := &AuditReport{IoU: iou, Detector: a.Detector.Name()}
	results := make([]auditOutcome, len(todo))
	idx := make(chan int)
	var wg sync.WaitGroup
	var detErr error
	var once sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				results[i] = auditOne(ctx, out, a.Detector, todo[i], iou)
				if ctx.Err() != nil {
					once.Do(func() { detErr = ctx.Err() })
				}
			}
		}()
	}
	for i := range todo {
		if ctx.Err() != nil {
			break
		}
		idx <- i
	}
	close(idx)
	wg.Wait()
	if detErr != nil {
		return nil, detErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	per := map[string]*ConditionAudit{}
	for _, res := range results {
		if res.err != nil {
			rep.Failed = append(rep.Failed, FailedRow{ID: res.row.ID, Source: res.row.FileName, Name: res.row.Name, Stage: "audit", Error: res.err.Error()})
			continue
		}
		ca := per[res.row.Condition]
		if ca == nil {
			ca = &ConditionAudit{Condition: res.row.Condition}
			per[res.row.Condition] = ca
		}
		ca.Variants++
		ca.OriginalFaces += res.faces
		ca.Residuals += len(res.residuals)
		if len(res.residuals) > 0 {
			ca.VariantsWithResidual++
		}
		rep.Residuals = append(rep.Residuals, res.residuals...)
	}
	for _, c := range AllConditions {
		if ca := per[string(c)]; ca != nil {
			if ca.OriginalFaces > 0 {
				ca.Rate = float64(ca.Residuals) / float64(ca.OriginalFaces)
			}
			rep.Conditions = append(rep.Conditions, *ca)
		}
	}
	sort.SliceStable(rep.Residuals, func(i, j int) bool { return rep.Residuals[i].FileName < rep.Residuals[j].FileName })
	if rep.Residuals == nil {
		rep.Residuals = []Residual{}
	}
	return rep, nil
}

func auditOne(ctx context.Context, out string, fd detect.FaceDetector, r Row, iou float64) auditOutcome {
	res := auditOutcome{row: r}
	scenePath := filepath.Join(out, "scenes", r.ID+".json")
	data, err := os.ReadFile(scenePath)
	if err != nil {
		res.err = fmt.Errorf("scene of %s: %w", r.FileName, err)
		return res
	}
	var sc detect.Scene
	if err := json.Unmarshal(data, &sc); err != nil {
		res.err = fmt.Errorf("scene %s: %w", scenePath, err)
		return res
	}
	res.faces = len(sc.Faces)
	img, err := imageio.Load(filepath.Join(out, filepath.FromSlash(r.FileName)))
	if err != nil {
		res.err = err
		return res
	}
	found, err := fd.DetectFaces(ctx, img)
	if err != nil {
		res.err = fmt.Errorf("%s: %w", r.FileName, err)
		return res
	}
	res.residuals = MatchResiduals(sc.FaceBoxes(), found, iou)
	for i := range res.residuals {
		res.residuals[i].FileName, res.residuals[i].ID, res.residuals[i].Condition = r.FileName, r.ID, r.Condition
	}
	return res
}

// MatchResiduals pairs faces found on a pixelated variant with the
// original's face boxes: each original face is matched at most once, to the
// found face of highest IoU, when that IoU is at least minIoU. Every match is
// a residual.
func MatchResiduals(original []detect.Box, found []detect.Face, minIoU float64) []Residual {
	type pair struct {
		o, f int
		iou  float64
	}
	var pairs []pair
	for oi, o := range original {
		for fi, f := range found {
			if v := o.IoU(f.Box); v >= minIoU {
				pairs = append(pairs, pair{oi, fi, v})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].iou > pairs[j].iou })
	usedO, usedF := map[int]bool{}, map[int]bool{}
	var out []Residual
	for _, p := range pairs {
		if usedO[p.o] || usedF[p.f] {
			continue
		}
		usedO[p.o], usedF[p.f] = true, true
		out = append(out, Residual{Found: found[p.f].Box, Original: original[p.o], IoU: p.iou})
	}
	return out
}

// readMetadata reads a metadata.jsonl file.
func readMetadata(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}
