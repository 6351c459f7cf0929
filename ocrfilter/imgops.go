package ocrfilter

import (
	"image"
	"image/color"
	"math"
)

// toGray returns img as 8-bit luminance, reusing the luma plane of a YCbCr
// image (JPEG) and the pixels of a Gray image without copying.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		g := image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			copy(g.Pix[(y-b.Min.Y)*g.Stride:(y-b.Min.Y)*g.Stride+b.Dx()], m.Y[m.YOffset(b.Min.X, y):])
		}
		return g
	case *image.RGBA:
		g := image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, y):]
			dst := g.Pix[(y-b.Min.Y)*g.Stride:]
			for x := 0; x < b.Dx(); x++ {
				s := src[4*x : 4*x+3 : 4*x+3]
				dst[x] = uint8((19595*uint32(s[0]) + 38470*uint32(s[1]) + 7471*uint32(s[2]) + 1<<15) >> 16)
			}
		}
		return g
	}
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.SetGray(x, y, color.GrayModel.Convert(img.At(x, y)).(color.Gray))
		}
	}
	return g
}

// resizeGray scales src to w×h with bilinear interpolation; the result's
// bounds start at (0, 0).
func resizeGray(src *image.Gray, w, h int) *image.Gray {
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 || w == 0 || h == 0 {
		return dst
	}
	// Horizontal sample positions, computed once.
	x0 := make([]int, w)
	fx := make([]uint32, w) // weight of x0+1, in 1/256
	for x := 0; x < w; x++ {
		sx := (float64(x)+0.5)*float64(sw)/float64(w) - 0.5
		sx = math.Max(0, math.Min(sx, float64(sw-1)))
		i := int(sx)
		if i >= sw-1 {
			i, sx = max(sw-2, 0), float64(sw-1)
		}
		x0[x] = i
		fx[x] = uint32((sx - float64(i)) * 256)
	}
	for y := 0; y < h; y++ {
		sy := (float64(y)+0.5)*float64(sh)/float64(h) - 0.5
		sy = math.Max(0, math.Min(sy, float64(sh-1)))
		j := int(sy)
		if j >= sh-1 {
			j, sy = max(sh-2, 0), float64(sh-1)
		}
		fy := uint32((sy - float64(j)) * 256)
		r0 := src.Pix[j*src.Stride:]
		r1 := r0
		if sh > 1 {
			r1 = src.Pix[(j+1)*src.Stride:]
		}
		d := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			i, f := x0[x], fx[x]
			i1 := i + 1
			if sw == 1 {
				i1 = i
			}
			top := uint32(r0[i])*(256-f) + uint32(r0[i1])*f
			bot := uint32(r1[i])*(256-f) + uint32(r1[i1])*f
			d[x] = uint8((top*(256-fy) + bot*fy + 1<<15) >> 16)
		}
	}
	return dst
}

// rotateGray returns src rotated by deg degrees counter-clockwise about its
// centre on a canvas large enough to hold it all, the uncovered corners filled
// with the image's mean grey, and a function that maps a box on the rotated
// canvas back to the bounding box of that area in src's coordinates.
func rotateGray(src *image.Gray, deg float64) (*image.Gray, func(image.Rectangle) image.Rectangle) {
	b := src.Bounds()
	sw, sh := float64(b.Dx()), float64(b.Dy())
	th := deg * math.Pi / 180
	cos, sin := math.Cos(th), math.Sin(th)
	w := int(math.Ceil(math.Abs(sw*cos) + math.Abs(sh*sin)))
	h := int(math.Ceil(math.Abs(sw*sin) + math.Abs(sh*cos)))
	dst := image.NewGray(image.Rect(0, 0, w, h))

	var sum uint64
	for y := 0; y < b.Dy(); y++ {
		for _, v := range src.Pix[y*src.Stride : y*src.Stride+b.Dx()] {
			sum += uint64(v)
		}
	}
	fill := uint8(sum / uint64(max(1, b.Dx()*b.Dy())))

	scx, scy := sw/2, sh/2
	dcx, dcy := float64(w)/2, float64(h)/2
	// Counter-clockwise on screen (y down): a destination pixel d comes from
	// s = R(+θ)(d - dc) + sc with R(θ) = [cos -sin; sin cos] in y-down axes.
	for y := 0; y < h; y++ {
		dy := float64(y) + 0.5 - dcy
		row := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			dx := float64(x) + 0.5 - dcx
			sx := cos*dx - sin*dy + scx - 0.5
			sy := sin*dx + cos*dy + scy - 0.5
			if sx < -0.5 || sy < -0.5 || sx > sw-0.5 || sy > sh-0.5 {
				row[x] = fill
				continue
			}
			row[x] = bilinear(src, sx, sy)
		}
	}
	back := func(r image.Rectangle) image.Rectangle {
		minX, minY := math.Inf(1), math.Inf(1)
		maxX, maxY := math.Inf(-1), math.Inf(-1)
		for _, p := range [4][2]float64{
			{float64(r.Min.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Min.Y)},
			{float64(r.Min.X), float64(r.Max.Y)}, {float64(r.Max.X), float64(r.Max.Y)},
		} {
			dx, dy := p[0]-dcx, p[1]-dcy
			sx := cos*dx - sin*dy + scx
			sy := sin*dx + cos*dy + scy
			minX, maxX = math.Min(minX, sx), math.Max(maxX, sx)
			minY, maxY = math.Min(minY, sy), math.Max(maxY, sy)
		}
		return image.Rect(
			b.Min.X+int(math.Floor(minX)), b.Min.Y+int(math.Floor(minY)),
			b.Min.X+int(math.Ceil(maxX)), b.Min.Y+int(math.Ceil(maxY)),
		).Intersect(b)
	}
	return dst, back
}

// bilinear samples src (origin at its bounds' minimum) at (x, y), clamping
// to the edges.
func bilinear(src *image.Gray, x, y float64) uint8 {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	x = math.Max(0, math.Min(x, float64(w-1)))
	y = math.Max(0, math.Min(y, float64(h-1)))
	i, j := int(x), int(y)
	i1, j1 := min(i+1, w-1), min(j+1, h-1)
	fx, fy := x-float64(i), y-float64(j)
	p := src.Pix
	s := src.Stride
	top := float64(p[j*s+i])*(1-fx) + float64(p[j*s+i1])*fx
	bot := float64(p[j1*s+i])*(1-fx) + float64(p[j1*s+i1])*fx
	return uint8(top*(1-fy) + bot*fy + 0.5)
}

// invertGray returns the negative of g.
func invertGray(g *image.Gray) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+b.Dx()]
		dst := out.Pix[y*out.Stride:]
		for x, v := range src {
			dst[x] = 255 - v
		}
	}
	return out
}

// chromaGray returns, for each pixel, 255 minus its chroma (max − min of R,
// G, B): coloured text on a grey or differently coloured ground becomes dark
// on light even where its luminance matches the ground's.
func chromaGray(img image.Image) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	if m, ok := img.(*image.RGBA); ok {
		for y := 0; y < b.Dy(); y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < b.Dx(); x++ {
				r, g, bl := src[4*x], src[4*x+1], src[4*x+2]
				dst[x] = 255 - (max(r, g, bl) - min(r, g, bl))
			}
		}
		return out
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			hi := max(r, g, bl) >> 8
			lo := min(r, g, bl) >> 8
			out.Pix[y*out.Stride+x] = uint8(255 - (hi - lo))
		}
	}
	return out
}
