package cv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dflRef is DFL in float64, with math.Exp.
func dflRef(d []float32, hw int, cell int32, side int) float64 {
	mx := math.Inf(-1)
	for b := range DFLBins {
		mx = max(mx, float64(d[(DFLBins*side+b)*hw+int(cell)]))
	}
	var sum, acc float64
	for b := range DFLBins {
		e := math.Exp(float64(d[(DFLBins*side+b)*hw+int(cell)]) - mx)
		sum += e
		acc += e * float64(b)
	}
	return acc / sum
}

// TestDFL compares both paths with the float64 reference on logits of
// several spreads (flat, peaked, very peaked, with -Inf-like outliers) and
// checks that they give the same bits.
func TestDFL(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name   string
		hw     int
		spread float64
	}{
		{"flat", 37, 0.01},
		{"typical", 6400, 8},
		{"peaked", 400, 40},
		{"extreme", 100, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := make([]float32, 4*DFLBins*tc.hw)
			for i := range d {
				d[i] = float32(rng.NormFloat64() * tc.spread)
			}
			cells := make([]int32, 0, tc.hw)
			for c := 0; c < tc.hw; c += 1 + rng.IntN(3) {
				cells = append(cells, int32(c))
			}
			run := func(portable bool) []float32 {
				defer setPortableDFL(setPortableDFL(portable))
				out := make([]float32, 4*len(cells))
				if err := DFL(d, tc.hw, cells, out); err != nil {
					t.Fatal(err)
				}
				return out
			}
			fast, portable := run(false), run(true)
			worst := 0.0
			for k, c := range cells {
				for s := range 4 {
					i := 4*k + s
					if math.Float32bits(fast[i]) != math.Float32bits(portable[i]) {
						t.Fatalf("cell %d side %d: %v (default path) != %v (portable)", c, s, fast[i], portable[i])
					}
					worst = max(worst, math.Abs(float64(fast[i])-dflRef(d, tc.hw, c, s)))
				}
			}
			if worst > 2e-5 {
				t.Errorf("worst difference from float64: %g bins", worst)
			}
			t.Logf("%d cells, worst difference from float64 %.2g bins", len(cells), worst)
		})
	}
}

func TestDFLErrors(t *testing.T) {
	d := make([]float32, 4*DFLBins*10)
	out := make([]float32, 8)
	for _, tc := range []struct {
		name  string
		d     []float32
		hw    int
		cells []int32
		out   []float32
	}{
		{"short tensor", d[:100], 10, []int32{0}, out},
		{"cell past the plane", d, 10, []int32{10}, out},
		{"negative cell", d, 10, []int32{-1}, out},
		{"short output", d, 10, []int32{0, 1, 2}, out},
		{"no planes", d, 0, nil, out},
	} {
		if err := DFL(tc.d, tc.hw, tc.cells, tc.out); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := DFL(d, 10, nil, nil); err != nil {
		t.Errorf("no cells: %v", err)
	}
}

func BenchmarkDFL(b *testing.B) {
	const hw = 6400
	rng := rand.New(rand.NewPCG(3, 4))
	d := make([]float32, 4*DFLBins*hw)
	for i := range d {
		d[i] = float32(rng.NormFloat64() * 8)
	}
	cells := make([]int32, 561)
	for i := range cells {
		cells[i] = int32(rng.IntN(hw))
	}
	out := make([]float32, 4*len(cells))
	for _, portable := range []bool{false, true} {
		name := "default"
		if portable {
			name = "portable"
		}
		b.Run(name, func(b *testing.B) {
			defer setPortableDFL(setPortableDFL(portable))
			for b.Loop() {
				DFL(d, hw, cells, out)
			}
		})
	}
}
