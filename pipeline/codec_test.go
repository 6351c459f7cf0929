package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// TestResumeRefusesAnotherCodec: build.json records the JPEG codec, and a
// resume with another one (here: a build made before the codec was
// recorded, with image/jpeg) is refused, naming both.
func TestResumeRefusesAnotherCodec(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFixtures(t, in, 2)
	recs, err := FolderRecords(in)
	must(t, err)
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original, Blur), WithContactSheet(0))
	must(t, err)
	if _, err := b.Run(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	s, ok, err := ReadSettings(out)
	must(t, err)
	if !ok || s.Codec != imageio.JPEGCodec() || !strings.HasPrefix(s.Codec, "libjpeg-turbo ") {
		t.Fatalf("build.json codec %q, want %q", s.Codec, imageio.JPEGCodec())
	}
	s.Codec = ""
	data, _ := json.Marshal(s)
	must(t, os.WriteFile(filepath.Join(out, "build.json"), data, 0o644))
	b2, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original, Blur), WithContactSheet(0))
	must(t, err)
	_, err = b2.Run(context.Background(), recs)
	if !errors.Is(err, ErrSettingsChanged) || !strings.Contains(err.Error(), "codec: image/jpeg (not recorded) in ") || !strings.Contains(err.Error(), `"`+imageio.JPEGCodec()+`" in this run`) {
		t.Errorf("err = %v, want ErrSettingsChanged naming both codecs", err)
	}
}
