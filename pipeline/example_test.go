package pipeline_test

import (
	"fmt"
	"strings"

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
