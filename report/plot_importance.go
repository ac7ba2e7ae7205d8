package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// importancePlot: horizontal bars of each parameter's share, the most
// important at the top.
func importancePlot(d *Data) *plot.Plot {
	imp := d.Importance
	p := newStyledPlot("Parameter importance · "+d.Study.Name, "share of the importance (%)", "")
	if len(imp.Params) == 0 {
		return note(p, imp.Note)
	}
	p.Title.Text += fmt.Sprintf(" (fANOVA, %d trials)", imp.Trials)
	ps := imp.Params[:min(len(imp.Params), 30)]
	bars := &hbars{values: make([]float64, len(ps))}
	names := make([]string, len(ps))
	top := 0.0
	for k, pi := range ps { // bottom to top: least important first
		bars.values[len(ps)-1-k] = 100 * pi.Share
		names[len(ps)-1-k] = pi.Name
		top = math.Max(top, 100*pi.Share)
	}
	p.Add(gridStyle(p)...)
	p.Add(bars)
	p.NominalY(names...)
	p.Y.Tick.Label.Color = inkColor
	p.Y.Tick.Label.Font.Size = 11.5
	p.X.Min, p.X.Max = 0, math.Min(100, math.Ceil((top*1.15+2)/10)*10)
	p.Y.Min, p.Y.Max = -0.6, float64(len(ps))-0.4
	return p
}

// hbars draws a bar per value at y = its index, labelled with its value.
type hbars struct{ values []float64 }

func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := p.X.Tick.Label
	sty.Color = mutedInk
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	for k, v := range h.values {
		y0, y1 := trY(float64(k)-0.32), trY(float64(k)+0.32)
		x0, x1 := trX(0), max(trX(v), trX(0)+vg.Points(1))
		c.FillPolygon(ramp(0.45+0.5*v/100), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		c.FillText(sty, vg.Point{X: x1 + vg.Points(5), Y: trY(float64(k))}, fmt.Sprintf("%.1f%%", v))
	}
}
