package detect

import (
	"image"
	"math"
	"runtime"
	"sync"
)

// This file holds the image pre-processing shared by the ONNX models of this
// package that take a resized photo (Grounding DINO, SAM, ISNet): conversion
// to RGBA and a separable triangle-filter resampler that writes normalised
// float32 planes. The filter is bilinear interpolation when enlarging and
// widens to average every source pixel when shrinking (as PIL's bilinear
// resize does), so a large photo reduced to the model's size does not alias.

// taps are the source samples and weights of one output coordinate.
type taps struct {
	start   int
	weights []float32
}

// filterTaps returns, for each of n output samples covering src source
// samples, the triangle-filter taps (half-pixel centres).
func filterTaps(src, n int) []taps {
	scale := float64(src) / float64(n)
	support := math.Max(scale, 1)
	out := make([]taps, n)
	for i := range out {
		center := (float64(i) + 0.5) * scale
		lo := max(int(math.Floor(center-support)), 0)
		hi := min(int(math.Ceil(center+support)), src)
		w := make([]float32, 0, hi-lo)
		var sum float64
		first := -1
		for j := lo; j < hi; j++ {
			v := 1 - math.Abs((float64(j)+0.5-center)/support)
			if v <= 0 {
				if first < 0 {
					continue
				}
				break
			}
			if first < 0 {
				first = j
			}
			w = append(w, float32(v))
			sum += v
		}
		if first < 0 { // degenerate: nearest sample
			first = min(max(int(center), 0), src-1)
			w, sum = append(w, 1), 1
		}
		for k := range w {
			w[k] = float32(float64(w[k]) / sum)
		}
		out[i] = taps{start: first, weights: w}
	}
	return out
}

// planes is the destination of resample: float32 values laid out CHW (three
// planes of w×h) or HWC (rows of w pixels of three values), with w and h
// possibly larger than the resampled area (the rest is padding left as is).
type planes struct {
	data []float32
	w, h int
	hwc  bool
}

// resample resizes the crop rectangle of src to dw×dh and writes, at the top
// left of dst, the value v*mul[c]+add[c] for every channel value v in 0..255
// (R, G, B order). Rows are shared out among the available CPUs.
func resample(src *image.RGBA, crop image.Rectangle, dw, dh int, dst planes, mul, add [3]float32) {
	crop = crop.Intersect(src.Rect)
	if crop.Empty() || dw <= 0 || dh <= 0 {
		return
	}
	xt := filterTaps(crop.Dx(), dw)
	yt := filterTaps(crop.Dy(), dh)
	workers := min(runtime.GOMAXPROCS(0), dh)
	var wg sync.WaitGroup
	for k := range workers {
		y0, y1 := dh*k/workers, dh*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := make([]float32, crop.Dx()*3)
			for y := y0; y < y1; y++ {
				resampleRow(src, crop, xt, yt[y], row, dst, y, mul, add)
			}
		}()
	}
	wg.Wait()
}

func resampleRow(src *image.RGBA, crop image.Rectangle, xt []taps, t taps, row []float32, dst planes, y int, mul, add [3]float32) {
	clear(row)
	n := crop.Dx()
	for k, w := range t.weights {
		sy := crop.Min.Y + t.start + k
		o := src.PixOffset(crop.Min.X, sy)
		p := src.Pix[o : o+4*n]
		r := row[:3*n]
		for x := range n {
			q := p[4*x : 4*x+3 : 4*x+3]
			d := r[3*x : 3*x+3 : 3*x+3]
			d[0] += w * float32(q[0])
			d[1] += w * float32(q[1])
			d[2] += w * float32(q[2])
		}
	}
	plane := dst.w * dst.h
	base := y * dst.w
	for x, tx := range xt {
		var r, g, b float32
		s := row[tx.start*3 : (tx.start+len(tx.weights))*3]
		for k, w := range tx.weights {
			v := s[3*k : 3*k+3 : 3*k+3]
			r += w * v[0]
			g += w * v[1]
			b += w * v[2]
		}
		r, g, b = r*mul[0]+add[0], g*mul[1]+add[1], b*mul[2]+add[2]
		if dst.hwc {
			o := (base + x) * 3
			dst.data[o], dst.data[o+1], dst.data[o+2] = r, g, b
		} else {
			o := base + x
			dst.data[o], dst.data[o+plane], dst.data[o+2*plane] = r, g, b
		}
	}
}

// imagenetNorm returns mul and add that map 0..255 to (v/255-mean)/std with
// ImageNet's mean and standard deviation.
func imagenetNorm() (mul, add [3]float32) {
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	for c := range 3 {
		mul[c] = 1 / (255 * std[c])
		add[c] = -mean[c] / std[c]
	}
	return mul, add
}

func sigmoid64(x float32) float64 { return 1 / (1 + math.Exp(-float64(x))) }

// samplePlane resamples the region (x0, y0)–(x0+rw, y0+rh) of a sw×sh
// single-channel float plane to dw×dh values, bilinearly with half-pixel
// centres (edges clamped). It turns a model's mask output back into photo
// pixels.
func samplePlane(src []float32, sw, sh int, x0, y0, rw, rh float64, dw, dh int) []float32 {
	out := make([]float32, dw*dh)
	if dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0 {
		return out
	}
	sx, sy := rw/float64(dw), rh/float64(dh)
	xi := make([]int32, dw)
	xf := make([]float32, dw)
	for x := range dw {
		f := x0 + (float64(x)+0.5)*sx - 0.5
		i := int(math.Floor(f))
		w := f - float64(i)
		if i < 0 {
			i, w = 0, 0
		}
		if i >= sw-1 {
			i, w = sw-1, 0
		}
		xi[x], xf[x] = int32(i), float32(w)
	}
	workers := min(runtime.GOMAXPROCS(0), dh)
	var wg sync.WaitGroup
	for k := range workers {
		ya, yb := dh*k/workers, dh*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := ya; y < yb; y++ {
				f := y0 + (float64(y)+0.5)*sy - 0.5
				i := int(math.Floor(f))
				wy := float32(f - float64(i))
				if i < 0 {
					i, wy = 0, 0
				}
				if i >= sh-1 {
					i, wy = sh-1, 0
				}
				r0 := src[i*sw : (i+1)*sw]
				r1 := r0
				if i+1 < sh {
					r1 = src[(i+1)*sw : (i+2)*sw]
				}
				o := out[y*dw : (y+1)*dw]
				for x := range dw {
					j, w := xi[x], xf[x]
					j1 := min(j+1, int32(sw-1))
					a := r0[j] + w*(r0[j1]-r0[j])
					b := r1[j] + w*(r1[j1]-r1[j])
					o[x] = a + wy*(b-a)
				}
			}
		}()
	}
	wg.Wait()
	return out
}
