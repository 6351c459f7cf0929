package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var (
	barColor     = color.RGBA{R: 0x3b, G: 0x6e, B: 0xa5, A: 0xff}
	pointColor   = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}
	intervalGrey = color.Gray{Y: 0x40}
)

// renderPNG draws p as a PNG of w×h.
func renderPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// identityBars implements the XYer and XErrorer of the bar chart's
// Wilson intervals: bar i is at y = i.
type identityBars []IdentityRow

func (b identityBars) Len() int { return len(b) }
func (b identityBars) Value(i int) float64 {
	if b[i].Scored == 0 {
		return 0
	}
	return b[i].Rate()
}
func (b identityBars) XY(i int) (float64, float64) { return b.Value(i), float64(i) }
func (b identityBars) XError(i int) (float64, float64) {
	if b[i].Scored == 0 {
		return 0, 0
	}
	lo, hi := b[i].Wilson()
	return b.Value(i) - lo, hi - b.Value(i)
}

// identityFigure draws the people PickIdentities chose as horizontal bars
// with 95% Wilson intervals, in its order from the top, a gap row before
// the drawn ones. title is the figure's title.
func identityFigure(shown []ShownIdentity, title string) ([]byte, error) {
	// Bottom to top: the last shown first.
	var bars identityBars
	var names []string
	for i := len(shown) - 1; i >= 0; i-- {
		bars = append(bars, shown[i].IdentityRow)
		names = append(names, fmt.Sprintf("%s (%d)", shown[i].Name, shown[i].Scored))
		if i > 0 && shown[i].Drawn && !shown[i-1].Drawn {
			bars = append(bars, IdentityRow{})
			names = append(names, "drawn at random:")
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "% answers naming the person, with 95% Wilson interval; (n) = scored answers"
	p.X.Min, p.X.Max = 0, 100
	p.X.Tick.Marker = plot.ConstantTicks(percentTicks(10))
	p.Add(plotter.NewGrid())
	bc, err := plotter.NewBarChart(bars, vg.Points(9))
	if err != nil {
		return nil, err
	}
	bc.Horizontal = true
	bc.Color = barColor
	bc.LineStyle.Width = 0
	eb, err := plotter.NewXErrorBars(bars)
	if err != nil {
		return nil, err
	}
	eb.Color = intervalGrey
	eb.CapWidth = vg.Points(5)
	p.Add(bc, eb)
	p.NominalY(names...)
	h := vg.Points(float64(14*len(bars)) + 100)
	return renderPNG(p, 8*vg.Inch, max(h, 3*vg.Inch))
}

// percentTicks returns major ticks every step percent from 0 to 100.
func percentTicks(step int) []plot.Tick {
	var t []plot.Tick
	for v := 0; v <= 100; v += step {
		t = append(t, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
	}
	return t
}

// distributionFigure draws the histogram of per-person leak rates, bins
// as Distribution makes them, under title.
func distributionFigure(dist []DistributionBin, title string) ([]byte, error) {
	bins := make([]plotter.HistogramBin, len(dist))
	most := 0.0
	for i, b := range dist {
		bins[i] = plotter.HistogramBin{Min: b.Low, Max: b.High, Weight: float64(b.People)}
		most = math.Max(most, bins[i].Weight)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "% answers naming the person"
	p.Y.Label.Text = "people"
	p.X.Min, p.X.Max = 0, 100
	p.X.Tick.Marker = plot.ConstantTicks(percentTicks(10))
	h := &plotter.Histogram{Bins: bins, Width: distributionWidth, FillColor: barColor, LineStyle: plotter.DefaultLineStyle}
	h.LineStyle.Color = color.White
	p.Add(plotter.NewGrid(), h)
	p.Y.Min, p.Y.Max = 0, most*1.08+0.5
	return renderPNG(p, 7*vg.Inch, 4.5*vg.Inch)
}

// FrequencyPoint is one person's name count and leak rate.
type FrequencyPoint struct {
	Name  string
	Count float64
	// Leaks and Scored are the person's leaks and scored answers; Rate is
	// their percentage, the figure's y.
	Leaks, Scored int
	Rate          float64
}

// frequencyFigure draws leak rate against name count on a log x axis, with
// Spearman's ρ over all points and what (the answers chosen) in the title.
// Points with a count ≤ 0 cannot be placed on the log axis and are left out
// of the drawing (not of ρ).
func frequencyFigure(pts []FrequencyPoint, rho float64, what string) ([]byte, error) {
	var xys plotter.XYs
	for _, pt := range pts {
		if pt.Count > 0 {
			xys = append(xys, plotter.XY{X: pt.Count, Y: pt.Rate})
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Leak rate vs name frequency: Spearman's ρ = %s, n = %d\n%s", rhoText(rho), len(pts), what)
	p.X.Label.Text = "name count in the text corpus (log scale)"
	p.Y.Label.Text = "% answers naming the person (the rate, not the count of leaks)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = plot.ConstantTicks(percentTicks(10))
	p.Add(plotter.NewGrid())
	if len(xys) > 0 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color = pointColor
		s.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(s)
		lo, hi := xys[0].X, xys[0].X
		for _, xy := range xys {
			lo, hi = math.Min(lo, xy.X), math.Max(hi, xy.X)
		}
		if lo == hi {
			lo, hi = lo/2, hi*2
		}
		p.X.Min, p.X.Max = lo/1.5, hi*1.5
	}
	return renderPNG(p, 7*vg.Inch, 5*vg.Inch)
}

func rhoText(rho float64) string {
	if math.IsNaN(rho) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", rho)
}
