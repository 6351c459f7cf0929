package pipeline

import (
	"context"
	"image"

	"github.com/phantom-vlm/phantom/ocrfilter"
)

// OCRFilter adapts an ocrfilter.Filter to the builder: a photo is dropped
// when Tesseract reads a run of the record's name or of an alias in it, and
// the evidence written to filtered.jsonl is the filter's (the runs found,
// with their words, boxes and confidences). The Filter is shared by the
// workers; size its pool (ocrfilter.WithPoolSize) to their number. Its
// Settings are recorded in build.json and in the rows' ocr column.
func OCRFilter(f *ocrfilter.Filter) Filter { return ocrAdapter{f} }

type ocrAdapter struct{ f *ocrfilter.Filter }

func (a ocrAdapter) Keep(ctx context.Context, img *image.RGBA, rec Record) (bool, any, error) {
	d, err := a.f.Decide(ctx, img, rec.Name, rec.Aliases)
	if err != nil {
		return false, nil, err
	}
	return d.Keep, d.Evidence, nil
}

// Settings returns the filter's settings (ocrfilter.Filter.Settings).
func (a ocrAdapter) Settings() string { return a.f.Settings() }
