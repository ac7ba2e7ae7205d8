package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// timelinePlot: a row per worker slot or GPU, a bar per trial's latest job
// from its start to its end, coloured by state.
func timelinePlot(d *Data) *plot.Plot {
	p := newStyledPlot("Timeline · "+d.Study.Name, "seconds since the first trial started", "")
	if len(d.Lanes) == 0 {
		return note(p, "no trial has started yet")
	}
	p.Title.Text += fmt.Sprintf(" (%.0f%% slot utilisation)", 100*d.Summary.Utilisation)
	n := len(d.Lanes)
	names := make([]string, n)
	for k, l := range d.Lanes { // the first lane at the top
		names[n-1-k] = l.Name
	}
	if n <= 40 {
		p.NominalY(names...)
	} else {
		p.HideY()
	}
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.X.Min, p.X.Max = 0, max(d.Now.Sub(d.Start).Seconds(), 1e-3)
	p.Add(gridStyle(p)...)
	p.Add(&timelineBars{d: d})
	return p
}

type timelineBars struct{ d *Data }

func (tb *timelineBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(tb.d.Lanes)
	for k, l := range tb.d.Lanes {
		y := float64(n - 1 - k)
		for _, b := range l.Bars {
			r := &tb.d.Rows[b.Row]
			x0 := trX(b.Start.Sub(tb.d.Start).Seconds())
			x1 := max(trX(b.End.Sub(tb.d.Start).Seconds()), x0+vg.Points(0.6))
			y0, y1 := trY(y-0.38), trY(y+0.38)
			var col color.Color = withAlpha(stateColor(r.State), 0.9)
			rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
			c.FillPolygon(col, rect)
			if r.Rank == 1 {
				c.StrokeLines(draw.LineStyle{Color: bestColor, Width: vg.Points(1.5)}, append(rect, rect[0]))
			}
		}
	}
}
