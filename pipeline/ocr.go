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
// workers; size its pool (ocrfilter.WithPoolSize) to their number.
func OCRFilter(f *ocrfilter.Filter) Filter {
	return FilterFunc(func(ctx context.Context, img *image.RGBA, rec Record) (bool, any, error) {
		d, err := f.Decide(ctx, img, rec.Name, rec.Aliases)
		if err != nil {
			return false, nil, err
		}
		return d.Keep, d.Evidence, nil
	})
}
