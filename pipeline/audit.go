package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/workers"
	"github.com/phantom-vlm/phantom/scene"
)

// DefaultResidualIoU is the IoU at or above which a face found on an
// anonymized variant counts as a face of the original that survived.
const DefaultResidualIoU = 0.3

// Auditor re-runs a face detector on the anonymized variants of a build to
// find faces that the anonymization left detectable. Make one with
// NewAuditor.
type Auditor struct {
	detector scene.FaceDetector
	workers  int
	iou      float64
}

// AuditOption configures an Auditor.
type AuditOption func(*Auditor)

// WithAuditWorkers sets how many variants are checked at once (default 1).
func WithAuditWorkers(n int) AuditOption { return func(a *Auditor) { a.workers = n } }

// WithResidualIoU sets the IoU with an original face at which a detection
// is a residual (default DefaultResidualIoU).
func WithResidualIoU(iou float64) AuditOption { return func(a *Auditor) { a.iou = iou } }

// NewAuditor returns an Auditor that checks with fd, shared by its workers
// (so it must be safe for concurrent use, as phantom's detectors are); the
// Auditor does not close it. A detector of another family than the one that
// found the faces (see detect.OtherFaceFamilies and BuildFaceDetectors)
// does not check its own work.
func NewAuditor(fd scene.FaceDetector, opts ...AuditOption) *Auditor {
	a := &Auditor{detector: fd, workers: 1, iou: DefaultResidualIoU}
	for _, o := range opts {
		o(a)
	}
	return a
}

// FaceSize is a band of face heights, in pixels of the original photo.
type FaceSize struct {
	// Name is the band's label: "<48", "48-96", "96-192" or ">=192".
	Name string
	// Min and Max bound the height: Min <= h < Max (Max 0: no bound).
	Min, Max float64
}

// FaceSizes are the audit's bands of face height: under 48 pixels (where a
// 10×10 grid leaves cells of under 5 pixels), 48–96, 96–192, and 192 or
// more.
var FaceSizes = []FaceSize{{"<48", 0, 48}, {"48-96", 48, 96}, {"96-192", 96, 192}, {">=192", 192, 0}}

// faceSize returns the index in FaceSizes of a face of height h.
func faceSize(h float64) int {
	for i, s := range FaceSizes {
		if h >= s.Min && (s.Max == 0 || h < s.Max) {
			return i
		}
	}
	return 0
}

// AuditReport is the result of an audit.
type AuditReport struct {
	// Detector names the face detector used.
	Detector string `json:"detector"`
	// FacesFrom names the face detectors that found the original faces (the
	// build's face_detector column).
	FacesFrom []string `json:"faces_from"`
	// SameFamily is true when Detector is of the family of a detector in
	// FacesFrom: the audit then checks a model's own work.
	SameFamily bool    `json:"same_family"`
	IoU        float64 `json:"iou"`
	// Conditions has one line per anonymized condition found, in the
	// build's order.
	Conditions []ConditionAudit `json:"conditions"`
	// Residuals lists every face still detected.
	Residuals []Residual `json:"residuals"`
	// Failed lists the variants that could not be checked.
	Failed []FailedRow `json:"failed,omitempty"`
}

// ConditionAudit sums up one condition.
type ConditionAudit struct {
	Condition string `json:"condition"`
	// Method, Grid, Cell, Sigma and Scale are the condition's anonymization,
	// as in metadata.jsonl.
	Method string  `json:"method"`
	Grid   int     `json:"grid"`
	Cell   int     `json:"cell"`
	Sigma  float64 `json:"sigma"`
	Scale  float64 `json:"scale"`
	// Variants checked, and the faces their originals had (from the scene).
	Variants      int `json:"variants"`
	OriginalFaces int `json:"original_faces"`
	// Residuals is the number of original faces still detected;
	// VariantsWithResidual the variants with at least one.
	Residuals            int `json:"residuals"`
	VariantsWithResidual int `json:"variants_with_residual"`
	// Rate is Residuals / OriginalFaces (0 when there were no faces).
	Rate float64 `json:"rate"`
	// BySize splits OriginalFaces, Residuals and Rate by the original
	// face's height, one entry per FaceSizes band.
	BySize []SizeAudit `json:"by_size"`
}

// SizeAudit is one band of face heights of a condition.
type SizeAudit struct {
	Size          string  `json:"size"`
	OriginalFaces int     `json:"original_faces"`
	Residuals     int     `json:"residuals"`
	Rate          float64 `json:"rate"`
}

// Residual is one face of the original still detected on an anonymized
// variant.
type Residual struct {
	FileName  string    `json:"file_name"`
	ID        string    `json:"id"`
	Condition string    `json:"condition"`
	Found     scene.Box `json:"found"`
	Original  scene.Box `json:"original"`
	IoU       float64   `json:"iou"`
	// Size is the FaceSizes band of the original face's height.
	Size string `json:"size"`
}

type auditOutcome struct {
	row       Row
	faces     []scene.Box
	residuals []Residual
	err       error
}

// BuildFaceDetectors returns the names of the face detectors that found
// the faces of the build in out (its face_detector column), in the order
// first seen, leaving out stages that did not run.
func BuildFaceDetectors(out string) ([]string, error) {
	rows, err := readMetadata(filepath.Join(out, "metadata.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return faceDetectors(rows), nil
}

func faceDetectors(rows []Row) []string {
	names := []string{}
	for _, r := range rows {
		if r.FaceDetector != "" && r.FaceDetector != NotRun && !slices.Contains(names, r.FaceDetector) {
			names = append(names, r.FaceDetector)
		}
	}
	return names
}

// Run audits the build in out: every row of out/metadata.jsonl whose
// condition hides the faces (blur, the +blur conditions and every
// parametrised one). A variant that cannot be read is listed in the
// report's Failed and the audit goes on.
func (a *Auditor) Run(ctx context.Context, out string) (*AuditReport, error) {
	if a.detector == nil {
		return nil, errors.New("pipeline: audit: no face detector")
	}
	iou := a.iou
	if iou <= 0 {
		iou = DefaultResidualIoU
	}
	nw := max(a.workers, 1)
	rows, err := readMetadata(filepath.Join(out, "metadata.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("pipeline: audit: %w", err)
	}
	todo, order := anonymizedRows(rows)
	rep := &AuditReport{IoU: iou, Detector: a.detector.Name(), FacesFrom: faceDetectors(rows)}
	for _, f := range rep.FacesFrom {
		if fam := scene.FaceFamily(f); fam != "" && fam == scene.FaceFamily(rep.Detector) {
			rep.SameFamily = true
		}
	}
	results := make([]auditOutcome, len(todo))
	workers.Each(ctx, len(todo), nw, func(i int) {
		results[i] = auditOne(ctx, out, a.detector, todo[i], iou)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.tally(results, order)
	sort.SliceStable(rep.Residuals, func(i, j int) bool { return rep.Residuals[i].FileName < rep.Residuals[j].FileName })
	if rep.Residuals == nil {
		rep.Residuals = []Residual{}
	}
	return rep, nil
}

// anonymizedRows returns the rows of the variants that hide faces (the
// parametrised ones included) and their conditions in order of first row.
func anonymizedRows(rows []Row) (todo []Row, order []string) {
	for _, r := range rows {
		if r.Method != "" || Condition(r.Condition).Anonymized() {
			todo = append(todo, r)
			if !slices.Contains(order, r.Condition) {
				order = append(order, r.Condition)
			}
		}
	}
	return todo, order
}

// tally adds the outcomes to the report: the failures, and per condition
// (in order) the variants, faces and residuals, overall and by face size.
func (rep *AuditReport) tally(results []auditOutcome, order []string) {
	per := map[string]*ConditionAudit{}
	for _, res := range results {
		if res.err != nil {
			rep.Failed = append(rep.Failed, FailedRow{ID: res.row.ID, Source: res.row.FileName, Name: res.row.Name, Stage: "audit", Error: res.err.Error()})
			continue
		}
		ca := per[res.row.Condition]
		if ca == nil {
			r := res.row
			ca = &ConditionAudit{Condition: r.Condition, Method: r.Method, Grid: r.Grid, Cell: r.Cell, Sigma: float64(r.Sigma), Scale: float64(r.Scale)}
			for _, s := range FaceSizes {
				ca.BySize = append(ca.BySize, SizeAudit{Size: s.Name})
			}
			per[res.row.Condition] = ca
		}
		ca.Variants++
		ca.OriginalFaces += len(res.faces)
		for _, f := range res.faces {
			ca.BySize[faceSize(f.Y2-f.Y1)].OriginalFaces++
		}
		ca.Residuals += len(res.residuals)
		for _, r := range res.residuals {
			ca.BySize[faceSize(r.Original.Y2-r.Original.Y1)].Residuals++
		}
		if len(res.residuals) > 0 {
			ca.VariantsWithResidual++
		}
		rep.Residuals = append(rep.Residuals, res.residuals...)
	}
	for _, c := range order {
		if ca := per[c]; ca != nil {
			ca.Rate = rate(ca.Residuals, ca.OriginalFaces)
			for i := range ca.BySize {
				ca.BySize[i].Rate = rate(ca.BySize[i].Residuals, ca.BySize[i].OriginalFaces)
			}
			rep.Conditions = append(rep.Conditions, *ca)
		}
	}
}

func rate(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

func auditOne(ctx context.Context, out string, fd scene.FaceDetector, r Row, iou float64) auditOutcome {
	res := auditOutcome{row: r}
	scenePath := filepath.Join(out, "scenes", r.ID+".json")
	data, err := os.ReadFile(scenePath)
	if err != nil {
		res.err = fmt.Errorf("scene of %s: %w", r.FileName, err)
		return res
	}
	var sc scene.Scene
	if err := json.Unmarshal(data, &sc); err != nil {
		res.err = fmt.Errorf("scene %s: %w", scenePath, err)
		return res
	}
	res.faces = sc.FaceBoxes()
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
	res.residuals = MatchResiduals(res.faces, found, iou)
	for i := range res.residuals {
		rs := &res.residuals[i]
		rs.FileName, rs.ID, rs.Condition = r.FileName, r.ID, r.Condition
		rs.Size = FaceSizes[faceSize(rs.Original.Y2-rs.Original.Y1)].Name
	}
	return res
}

// MatchResiduals pairs faces found on a pixelated variant with the
// original's face boxes: each original face is matched at most once, to the
// found face of highest IoU, when that IoU is at least minIoU. Every match is
// a residual.
func MatchResiduals(original []scene.Box, found []scene.Face, minIoU float64) []Residual {
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
