package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/imageio"
	"github.com/phantom-vlm/phantom/pipeline"
)

func ExampleParseConditions() {
	conds, err := pipeline.ParseConditions("white+blur,original,blur")
	if err != nil {
		panic(err)
	}
	for _, c := range conds {
		fmt.Println(c, c.Pixelated(), c.NeedsBackgrounds())
	}
	// Output:
	// original false false
	// blur true false
	// white+blur true false
}

// The ID is sha256(sha256(content) + "\x00" + path), first 16 hex digits;
// these values were checked with Python's hashlib.
func ExamplePhotoID() {
	fmt.Println(pipeline.PhotoID([]byte("the photo's bytes"), "Eileen Collins/001.png"))
	fmt.Println(pipeline.PhotoID([]byte("the photo's bytes"), "Eileen Collins/002.png"))
	// Output:
	// 0e15b9fccc8f7cf6
	// b3c0bb9b7f2fac19
}

func ExampleParseManifest() {
	csv := "path,name,aliases\n" +
		"sanders/1.jpg,Bernie Sanders,Bernard Sanders|Senator Sanders\n" +
		",Nobody,\n"
	rows, err := pipeline.ParseManifest(strings.NewReader(csv), pipeline.CSV)
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Printf("line %d: %q %q %q err=%v\n", r.Line, r.Path, r.Name, r.Aliases, r.Err)
	}
	// Output:
	// line 2: "sanders/1.jpg" "Bernie Sanders" ["Bernard Sanders" "Senator Sanders"] err=<nil>
	// line 3: "" "Nobody" [] err=pipeline: bad manifest row: line 3: no path
}

func ExampleShard() {
	s, err := pipeline.ParseShard("1/4")
	if err != nil {
		panic(err)
	}
	fmt.Println(s, s.HasID("0000000000000001"), s.HasID("0000000000000002"))
	// Output:
	// 1/4 true false
}

// The whole builder on one generated photo, with the no-weights OpenCV
// detectors: the original and the pixelated variant, their metadata rows and
// the scene they came from.
func ExampleBuilder_Run() {
	dir, err := os.MkdirTemp("", "phantom-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// photos/<Person Name>/<file>: one person, one photo.
	photo := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 7)
	}
	if err := os.MkdirAll(filepath.Join(dir, "photos", "Ada_Lovelace"), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := imageio.Save(filepath.Join(dir, "photos", "Ada_Lovelace", "1.png"), photo); err != nil {
		log.Fatal(err)
	}

	an, err := detect.NewAnalyzer(detect.NoModels, detect.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer an.Close()
	recs, err := pipeline.FolderRecords(filepath.Join(dir, "photos"))
	if err != nil {
		log.Fatal(err)
	}
	out := filepath.Join(dir, "dataset")
	b, err := pipeline.New(out,
		pipeline.WithAnalyzer(an),
		pipeline.WithConditions(pipeline.Original, pipeline.Blur),
		pipeline.WithFormat("png"),
		pipeline.WithContactSheet(0),
	)
	if err != nil {
		log.Fatal(err)
	}
	sum, err := b.Run(context.Background(), recs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("built %d, failed %d, variants %v\n", sum.Built, sum.Failed, sum.Variants)
	meta, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(meta)), "\n") {
		var row pipeline.Row
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %q %s %d×%d, %d faces, %d people, by %s\n", row.FileName, row.Name, row.Condition, row.Width, row.Height, row.Faces, row.People, row.FaceDetector)
	}
	// Output:
	// built 1, failed 0, variants map[blur:1 original:1]
	// original/4ef0715b5aa157fa.png "Ada Lovelace" original 160×120, 0 faces, 0 people, by opencv-haar
	// blur/4ef0715b5aa157fa.png "Ada Lovelace" blur 160×120, 0 faces, 0 people, by opencv-haar
}
