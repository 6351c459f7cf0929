package pipeline

import (
	"context"
	"image"
)

// NameFilter says whether a photo shows a name (or one of its aliases) as
// text, with the evidence to record when it does, and describes its
// settings; *ocrfilter.Filter is one (its KeepPhoto and Settings). It is an
// interface so that this package builds without Tesseract.
type NameFilter interface {
	KeepPhoto(ctx context.Context, img image.Image, name string, aliases []string) (keep bool, evidence any, err error)
	Settings() string
}

// OCRFilter adapts a NameFilter (an *ocrfilter.Filter) to the builder: a
// photo is dropped when the filter reads a run of the record's name or of
// an alias in it, and the evidence written to filtered.jsonl is the
// filter's (the runs found, with their words, boxes and confidences). The
// filter is shared by the workers; size its pool (ocrfilter.WithPoolSize)
// to their number. Its Settings are recorded in build.json and in the rows'
// ocr column.
func OCRFilter(f NameFilter) Filter { return ocrAdapter{f} }

type ocrAdapter struct{ f NameFilter }

func (a ocrAdapter) Keep(ctx context.Context, img *image.RGBA, rec Record) (bool, any, error) {
	return a.f.KeepPhoto(ctx, img, rec.Name, rec.Aliases)
}

// Settings returns the filter's settings (ocrfilter.Filter.Settings).
func (a ocrAdapter) Settings() string { return a.f.Settings() }
