package detect

import (
	"context"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/internal/ort"
)

var isnetLook = flag.String("isnet-look", "", "write ISNet's masks on two-people-night.jpg as a PNG to this path, for a person to look at")

// maskCoverage returns the share of r's pixels where the mask is at least
// half on, and the share of all such mask pixels that lie outside r.
func maskCoverage(a *image.Alpha, r image.Rectangle) (inside, outside float64) {
	var in, all, area int
	r = r.Intersect(a.Rect)
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			if a.Pix[a.PixOffset(x, y)] < 128 {
				continue
			}
			all++
			if (image.Point{x, y}).In(r) {
				in++
			}
		}
	}
	area = r.Dx() * r.Dy()
	if area == 0 || all == 0 {
		return 0, 0
	}
	return float64(in) / float64(area), float64(all-in) / float64(all)
}

// TestISNetTwoPeopleNight segments the two women of two-people-night.jpg,
// found by the COCO YOLOv8 detector, with the real ISNet weights: each mask
// must cover most of its person's box and lie almost entirely inside it.
func TestISNetTwoPeopleNight(t *testing.T) {
	isnetPath := realModel(t, "isnet-quint8.onnx")
	cocoPath := realModel(t, "yolov8n-coco.onnx")
	img := realPhoto(t, "photos/two-people-night.jpg")
	ctx := context.Background()
	yolo, err := NewYOLOPerson(cocoPath, WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer yolo.Close()
	people, err := yolo.DetectPeople(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	// The int8 COCO model also gives a weak 0.41 box over the women's feet;
	// the two women score above 0.7.
	var boxes []Box
	for _, p := range people {
		if p.Score > 0.6 {
			boxes = append(boxes, p.Box)
		}
	}
	if len(boxes) != 2 {
		t.Fatalf("COCO detector found %d people above 0.6 %+v; want 2", len(boxes), people)
	}
	seg, err := NewISNet(isnetPath, WithDevice(DeviceCPU))
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	masks, err := seg.Segment(ctx, img, boxes)
	if err != nil {
		t.Fatal(err)
	}
	if len(masks) != 2 {
		t.Fatalf("got %d masks; want 2", len(masks))
	}
	if n := seg.runs.Load(); n != 1 {
		t.Errorf("%d model runs; want 1 (the two women stand side by side)", n)
	}
	for i, m := range masks {
		if m.Rect != img.Bounds() {
			t.Errorf("mask %d bounds %v; want %v", i, m.Rect, img.Bounds())
		}
		in, out := maskCoverage(m.Alpha, boxes[i].Rect())
		t.Logf("person %d box %v: mask covers %.0f%% of the box, %.1f%% of the mask is outside it", i, boxes[i].Rect(), 100*in, 100*out)
		if in < 0.5 {
			t.Errorf("person %d: mask covers %.0f%% of the box; want at least 50%%", i, 100*in)
		}
		if out > 0.1 {
			t.Errorf("person %d: %.1f%% of the mask lies outside the box; want at most 10%%", i, 100*out)
		}
	}
	if *isnetLook != "" {
		look := image.NewRGBA(img.Bounds())
		draw.Draw(look, look.Rect, img, image.Point{}, draw.Src)
		tints := []color.RGBA{{255, 0, 0, 255}, {0, 128, 255, 255}}
		for i, m := range masks {
			draw.DrawMask(look, look.Rect, &image.Uniform{tints[i]}, image.Point{}, &halfAlpha{m.Alpha}, image.Point{}, draw.Over)
		}
		if err := imageio.Save(*isnetLook, look); err != nil {
			t.Fatal(err)
		}
	}
}

// halfAlpha shows a mask at half opacity.
type halfAlpha struct{ *image.Alpha }

func (h *halfAlpha) At(x, y int) color.Color {
	return color.Alpha{h.AlphaAt(x, y).A / 2}
}

func TestISNetWrongModel(t *testing.T) {
	onnxOrSkip(t)
	if _, err := NewISNet("testdata/sam_tiny_decoder.onnx", WithDevice(DeviceCPU)); !errors.Is(err, ort.ErrSignature) {
		t.Errorf("err = %v; want ErrSignature", err)
	}
}

func TestResolveOverlaps(t *testing.T) {
	bounds := image.Rect(0, 0, 10, 1)
	mk := func(v ...uint8) Mask {
		a := image.NewAlpha(bounds)
		copy(a.Pix, v)
		return Mask{Alpha: a}
	}
	boxes := []Box{{X1: 0, Y1: 0, X2: 6, Y2: 1}, {X1: 4, Y1: 0, X2: 10, Y2: 1}}
	masks := []Mask{
		mk(255, 255, 255, 255, 255, 255, 0, 0, 0, 0),
		mk(0, 0, 0, 0, 255, 40, 255, 255, 255, 255),
	}
	resolveOverlaps(masks, boxes, 0)
	// x=4: equal alphas; its centre 4.5 is 0.25 box widths from box 0's
	// centre (3) and 0.42 from box 1's (7): box 0. x=5: box 0 is surer.
	want0 := []uint8{255, 255, 255, 255, 255, 255, 0, 0, 0, 0}
	want1 := []uint8{0, 0, 0, 0, 0, 0, 255, 255, 255, 255}
	if !slices.Equal(masks[0].Pix, want0) || !slices.Equal(masks[1].Pix, want1) {
		t.Errorf("got %v and %v; want %v and %v", masks[0].Pix, masks[1].Pix, want0, want1)
	}
	// Nearer box 1's centre: box 1 keeps it.
	masks = []Mask{mk(0, 0, 0, 0, 0, 200, 0, 0, 0, 0), mk(0, 0, 0, 0, 0, 210, 0, 0, 0, 0)}
	resolveOverlaps(masks, []Box{{X1: 0, Y1: 0, X2: 6, Y2: 1}, {X1: 5, Y1: 0, X2: 7, Y2: 1}}, 0)
	if masks[0].Pix[5] != 0 || masks[1].Pix[5] != 210 {
		t.Errorf("x=5: got %d and %d; want 0 and 210", masks[0].Pix[5], masks[1].Pix[5])
	}
}

func TestISNetGroups(t *testing.T) {
	n := &ISNet{w: 1024, h: 1024}
	tests := []struct {
		name  string
		crops []image.Rectangle
		want  [][]int
	}{
		{"side by side, same height, overlapping by half: one run",
			[]image.Rectangle{image.Rect(0, 0, 600, 1800), image.Rect(300, 0, 900, 1800)}, [][]int{{0, 1}}},
		{"side by side, overlapping by a sixth: separate",
			[]image.Rectangle{image.Rect(0, 0, 600, 1800), image.Rect(500, 0, 1100, 1800)}, [][]int{{0}, {1}}},
		{"a passer-by at the edge of a portrait: separate",
			[]image.Rectangle{image.Rect(0, 0, 767, 1066), image.Rect(760, 540, 800, 645)}, [][]int{{0}, {1}}},
		{"far apart, union twice as tall: separate",
			[]image.Rectangle{image.Rect(0, 0, 600, 1800), image.Rect(0, 1900, 600, 3700)}, [][]int{{0}, {1}}},
		{"a row of overlapping people: one run",
			[]image.Rectangle{image.Rect(0, 0, 300, 600), image.Rect(200, 0, 500, 600), image.Rect(400, 50, 700, 650), image.Rect(2000, 0, 2300, 600)},
			[][]int{{0, 1, 2}, {3}}},
		{"a small person inside a tall one's crop: the small one would lose too much",
			[]image.Rectangle{image.Rect(300, 100, 500, 500), image.Rect(300, 0, 900, 2000)}, [][]int{{0}, {1}}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		var got [][]int
		for _, g := range n.groups(tt.crops) {
			got = append(got, g.members)
		}
		if !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("%s: groups %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestISNetFit(t *testing.T) {
	n := &ISNet{w: 1024, h: 1024}
	tests := []struct {
		crop image.Rectangle
		want image.Rectangle
	}{
		{image.Rect(0, 0, 500, 1000), image.Rect(256, 0, 768, 1024)},
		{image.Rect(40, 50, 240, 100), image.Rect(0, 384, 1024, 640)},
		{image.Rect(0, 0, 300, 300), image.Rect(0, 0, 1024, 1024)},
	}
	for _, tt := range tests {
		if got := n.fit(tt.crop); got != tt.want {
			t.Errorf("fit(%v) = %v; want %v", tt.crop, got, tt.want)
		}
	}
}

// BenchmarkISNet measures the stages of one person on two-people-night.jpg
// with the real weights.
func BenchmarkISNet(b *testing.B) {
	isnetPath := realModel(b, "isnet-quint8.onnx")
	img := realPhoto(b, "photos/two-people-night.jpg")
	seg, err := NewISNet(isnetPath, WithDevice(DeviceCPU))
	if err != nil {
		b.Fatal(err)
	}
	defer seg.Close()
	ctx := context.Background()
	// The right-hand woman, as the COCO detector boxes her (see
	// TestISNetTwoPeopleNight's log).
	box := Box{X1: 469, Y1: 384, X2: 1040, Y2: 1900}
	crop := grow(box, seg.context).Rect().Intersect(img.Rect)
	keep := grow(box, seg.bleed).Rect().Intersect(crop)
	in := seg.preprocess(img, crop)
	out, err := seg.sess.Run(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("preprocess", func(b *testing.B) {
		loopCPU(b, func() {
			seg.preprocess(img, crop)
		})
	})
	b.Run("run", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := seg.sess.Run(ctx, in); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("postprocess", func(b *testing.B) {
		loopCPU(b, func() {
			a := image.NewAlpha(img.Rect)
			if err := seg.postprocess(out[0], crop, keep, a); err != nil {
				b.Fatal(err)
			}
		})
	})
}
