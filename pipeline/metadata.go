package pipeline

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
	// Condition is one of the six study conditions.
	Condition string `json:"condition"`
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
}
