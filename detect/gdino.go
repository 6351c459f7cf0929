package detect

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/ort"
	"github.com/phantom-vlm/phantom/internal/wordpiece"
)

// Grounding DINO defaults: the study's prompt and thresholds, and the
// model's text length and resize rule.
const (
	DefaultGDINOPrompt        = "person"
	DefaultGDINOBoxThreshold  = 0.35
	DefaultGDINOTextThreshold = 0.25
	gdinoMaxText              = 256
	gdinoShortSide            = 800
	gdinoMaxSide              = 1333
)

// ErrPromptTooLong is returned (wrapped) when a Grounding DINO prompt needs
// more than 256 tokens, or more than an export with a fixed text length
// takes.
var ErrPromptTooLong = errors.New("detect: prompt too long for the model's text input")

// GroundingDINO is an open-vocabulary person detector: Grounding DINO in its
// common ONNX export, prompted with text ("person" by default). It
// implements PersonDetector.
//
// The model takes img [1,3,H,W] (RGB, ImageNet mean/std), input_ids,
// attention_mask, position_ids, token_type_ids [1,S] and text_token_mask
// [1,S,S] (padded with [PAD] when the export fixes S); it returns logits
// [1,900,256] (one per query and text token) and boxes [1,900,4] (cx, cy,
// w, h relative to the image). When the export fixes
// H and W the photo is stretched to that size, otherwise it is resized so
// that its short side is 800 and its long side at most 1333, as Grounding
// DINO's own transform does. Boxes are relative, so either way they map back
// to the photo by its width and height.
//
// A query is kept, as Grounding DINO's own inference.py keeps it, when the
// largest sigmoid score over all the prompt's text tokens (the "."
// separators, [CLS] and [SEP] included; padding excluded) exceeds the box
// threshold, and that largest score is its Score. WithPhraseTokens
// looks at each phrase's own tokens only instead. The label is the words of
// the phrase whose own tokens score highest that exceed the text threshold
// (the whole phrase when none does). There is no NMS unless WithIoU
// asks for it: the model's set prediction seldom gives duplicates.
//
// A GroundingDINO is safe for concurrent use: the prompt is tokenised once
// and the ONNX Runtime session is thread-safe.
type GroundingDINO struct {
	sess    *ort.Session
	name    string
	text    gdinoText
	params  gdinoParams
	fixedW  int
	fixedH  int
	boolIn  [2]bool // attention_mask, text_token_mask take bool (else int64)
	int32In bool    // input_ids, position_ids, token_type_ids take int32
}

// gdinoParams are Grounding DINO's prompt and thresholds (WithPrompt,
// WithConfidence for the box threshold, WithTextThreshold,
// WithPhraseTokens, WithIoU for NMS). A zero field means the default.
type gdinoParams struct {
	// Prompt is one phrase ("person", the default) or several separated by
	// " . " ("person . dog").
	Prompt string
	// BoxThreshold (default 0.35) keeps a query whose largest token score
	// is above it.
	BoxThreshold float64
	// PhraseTokens scores a query by its best phrase's own tokens only.
	PhraseTokens bool
	// TextThreshold (default 0.25) selects the words of the label.
	TextThreshold float64
	// NMS, when above 0, removes boxes that overlap a higher-scoring box by
	// more IoU than this.
	NMS float64
}

func (p gdinoParams) withDefaults() gdinoParams {
	if p.Prompt == "" {
		p.Prompt = DefaultGDINOPrompt
	}
	p.BoxThreshold = orDefault(p.BoxThreshold, DefaultGDINOBoxThreshold)
	p.TextThreshold = orDefault(p.TextThreshold, DefaultGDINOTextThreshold)
	return p
}

// gdinoSignature is what the export must look like: the six inputs by name
// (types and sizes read from the file) and the two outputs.
var gdinoSignature = ort.Signature{
	Inputs: []ort.TensorSpec{
		{Name: "img", Type: ort.Float32, Shape: []int64{-1, 3, -1, -1}},
		{Name: "input_ids", Shape: []int64{-1, -1}},
		{Name: "attention_mask", Shape: []int64{-1, -1}},
		{Name: "position_ids", Shape: []int64{-1, -1}},
		{Name: "token_type_ids", Shape: []int64{-1, -1}},
		{Name: "text_token_mask", Shape: []int64{-1, -1, -1}},
	},
	Outputs: []ort.TensorSpec{
		{Name: "logits", Type: ort.Float32, Shape: []int64{-1, -1, -1}},
		{Name: "boxes", Type: ort.Float32, Shape: []int64{-1, -1, 4}},
	},
}

// NewGroundingDINO opens a Grounding DINO export and the bert-base-uncased
// vocab.txt its text encoder was trained with. Defaults: the study's prompt
// "person" (WithPrompt), box threshold 0.35 (WithConfidence), text threshold
// 0.25 (WithTextThreshold), every text token scoring a query
// (WithPhraseTokens), no NMS (WithIoU), device auto.
func NewGroundingDINO(modelPath, vocabPath string, opts ...Option) (*GroundingDINO, error) {
	o := newOptions(opts)
	p := o.gdino
	p.BoxThreshold, p.NMS = o.confidence, o.iou
	p = p.withDefaults()
	tok, err := wordpiece.Load(vocabPath)
	if err != nil {
		return nil, openError("grounding dino vocabulary", err)
	}
	text, err := buildGDINOText(tok, p.Prompt)
	if err != nil {
		return nil, err
	}
	sess, err := ort.Open(modelPath, gdinoSignature, o.ortOptions()...)
	if err != nil {
		return nil, openError("grounding dino", err)
	}
	sig := sess.Signature()
	d := &GroundingDINO{sess: sess, text: text, params: p, name: "grounding-dino:" + filepath.Base(modelPath)}
	if s := sig.Inputs[0].Shape; s[2] > 0 && s[3] > 0 {
		d.fixedH, d.fixedW = int(s[2]), int(s[3])
	}
	for i, in := range []ort.TensorSpec{sig.Inputs[2], sig.Inputs[5]} {
		switch in.Type {
		case ort.Bool:
			d.boolIn[i] = true
		case ort.Int64:
		default:
			sess.Close()
			return nil, fmt.Errorf("detect: grounding dino: %s: %w: input %q is %s, expected bool or int64",
				modelPath, ort.ErrSignature, in.Name, in.Type)
		}
	}
	for _, in := range []ort.TensorSpec{sig.Inputs[1], sig.Inputs[3], sig.Inputs[4]} {
		if in.Type != ort.Int64 && in.Type != ort.Int32 {
			sess.Close()
			return nil, fmt.Errorf("detect: grounding dino: %s: %w: input %q is %s, expected int64 or int32",
				modelPath, ort.ErrSignature, in.Name, in.Type)
		}
	}
	d.int32In = sig.Inputs[1].Type == ort.Int32
	if n := sig.Inputs[1].Shape[1]; n > 0 {
		// An export with a fixed text length: pad with [PAD] tokens.
		pad, _ := tok.ID("[PAD]")
		if err := d.text.padTo(int(n), int64(pad)); err != nil {
			sess.Close()
			return nil, fmt.Errorf("detect: grounding dino: %s: %w", modelPath, err)
		}
	}
	return d, nil
}

// Name identifies the detector and its model file.
func (d *GroundingDINO) Name() string { return d.name }

// Close releases the ONNX Runtime session.
func (d *GroundingDINO) Close() error { return d.sess.Close() }

// DetectPeople finds the prompt's objects in img (people, with the default
// prompt), highest score first.
func (d *GroundingDINO) DetectPeople(ctx context.Context, img image.Image) ([]Person, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("detect: grounding dino: empty image")
	}
	in := d.preprocess(img)
	out, err := d.sess.Run(ctx, in...)
	if err != nil {
		return nil, fmt.Errorf("detect: grounding dino: %w", err)
	}
	people, err := d.postprocess(out, b.Dx(), b.Dy())
	for i := range people {
		people[i].Box = shift(people[i].Box, b.Min)
	}
	return people, err
}

// inputSize returns the model input's width and height for a w×h photo.
func (d *GroundingDINO) inputSize(w, h int) (int, int) {
	if d.fixedW > 0 {
		return d.fixedW, d.fixedH
	}
	return gdinoResize(w, h, gdinoShortSide, gdinoMaxSide)
}

// gdinoResize is Grounding DINO's RandomResize([800], max_size=1333) at
// inference: the short side becomes size unless that makes the long side
// exceed maxSize, in which case the long side becomes maxSize; the other side
// follows the aspect ratio, truncated to an integer.
func gdinoResize(w, h, size, maxSize int) (int, int) {
	short, long := float64(min(w, h)), float64(max(w, h))
	s := float64(size)
	if long/short*s > float64(maxSize) {
		s = math.RoundToEven(float64(maxSize) * short / long) // Python's round
	}
	if w < h {
		return int(s), int(s * float64(h) / float64(w))
	}
	return int(s * float64(w) / float64(h)), int(s)
}

// preprocess builds the six input tensors for img.
func (d *GroundingDINO) preprocess(img image.Image) []ort.Tensor {
	rgba := imageio.ToRGBA(img)
	b := rgba.Rect
	iw, ih := d.inputSize(b.Dx(), b.Dy())
	pix := make([]float32, 3*iw*ih)
	mul, add := imagenetNorm()
	resample(rgba, b, iw, ih, planes{data: pix, w: iw, h: ih}, mul, add)
	t := d.text
	s := int64(len(t.ids))
	ints := func(v []int64) ort.Tensor {
		if d.int32In {
			w := make([]int32, len(v))
			for i, x := range v {
				w[i] = int32(x)
			}
			return ort.Tensor{Shape: []int64{1, s}, Data: w}
		}
		return ort.NewInt64([]int64{1, s}, v)
	}
	mask := func(v []bool, asBool bool, shape []int64) ort.Tensor {
		if asBool {
			return ort.NewBool(shape, v)
		}
		w := make([]int64, len(v))
		for i, x := range v {
			if x {
				w[i] = 1
			}
		}
		return ort.NewInt64(shape, w)
	}
	return []ort.Tensor{
		ort.NewFloat32([]int64{1, 3, int64(ih), int64(iw)}, pix),
		ints(t.ids),
		mask(t.attention, d.boolIn[0], []int64{1, s}),
		ints(t.posIDs),
		ints(make([]int64, s)),
		mask(t.selfMask, d.boolIn[1], []int64{1, s, s}),
	}
}

// postprocess turns logits and boxes into people in a w×h photo.
func (d *GroundingDINO) postprocess(out []ort.Tensor, w, h int) ([]Person, error) {
	logits, err := out[0].Float32s()
	if err != nil {
		return nil, fmt.Errorf("detect: grounding dino logits: %w", err)
	}
	boxes, err := out[1].Float32s()
	if err != nil {
		return nil, fmt.Errorf("detect: grounding dino boxes: %w", err)
	}
	ls, bs := out[0].Shape, out[1].Shape
	nq, nt := int(ls[1]), int(ls[2])
	if len(ls) != 3 || len(bs) != 3 || int(bs[1]) != nq || nt < len(d.text.ids) {
		return nil, fmt.Errorf("detect: grounding dino: %w: logits %v and boxes %v do not fit %d text tokens",
			ort.ErrSignature, ls, bs, len(d.text.ids))
	}
	people := gdinoDecode(logits[:nq*nt], nt, boxes[:nq*4], &d.text, d.params, float64(w), float64(h))
	if d.params.NMS > 0 && len(people) > 1 {
		bx := make([]Box, len(people))
		for i, p := range people {
			bx[i] = p.Box
		}
		keep := NMS(bx, d.params.NMS)
		kept := make([]Person, len(keep))
		for i, k := range keep {
			kept[i] = people[k]
		}
		people = kept
	}
	return people, nil
}

// gdinoDecode keeps the queries whose largest text-token score (or, with
// p.PhraseTokens, best phrase's score) is above p.BoxThreshold and returns
// them as people, highest score first. logits holds nq rows of nt token
// logits; the first txt.textLen() columns are the prompt's tokens.
func gdinoDecode(logits []float32, nt int, boxes []float32, txt *gdinoText, p gdinoParams, w, h float64) []Person {
	var people []Person
	nq := len(boxes) / 4
	phrases := txt.phrases
	n := min(txt.textLen(), nt)
	for q := range nq {
		row := logits[q*nt : (q+1)*nt]
		best, bestScore := -1, math.Inf(-1)
		for i, ph := range phrases {
			m := float32(math.Inf(-1))
			for _, t := range ph.tokens {
				m = max(m, row[t])
			}
			if s := sigmoid64(m); s > bestScore {
				best, bestScore = i, s
			}
		}
		score := bestScore
		if !p.PhraseTokens {
			m := float32(math.Inf(-1))
			for _, v := range row[:n] {
				m = max(m, v)
			}
			score = sigmoid64(m)
		}
		if best < 0 || !(score > p.BoxThreshold) {
			continue
		}
		ph := phrases[best]
		var words []string
		for k, t := range ph.tokens {
			if sigmoid64(row[t]) > p.TextThreshold {
				words = append(words, ph.pieces[k])
			}
		}
		label := joinPieces(words)
		if label == "" {
			label = ph.text
		}
		cx, cy, bw, bh := float64(boxes[4*q]), float64(boxes[4*q+1]), float64(boxes[4*q+2]), float64(boxes[4*q+3])
		box := Box{X1: (cx - bw/2) * w, Y1: (cy - bh/2) * h, X2: (cx + bw/2) * w, Y2: (cy + bh/2) * h, Score: score}
		box = box.Clip(image.Rect(0, 0, int(w), int(h)))
		if box.Area() <= 0 {
			continue
		}
		people = append(people, Person{Box: box, Label: label})
	}
	slices.SortStableFunc(people, func(a, b Person) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return people
}

// gdinoText is a tokenised Grounding DINO prompt with the two extra inputs
// the model's text branch needs.
type gdinoText struct {
	ids       []int64
	attention []bool // false for padding
	posIDs    []int64
	selfMask  []bool // len(ids)² row-major: token i may attend to token j
	phrases   []gdinoPhrase
}

// textLen returns the number of prompt tokens, padding excluded.
func (t *gdinoText) textLen() int {
	n := 0
	for _, a := range t.attention {
		if a {
			n++
		}
	}
	return n
}

// padTo pads the text to n tokens with the pad id, as a tokenizer called
// with padding to a fixed length does: padding is not attended to, has
// position 0, and in the text mask sees only itself (it is no special token,
// so Grounding DINO's mask builder leaves its identity row alone).
func (t *gdinoText) padTo(n int, pad int64) error {
	s := len(t.ids)
	if s > n {
		return fmt.Errorf("%w: the prompt has %d tokens, the model takes %d", ErrPromptTooLong, s, n)
	}
	mask := make([]bool, n*n)
	for i := range n {
		if i < s {
			copy(mask[i*n:i*n+s], t.selfMask[i*s:(i+1)*s])
		} else {
			mask[i*n+i] = true
		}
	}
	for range n - s {
		t.ids = append(t.ids, pad)
		t.attention = append(t.attention, false)
		t.posIDs = append(t.posIDs, 0)
	}
	t.selfMask = mask
	return nil
}

// gdinoPhrase is one "."-separated phrase of the prompt: its text and the
// positions (in ids) and pieces of its tokens.
type gdinoPhrase struct {
	text   string
	tokens []int
	pieces []string
}

// gdinoCaption lower-cases and trims a prompt and makes it end with ".", as
// Grounding DINO's preprocess_caption does.
func gdinoCaption(p string) string {
	p = strings.TrimSpace(strings.ToLower(p))
	if !strings.HasSuffix(p, ".") {
		p += " ."
	}
	return p
}

// buildGDINOText tokenises the prompt and builds Grounding DINO's
// phrase-wise text inputs, in the manner of its
// generate_masks_with_special_tokens_and_transfer_map.
//
// The prompt "a . b c ." becomes [CLS] a . b c . [SEP]. The special tokens
// [CLS], [SEP], "." and "?" cut the sequence into phrases. The text encoder
// is meant to read each phrase on its own, so:
//   - the self-attention mask is block diagonal: a token attends only to the
//     tokens of its own block. A block runs from just after one special
//     token up to and including the next one, so a phrase's closing "."
//     belongs to it. [CLS] and [SEP] (the first and last tokens) are blocks
//     of one and attend only to themselves.
//   - position ids restart at 0 in every block and count up within it; the
//     first and last tokens have position 0.
//
// For "person ." the ids are [101 2711 1012 102], the position ids [0 0 1 0]
// and the mask pairs {0}, {1,2}, {3}.
func buildGDINOText(tok *wordpiece.Tokenizer, prompt string) (gdinoText, error) {
	caption := gdinoCaption(prompt)
	ids := tok.Encode(caption)
	if len(ids) > gdinoMaxText {
		return gdinoText{}, fmt.Errorf("%w: %q has %d", ErrPromptTooLong, prompt, len(ids))
	}
	special := map[int]bool{tok.CLS(): true, tok.SEP(): true}
	for _, s := range []string{".", "?"} {
		if id, ok := tok.ID(s); ok {
			special[id] = true
		}
	}
	n := len(ids)
	t := gdinoText{ids: make([]int64, n), attention: make([]bool, n), posIDs: make([]int64, n), selfMask: make([]bool, n*n)}
	for i, id := range ids {
		t.ids[i] = int64(id)
		t.attention[i] = true
		t.selfMask[i*n+i] = true
	}
	prev := 0
	var cur gdinoPhrase
	for col, id := range ids {
		if !special[id] {
			cur.tokens = append(cur.tokens, col)
			cur.pieces = append(cur.pieces, tok.Token(id))
			continue
		}
		if len(cur.tokens) > 0 {
			cur.text = joinPieces(cur.pieces)
			t.phrases = append(t.phrases, cur)
			cur = gdinoPhrase{}
		}
		if col == 0 || col == n-1 {
			t.posIDs[col] = 0
		} else {
			for i := prev + 1; i <= col; i++ {
				for j := prev + 1; j <= col; j++ {
					t.selfMask[i*n+j] = true
				}
				t.posIDs[i] = int64(i - prev - 1)
			}
		}
		prev = col
	}
	if len(t.phrases) == 0 {
		return gdinoText{}, fmt.Errorf("detect: grounding dino prompt %q has no words", prompt)
	}
	return t, nil
}

// joinPieces joins WordPiece pieces into words: a "##" piece continues the
// word before it.
func joinPieces(pieces []string) string {
	var b strings.Builder
	for i, p := range pieces {
		if rest, ok := strings.CutPrefix(p, "##"); ok {
			b.WriteString(rest)
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}
