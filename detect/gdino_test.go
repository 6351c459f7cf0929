package detect

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/ort"
	"github.com/phantom-vlm/phantom/internal/wordpiece"
)

// onnxOrSkip skips a test when no ONNX Runtime library can be found.
func onnxOrSkip(t testing.TB) {
	t.Helper()
	if err := ort.Init(""); err != nil {
		if errors.Is(err, ort.ErrLibraryNotFound) {
			t.Skipf("ONNX Runtime not installed: %v", err)
		}
		t.Fatal(err)
	}
}

func gdinoVocab(t testing.TB) *wordpiece.Tokenizer {
	t.Helper()
	tok, err := wordpiece.Load("testdata/gdino_vocab.txt")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestGDINOText(t *testing.T) {
	tok := gdinoVocab(t)
	tests := []struct {
		prompt  string
		ids     []int64
		pos     []int64
		blocks  [][]int // the mask's diagonal blocks
		phrases []string
	}{
		{"person", []int64{101, 2711, 1012, 102}, []int64{0, 0, 1, 0},
			[][]int{{0}, {1, 2}, {3}}, []string{"person"}},
		{" Person. ", []int64{101, 2711, 1012, 102}, []int64{0, 0, 1, 0},
			[][]int{{0}, {1, 2}, {3}}, []string{"person"}},
		{"person . dog", []int64{101, 2711, 1012, 3899, 1012, 102}, []int64{0, 0, 1, 0, 1, 0},
			[][]int{{0}, {1, 2}, {3, 4}, {5}}, []string{"person", "dog"}},
		{"the person . a huggingface dog .", []int64{101, 1996, 2711, 1012, 1037, 17662, 12172, 3899, 1012, 102},
			[]int64{0, 0, 1, 2, 0, 1, 2, 3, 4, 0},
			[][]int{{0}, {1, 2, 3}, {4, 5, 6, 7, 8}, {9}}, []string{"the person", "a huggingface dog"}},
		{"dog ? person", []int64{101, 3899, 1029, 2711, 1012, 102}, []int64{0, 0, 1, 0, 1, 0},
			[][]int{{0}, {1, 2}, {3, 4}, {5}}, []string{"dog", "person"}},
	}
	for _, tt := range tests {
		got, err := buildGDINOText(tok, tt.prompt)
		if err != nil {
			t.Fatalf("%q: %v", tt.prompt, err)
		}
		if !slices.Equal(got.ids, tt.ids) || !slices.Equal(got.posIDs, tt.pos) {
			t.Errorf("%q: ids %v pos %v; want %v %v", tt.prompt, got.ids, got.posIDs, tt.ids, tt.pos)
		}
		n := len(tt.ids)
		want := make([]bool, n*n)
		for _, b := range tt.blocks {
			for _, i := range b {
				for _, j := range b {
					want[i*n+j] = true
				}
			}
		}
		if !slices.Equal(got.selfMask, want) {
			t.Errorf("%q: mask %v; want %v", tt.prompt, got.selfMask, want)
		}
		var phrases []string
		for _, p := range got.phrases {
			phrases = append(phrases, p.text)
		}
		if !slices.Equal(phrases, tt.phrases) {
			t.Errorf("%q: phrases %q; want %q", tt.prompt, phrases, tt.phrases)
		}
	}
	if _, err := buildGDINOText(tok, " . "); err == nil {
		t.Error("prompt with no words: no error")
	}
	if _, err := buildGDINOText(tok, strings.Repeat("dog . ", 130)); !errors.Is(err, ErrPromptTooLong) {
		t.Errorf("long prompt: err = %v", err)
	}
}

func TestGDINOTextPad(t *testing.T) {
	tok := gdinoVocab(t)
	txt, err := buildGDINOText(tok, "person")
	if err != nil {
		t.Fatal(err)
	}
	if err := txt.padTo(6, 0); err != nil {
		t.Fatal(err)
	}
	if want := []int64{101, 2711, 1012, 102, 0, 0}; !slices.Equal(txt.ids, want) {
		t.Errorf("ids %v; want %v", txt.ids, want)
	}
	if want := []bool{true, true, true, true, false, false}; !slices.Equal(txt.attention, want) {
		t.Errorf("attention %v; want %v", txt.attention, want)
	}
	if want := []int64{0, 0, 1, 0, 0, 0}; !slices.Equal(txt.posIDs, want) {
		t.Errorf("position ids %v; want %v", txt.posIDs, want)
	}
	var want []bool
	for i := range 6 {
		for j := range 6 {
			want = append(want, i == j || (i >= 1 && i <= 2 && j >= 1 && j <= 2))
		}
	}
	if !slices.Equal(txt.selfMask, want) {
		t.Errorf("mask %v; want %v", txt.selfMask, want)
	}
	if err := txt.padTo(3, 0); !errors.Is(err, ErrPromptTooLong) {
		t.Errorf("padTo(3) of 6 tokens: err = %v", err)
	}
}

// TestGDINODecode checks the thresholds and labels on hand-made logits: the
// box threshold applies to the largest score over all text tokens (as
// Grounding DINO's inference.py has it), or with PhraseTokens to the best
// phrase's own tokens; the text threshold picks the label's words.
func TestGDINODecode(t *testing.T) {
	tok := gdinoVocab(t)
	txt, err := buildGDINOText(tok, "person . a huggingface dog")
	if err != nil {
		t.Fatal(err)
	}
	// tokens: [CLS] person . a hugging ##face dog . [SEP]
	const nt = 11 // two columns past the text, as an export pads them
	inf := float32(math.Inf(-1))
	logits := []float32{
		// q0: person 0.9 -> "person"
		-9, 2.2, -9, -9, -9, -9, -9, -9, -9, inf, inf,
		// q1: a 0.12, hugging 0.5, ##face 0.5, dog 0.73 -> "huggingface dog"
		-9, -9, -9, -2, 0, 0, 1, -9, -9, inf, inf,
		// q2: best 0.3 < 0.35: dropped
		-9, -0.85, -9, -9, -9, -9, -9, -9, -9, inf, inf,
		// q3: all -inf: dropped
		inf, inf, inf, inf, inf, inf, inf, inf, inf, inf, inf,
		// q4: only the first "." scores, 0.818: kept by the reference's
		// rule, labelled with the first phrase (all phrases tie)
		-9, -9, 1.5, -9, -9, -9, -9, -9, -9, inf, inf,
		// q5: only the padding columns score: never kept
		-9, -9, -9, -9, -9, -9, -9, -9, -9, 5, 5,
	}
	boxes := []float32{0.5, 0.5, 0.2, 0.2, 0.25, 0.5, 0.5, 1, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1}
	type det struct {
		label string
		score float64
		box   Box
	}
	person := det{"person", 0.9002, Box{X1: 80, Y1: 40, X2: 120, Y2: 60}}
	dot := det{"person", 0.8176, Box{X1: 0, Y1: 0, X2: 200, Y2: 100}}
	// q1's box (0.25, 0.5, 0.5, 1) reaches x = 0 .. 100, y = 0 .. 100.
	dogBox := Box{X1: 0, Y1: 0, X2: 100, Y2: 100}
	tests := []struct {
		name string
		p    gdinoParams
		want []det
	}{
		{"all tokens", gdinoParams{BoxThreshold: 0.35, TextThreshold: 0.25},
			[]det{person, dot, {"huggingface dog", 0.7311, dogBox}}},
		{"phrase tokens", gdinoParams{BoxThreshold: 0.35, TextThreshold: 0.25, PhraseTokens: true},
			[]det{person, {"huggingface dog", 0.7311, dogBox}}},
		{"box threshold above the separator", gdinoParams{BoxThreshold: 0.85, TextThreshold: 0.25},
			[]det{person}},
		{"text threshold 0.6", gdinoParams{BoxThreshold: 0.35, TextThreshold: 0.6},
			[]det{person, dot, {"dog", 0.7311, dogBox}}},
		{"text threshold 0.95: whole phrases", gdinoParams{BoxThreshold: 0.35, TextThreshold: 0.95},
			[]det{person, dot, {"a huggingface dog", 0.7311, dogBox}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gdinoDecode(logits, nt, boxes, &txt, tt.p, 200, 100)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v; want %d detections", got, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].Label != w.label || math.Abs(got[i].Score-w.score) > 1e-3 || got[i].Box.IoU(w.box) < 0.999 {
					t.Errorf("detection %d = %+v; want %s %.4f %+v", i, got[i], w.label, w.score, w.box)
				}
			}
		})
	}
}

func TestGDINOResize(t *testing.T) {
	tests := []struct{ w, h, ww, wh int }{
		{400, 300, 1066, 800},
		{300, 400, 800, 1066},
		{800, 800, 800, 800},
		{2000, 500, 1332, 333}, // size round(333.25)=333, then int(333*4)
		{1920, 1080, 1333, 750},
		{100, 50, 1332, 666}, // round(666.5) is 666 in Python
	}
	for _, tt := range tests {
		if w, h := gdinoResize(tt.w, tt.h, 800, 1333); w != tt.ww || h != tt.wh {
			t.Errorf("gdinoResize(%d, %d) = %d×%d; want %d×%d", tt.w, tt.h, w, h, tt.ww, tt.wh)
		}
	}
}

// uniform returns a w×h image of one colour.
func uniform(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Rect, &image.Uniform{c}, image.Point{}, draw.Src)
	return m
}

// imagenetGrey is ImageNet's mean colour: Grounding DINO normalises it to
// about 0, which the tiny model's query 1 checks.
var imagenetGrey = color.RGBA{124, 116, 104, 255}

// TestGroundingDINOTiny runs the generated model of tools/onnxgen/gdino.py,
// whose scores appear only when the prompt's ids, phrase-wise position ids
// and text mask are right, through ONNX Runtime.
func TestGroundingDINOTiny(t *testing.T) {
	onnxOrSkip(t)
	grey, white := uniform(400, 300, imagenetGrey), uniform(400, 300, color.RGBA{255, 255, 255, 255})
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	// The model's constant boxes (cx, cy, w, h) in a 400×300 photo.
	q0 := Box{X1: 80, Y1: 60, X2: 160, Y2: 240}
	q1 := Box{X1: 240, Y1: 60, X2: 320, Y2: 240}
	q2 := Box{X1: 180, Y1: 30, X2: 220, Y2: 120}
	q4 := Box{X1: 260, Y1: 210, X2: 380, Y2: 270}
	q5 := Box{X1: 40, Y1: 180, X2: 80, Y2: 270} // scores only on a "."
	type want struct {
		box   Box
		label string
		score float64
	}
	tests := []struct {
		name  string
		model string
		img   image.Image
		opts  []Option
		want  []want
	}{
		{"person", "gdino_tiny.onnx", grey, nil,
			[]want{{q0, "person", sig(3)}, {q5, "person", sig(1.5)}, {q1, "person", 0.73}, {q2, "person", sig(-0.4)}}},
		{"person, phrase tokens only", "gdino_tiny.onnx", grey, []Option{WithPhraseTokens(true)},
			[]want{{q0, "person", sig(3)}, {q1, "person", 0.73}, {q2, "person", sig(-0.4)}}},
		{"fixed-size export", "gdino_tiny_fixed.onnx", grey, nil,
			[]want{{q0, "person", sig(3)}, {q5, "person", sig(1.5)}, {q1, "person", 0.73}, {q2, "person", sig(-0.4)}}},
		{"fixed-size export, phrase tokens only", "gdino_tiny_fixed.onnx", grey, []Option{WithPhraseTokens(true)},
			[]want{{q0, "person", sig(3)}, {q1, "person", 0.73}, {q2, "person", sig(-0.4)}}},
		{"normalisation matters", "gdino_tiny.onnx", white, nil,
			[]want{{q0, "person", sig(3)}, {q5, "person", sig(1.5)}, {q2, "person", sig(-0.4)}}},
		{"box threshold", "gdino_tiny.onnx", grey, []Option{WithConfidence(0.5)},
			[]want{{q0, "person", sig(3)}, {q5, "person", sig(1.5)}, {q1, "person", 0.73}}},
		{"box threshold above the separator", "gdino_tiny.onnx", grey, []Option{WithConfidence(0.85)},
			[]want{{q0, "person", sig(3)}}},
		{"two phrases", "gdino_tiny.onnx", grey, []Option{WithPrompt("person . dog")},
			[]want{{q0, "person", sig(3)}, {q4, "dog", sig(2)}, {q5, "person", sig(1.5)}, {q1, "person", 0.73}, {q2, "person", sig(-0.4)}}},
		{"photo bounds not at (0,0)", "gdino_tiny.onnx", uniform(500, 400, imagenetGrey).SubImage(image.Rect(100, 100, 500, 400)), []Option{WithPhraseTokens(true)},
			[]want{{shift(q0, image.Pt(100, 100)), "person", sig(3)}, {shift(q1, image.Pt(100, 100)), "person", 0.73}, {shift(q2, image.Pt(100, 100)), "person", sig(-0.4)}}},
		{"dog only", "gdino_tiny.onnx", grey, []Option{WithPrompt("dog")},
			[]want{{q4, "dog", sig(2)}, {q5, "dog", sig(1.5)}}},
		// "the person" gives "person" position id 1: the model (like the
		// real one) then does not see the phrase it encodes.
		{"other phrase", "gdino_tiny.onnx", grey, []Option{WithPrompt("the person")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewGroundingDINO("testdata/"+tt.model, "testdata/gdino_vocab.txt", append(tt.opts, WithDevice(DeviceCPU))...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			got, err := d.DetectPeople(context.Background(), tt.img)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d detections %+v; want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Label != w.label || math.Abs(g.Score-w.score) > 0.01 || g.IoU(w.box) < 0.99 {
					t.Errorf("detection %d = %+v; want %s %.3f %+v", i, g, w.label, w.score, w.box)
				}
			}
		})
	}
}

// TestNewGroundingDINOOptions checks that the plain constructor uses the
// study's prompt and takes WithConfidence as the box threshold.
func TestNewGroundingDINOOptions(t *testing.T) {
	onnxOrSkip(t)
	for _, tt := range []struct {
		opts []Option
		want int
	}{
		{[]Option{WithDevice(DeviceCPU)}, 4},
		{[]Option{WithDevice(DeviceCPU), WithConfidence(0.5)}, 3},
		{[]Option{WithDevice(DeviceCPU), WithConfidence(0.85)}, 1},
	} {
		d, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/gdino_vocab.txt", tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.DetectPeople(context.Background(), uniform(40, 30, imagenetGrey))
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("%d options: %d people; want %d", len(tt.opts), len(got), tt.want)
		}
		if d.Name() != "grounding-dino:gdino_tiny.onnx" {
			t.Errorf("Name() = %q", d.Name())
		}
	}
}

// TestGroundingDINOTinyRejectsNaiveText checks that the generated model
// really depends on the phrase-wise inputs: with sequential position ids or
// an all-true text mask (what a plain BERT call would give) it finds nothing.
func TestGroundingDINOTinyRejectsNaiveText(t *testing.T) {
	onnxOrSkip(t)
	d, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/gdino_vocab.txt", WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	good := d.text
	naivePos := good
	naivePos.posIDs = []int64{0, 1, 2, 3}
	naiveMask := good
	naiveMask.selfMask = slices.Repeat([]bool{true}, 16)
	for name, text := range map[string]gdinoText{"sequential position ids": naivePos, "all-true mask": naiveMask} {
		d.text = text
		got, err := d.DetectPeople(context.Background(), uniform(64, 48, imagenetGrey))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("%s: got %d detections; want none", name, len(got))
		}
	}
}

func TestGroundingDINOErrors(t *testing.T) {
	onnxOrSkip(t)
	if _, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/nope.txt"); err == nil ||
		!strings.Contains(err.Error(), "nope.txt") {
		t.Errorf("missing vocabulary: err = %v", err)
	}
	if _, err := NewGroundingDINO("testdata/nope.onnx", "testdata/gdino_vocab.txt"); err == nil ||
		!strings.Contains(err.Error(), "nope.onnx") {
		t.Errorf("missing model: err = %v", err)
	}
	if _, err := NewGroundingDINO("testdata/sam_tiny_decoder.onnx", "testdata/gdino_vocab.txt", WithDevice(DeviceCPU)); !errors.Is(err, ort.ErrSignature) {
		t.Errorf("SAM decoder as Grounding DINO: err = %v; want ErrSignature", err)
	}
}

func BenchmarkGroundingDINOTiny(b *testing.B) {
	onnxOrSkip(b)
	d, err := NewGroundingDINO("testdata/gdino_tiny.onnx", "testdata/gdino_vocab.txt", WithDevice(DeviceCPU))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	img := uniform(1280, 960, imagenetGrey)
	ctx := context.Background()
	in := d.preprocess(img)
	out, err := d.sess.Run(ctx, in...)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("preprocess", func(b *testing.B) {
		loopCPU(b, func() {
			d.preprocess(img)
		})
	})
	b.Run("run", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := d.sess.Run(ctx, in...); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("postprocess", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := d.postprocess(out, 1280, 960); err != nil {
				b.Fatal(err)
			}
		})
	})
}
