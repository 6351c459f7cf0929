package pipeline

import (
	"slices"
	"strconv"
)

// NotRun is a Row's detector name for a detection stage that did not run.
// It is a string like the names, so that the column has one type.
const NotRun = "not run"

// Row is one line of OUT/metadata.jsonl: one condition variant of one photo.
// The file is the Hugging Face "imagefolder" metadata file, so FileName is
// relative to OUT. Every row has every key (empty values included), so that
// the columns' types are the same in every row.
type Row struct {
	// FileName is the variant's path relative to OUT ("blur/3f2a….jpg").
	FileName string `json:"file_name"`
	// ID is the photo's stable ID (content hash plus source path).
	ID string `json:"id"`
	// Name is the person's name; Aliases are other names they go by.
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	// Source is the photo's path as the source gave it.
	Source string `json:"source"`
	// Condition is the condition's canonical spelling: one of the study's
	// six, or a parametrised one such as "white+pixelate:grid=4".
	Condition string `json:"condition"`
	// Method, Grid, Cell, Sigma and Scale are the condition's face
	// anonymization (see Anonymization): "pixelate", "gaussian", "fill",
	// or "" with zeros for a condition that hides no face. Sigma and
	// Scale are always written with a decimal point, so that every row
	// gives them the same type.
	Method string `json:"method"`
	Grid   int    `json:"grid"`
	Cell   int    `json:"cell"`
	Sigma  Real   `json:"sigma"`
	Scale  Real   `json:"scale"`
	// Faces and People count what detection found (0 is recorded, never dropped).
	Faces  int `json:"faces"`
	People int `json:"people"`
	// FaceDetector, PersonDetector and Segmenter name the detectors and
	// models used, or are NotRun for a stage that did not run on the photo
	// (no condition of the build needs it, or, for the segmenter, no person
	// was found).
	FaceDetector   string `json:"face_detector"`
	PersonDetector string `json:"person_detector"`
	Segmenter      string `json:"segmenter"`
	// Seed is the run's seed; Background is the file name of the landscape
	// used ("" for conditions without one, "white" for white).
	Seed       int64  `json:"seed"`
	Background string `json:"background"`
	// Width and Height are the variant's size in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
	// SHA256 is the hex SHA-256 of the variant file: phantom query keys
	// its answers by it, so answers about one build are never reused for
	// another build's pixels.
	SHA256 string `json:"sha256"`
	// OCR is the OCR filter's settings the photo passed (Settings.OCR:
	// "off" when the build ran without it).
	OCR string `json:"ocr"`
}

// Real is a float64 that JSON always writes with a fraction or an
// exponent ("1.0", not "1"), so that a reader inferring types per value
// (pyarrow's, the Hugging Face loader's) sees a float in every row.
type Real float64

// MarshalJSON writes r as a JSON number with a decimal point.
func (r Real) MarshalJSON() ([]byte, error) {
	b := strconv.AppendFloat(nil, float64(r), 'g', -1, 64)
	if !slices.ContainsFunc(b, func(c byte) bool { return c == '.' || c == 'e' || c == 'n' || c == 'I' }) {
		b = append(b, '.', '0')
	}
	return b, nil
}

// setAnonymization fills the row's anonymization columns for c; grid is
// the build's grid of the paper's blur conditions.
func (r *Row) setAnonymization(c Condition, grid int) {
	a := c.spec().Anon
	if c.Paper() && a.Method != "" {
		a.Grid = grid
	}
	r.Method, r.Grid, r.Cell, r.Sigma, r.Scale = a.Method, a.Grid, a.Cell, Real(a.Sigma), Real(a.Scale)
}

// conditionIndex is c's place in conds, or len(conds) when absent.
func conditionIndex(conds []Condition, c Condition) int {
	if i := slices.Index(conds, c); i >= 0 {
		return i
	}
	return len(conds)
}
