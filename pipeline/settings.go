package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// Settings is OUT/build.json: every setting that changes the variants'
// pixels or the set of photos built. A run into an OUT whose build.json
// holds other Settings is refused with ErrSettingsChanged, naming each
// setting that differs: resuming would mix two datasets in one
// metadata.jsonl.
//
// To add a setting:
//  1. add a field here with a json tag (the tag is its name in build.json
//     and in the error) and omitempty, and a doc comment;
//  2. set it in Builder.settings, from an Option or from what New resolved;
//  3. make its zero value mean what builds made before the field existed
//     did, since a field missing from an older build.json reads as its
//     zero value (an older OUT then resumes only when this run has the
//     zero value too); a tag unset:"..." names that older behaviour in the
//     error (Codec's: unset:"image/jpeg").
//
// Nothing else needs to change: the check compares every field by its JSON
// encoding and the error names it by its tag.
type Settings struct {
	// Conditions are the conditions rendered, in order.
	Conditions []Condition `json:"conditions"`
	// Format is the variants' file format, "jpg" or "png".
	Format string `json:"format"`
	// Seed is the seed of the landscape draw and of the OpenCV mask default.
	Seed int64 `json:"seed"`
	// Grid is the pixelation grid of the blur conditions.
	Grid int `json:"grid"`
	// Codec is the JPEG library and version (imageio.JPEGCodec) that
	// decodes JPEG inputs and, for format jpg, encodes the variants: another
	// version may give other bytes, so a resume never mixes two. Builds
	// before it was recorded used Go's image/jpeg.
	Codec string `json:"codec" unset:"image/jpeg"`
	// Detectors names the detector of each stage ("face", "person",
	// "segmenter"), as Scene.Detectors does; ModelFiles is the hex SHA-256
	// of each file the detectors read (model files, vocabularies, the Haar
	// cascade), by file name. Both come from WithDetectorSettings.
	Detectors  map[string]string `json:"detectors,omitempty"`
	ModelFiles map[string]string `json:"model_files,omitempty"`
	// OCR is the OCR filter's settings (ocrfilter.Filter.Settings), "off"
	// without a filter, "custom" for a Filter that does not describe
	// itself.
	OCR string `json:"ocr,omitempty"`
	// Backgrounds is the landscape set's fingerprint
	// (background.Set.Fingerprint): each file's name and pixels' hash.
	Backgrounds []string `json:"backgrounds,omitempty"`
}

// diff returns one line per setting that differs between s and o, named
// sName and oName: "name: value in sName, value in oName".
func (s Settings) diff(o Settings, sName, oName string) []string {
	var out []string
	sv, ov := reflect.ValueOf(s), reflect.ValueOf(o)
	for i := range sv.NumField() {
		f := sv.Type().Field(i)
		a, _ := json.Marshal(sv.Field(i).Interface())
		b, _ := json.Marshal(ov.Field(i).Interface())
		if string(a) == string(b) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		unset := f.Tag.Get("unset")
		out = append(out, fmt.Sprintf("%s: %s in %s, %s in %s", name, showSetting(a, unset), sName, showSetting(b, unset), oName))
	}
	return out
}

// showSetting prints one setting's JSON for an error message; unset is
// what a zero value meant (the field's unset tag).
func showSetting(js []byte, unset string) string {
	switch string(js) {
	case "null", `""`, "0", "[]", "{}":
		if unset != "" {
			return unset + " (not recorded)"
		}
		return "(not recorded)"
	}
	return string(js)
}

// settingsFile is build.json's name in OUT.
const settingsFile = "build.json"

// ReadSettings reads OUT/build.json; ok is false when there is none.
func ReadSettings(out string) (s Settings, ok bool, err error) {
	path := filepath.Join(out, settingsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, false, fmt.Errorf("%s: %w", path, err)
	}
	return s, true, nil
}

// writeSettings writes s as OUT/build.json, or checks it against the
// build.json already there.
func writeSettings(out string, s Settings) error {
	old, ok, err := ReadSettings(out)
	if err != nil {
		return err
	}
	if ok {
		if d := old.diff(s, out, "this run"); len(d) > 0 {
			return fmt.Errorf("%w (%s); resuming would mix two datasets:\n  %s\nbuild into a new folder (another -o), or delete %s to start it over",
				ErrSettingsChanged, out, strings.Join(d, "\n  "), out)
		}
		return nil
	}
	data, _ := json.MarshalIndent(s, "", "  ")
	return imageio.WriteFileAtomic(filepath.Join(out, settingsFile), append(data, '\n'))
}

// describeFilter is Settings.OCR of a filter.
func describeFilter(f Filter) string {
	switch d := f.(type) {
	case nil:
		return "off"
	case interface{ Settings() string }:
		return d.Settings()
	}
	return "custom"
}
