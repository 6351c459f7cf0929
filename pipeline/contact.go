package pipeline

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"

	"github.com/disintegration/imaging"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

// Contact sheet geometry, in pixels.
const (
	sheetCellW  = 200
	sheetCellH  = 200
	sheetGap    = 6
	sheetLabelW = 130
	sheetHeadH  = 24
)

// ContactSheet draws a grid for a person to look at: one row per photo (its
// rows of metadata, as in metadata.jsonl), one column per condition, each
// variant fitted into a 200×200 cell (resized with imaging's Linear filter), with the condition names above the
// columns and the person's name left of each row. Variant files are read
// from out.
func ContactSheet(out string, photos [][]Row, conds []Condition) (*image.RGBA, error) {
	w := sheetLabelW + len(conds)*(sheetCellW+sheetGap) + sheetGap
	h := sheetHeadH + len(photos)*(sheetCellH+sheetGap) + sheetGap
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.Draw(img, img.Rect, image.NewUniform(color.RGBA{240, 240, 240, 255}), image.Point{}, xdraw.Src)
	for ci, c := range conds {
		x := sheetLabelW + ci*(sheetCellW+sheetGap)
		drawText(img, x+4, 16, string(c))
	}
	for pi, rows := range photos {
		y := sheetHeadH + pi*(sheetCellH+sheetGap)
		if len(rows) > 0 {
			drawText(img, 6, y+sheetCellH/2, clip(rows[0].Name, (sheetLabelW-10)/7))
			drawText(img, 6, y+sheetCellH/2+16, fmt.Sprintf("faces %d", rows[0].Faces))
			drawText(img, 6, y+sheetCellH/2+32, fmt.Sprintf("people %d", rows[0].People))
		}
		byCond := map[string]Row{}
		for _, r := range rows {
			byCond[r.Condition] = r
		}
		for ci, c := range conds {
			r, ok := byCond[string(c)]
			if !ok {
				continue
			}
			v, err := imageio.Load(filepath.Join(out, filepath.FromSlash(r.FileName)))
			if err != nil {
				return nil, fmt.Errorf("pipeline: contact sheet: %w", err)
			}
			cell := image.Rect(0, 0, sheetCellW, sheetCellH).Add(image.Pt(sheetLabelW+ci*(sheetCellW+sheetGap), y))
			// Thumbnails are not hot: imaging's Linear filter (antialiased
			// when shrinking) does them.
			if r := fit(v.Rect.Size(), cell); !r.Empty() {
				xdraw.Draw(img, r, imaging.Resize(v, r.Dx(), r.Dy(), imaging.Linear), image.Point{}, xdraw.Src)
			}
		}
	}
	return img, nil
}

// fit returns the largest rectangle of size's aspect ratio centred in cell.
func fit(size image.Point, cell image.Rectangle) image.Rectangle {
	if size.X <= 0 || size.Y <= 0 {
		return image.Rectangle{}
	}
	cw, ch := cell.Dx(), cell.Dy()
	w, h := cw, size.Y*cw/size.X
	if h > ch {
		w, h = size.X*ch/size.Y, ch
	}
	x := cell.Min.X + (cw-w)/2
	y := cell.Min.Y + (ch-h)/2
	return image.Rect(x, y, x+w, y+h)
}

func drawText(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "."
}
