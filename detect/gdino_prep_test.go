package detect

import (
	"image"
	"image/color"
	"math"
	"slices"
	"testing"
)

// TestResample checks the resampler against values worked out by hand:
// a constant image stays constant, a 2:1 shrink averages pixel pairs
// (triangle filter of support 2 on centres 0.5 apart), an enlargement
// interpolates between pixel centres, and padding is left alone.
func TestResample(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 4, 1))
	for x, v := range []uint8{0, 100, 200, 40} {
		src.SetRGBA(x, 0, color.RGBA{v, v / 2, 255 - v, 255})
	}
	one := [3]float32{1, 1, 1}
	zero := [3]float32{}

	// 4 -> 2: output 0 has centre 1.0 in source units, support 2: taps at
	// 0.5 (w 0.75), 1.5 (w 0.75) and 2.5 (w 0.25) normalised: 0.75/1.75 ...
	dst := planes{data: make([]float32, 3*2), w: 2, h: 1}
	resample(src, src.Rect, 2, 1, dst, one, zero)
	w := []float64{0.75, 0.75, 0.25}
	want0 := (w[0]*0 + w[1]*100 + w[2]*200) / (w[0] + w[1] + w[2])
	if math.Abs(float64(dst.data[0])-want0) > 1e-3 {
		t.Errorf("shrink: R[0] = %v; want %v", dst.data[0], want0)
	}

	// 4 -> 8 (enlarge): output 3 has centre 1.75: between pixels 1 (centre
	// 1.5) and 2 (2.5) with weights 0.75 and 0.25.
	dst = planes{data: make([]float32, 3*8), w: 8, h: 1}
	resample(src, src.Rect, 8, 1, dst, one, zero)
	if got, want := dst.data[3], float32(0.75*100+0.25*200); math.Abs(float64(got-want)) > 1e-3 {
		t.Errorf("enlarge: R[3] = %v; want %v", got, want)
	}
	// the B plane, with normalisation
	dst = planes{data: make([]float32, 3*8), w: 8, h: 1}
	resample(src, src.Rect, 8, 1, dst, [3]float32{1, 1, 0.5}, [3]float32{0, 0, -1})
	if got, want := dst.data[16+3], float32((0.75*155+0.25*55)*0.5-1); math.Abs(float64(got-want)) > 1e-3 {
		t.Errorf("enlarge: B[3] = %v; want %v", got, want)
	}

	// Padding: a 4x1 crop into a 6x2 HWC buffer leaves the rest untouched.
	buf := make([]float32, 6*2*3)
	for i := range buf {
		buf[i] = -7
	}
	resample(src, src.Rect, 4, 1, planes{data: buf, w: 6, h: 2, hwc: true}, one, zero)
	if buf[3*1] != 100 || buf[3*1+1] != 50 || buf[3*4] != -7 || buf[3*6] != -7 {
		t.Errorf("hwc copy/padding wrong: %v", buf)
	}

	// A crop: pixels 1..3 only.
	dst = planes{data: make([]float32, 3*2), w: 2, h: 1}
	resample(src, image.Rect(1, 0, 3, 1), 2, 1, dst, one, zero)
	if dst.data[0] != 100 || dst.data[1] != 200 {
		t.Errorf("crop: R = %v; want [100 200]", dst.data[:2])
	}
}

func TestSamplePlane(t *testing.T) {
	src := []float32{0, 10, 20, 30}
	// 4 -> 8: output 3 (centre 1.75) lies between 10 and 20.
	got := samplePlane(src, 4, 1, 0, 0, 4, 1, 8, 1)
	if math.Abs(float64(got[3]-12.5)) > 1e-4 || got[0] != 0 || got[7] != 30 {
		t.Errorf("samplePlane = %v", got)
	}
	// the sub-region [2,4) stretched to 4 samples: sample centres at 2.25,
	// 2.75, 3.25 and 3.75, that is pixel positions 1.75 ... 3.25.
	got = samplePlane(src, 4, 1, 2, 0, 2, 1, 4, 1)
	if want := []float32{17.5, 22.5, 27.5, 30}; !slices.Equal(got, want) {
		t.Errorf("sub-region = %v; want %v", got, want)
	}
}

func BenchmarkResample(b *testing.B) {
	src := uniform(1280, 960, imagenetGrey)
	dst := planes{data: make([]float32, 3*1024*1024), w: 1024, h: 1024}
	mul, add := imagenetNorm()
	loopCPU(b, func() {
		resample(src, src.Rect, 1024, 768, dst, mul, add)
	})
}
