package report

import (
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"automl/trial"
)

// curvesPlot: each trial's intermediate values over the resource, coloured
// by state; rungs as dashed lines, promotions as rings, the best in red.
func curvesPlot(d *Data) *plot.Plot {
	resource := "step"
	if d.File != nil && d.File.Resource != "" {
		resource = d.File.Resource
	}
	p := newStyledPlot("Learning curves · "+d.Study.Name, resource, d.Study.Metric)
	if len(d.Curves) == 0 {
		return note(p, "no trial reported intermediate values")
	}
	p.Add(gridStyle(p)...)
	var all []float64
	for _, c := range d.Curves {
		for _, pt := range c.Points {
			all = append(all, pt.Value)
		}
	}
	if useLog(all) {
		setLogY(p)
	}
	legend := map[trial.State]bool{}
	var promoted, ends plotter.XYs
	var endColors []color.Color
	var bestLine *plotter.Line
	for k := len(d.Curves) - 1; k >= 0; k-- {
		c := d.Curves[k]
		r := &d.Rows[c.Row]
		xys := make(plotter.XYs, len(c.Points))
		for m, pt := range c.Points {
			xys[m] = plotter.XY{X: pt.Step, Y: pt.Value}
			if m > 0 && pt.Attempt != c.Points[m-1].Attempt { // promoted at the previous point
				promoted = append(promoted, xys[m-1])
			}
		}
		// Where the trial stands: a dot (a one-point curve is this dot alone).
		ends = append(ends, xys[len(xys)-1])
		endColors = append(endColors, withAlpha(stateColor(r.State), 0.9))
		if r.Rank == 1 {
			endColors[len(endColors)-1] = bestColor
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			continue
		}
		l.LineStyle = draw.LineStyle{Color: withAlpha(stateColor(r.State), 0.6), Width: vg.Points(1)}
		if r.Rank == 1 {
			l.LineStyle = draw.LineStyle{Color: bestColor, Width: vg.Points(2.2)}
			bestLine = l
			continue
		}
		p.Add(l)
		if !legend[r.State] {
			legend[r.State] = true
			p.Legend.Add(r.State.String(), l)
		}
	}
	if bestLine != nil {
		p.Add(bestLine)
		p.Legend.Add("best", bestLine)
	}
	if len(ends) > 0 {
		s, _ := plotter.NewScatter(ends)
		s.GlyphStyleFunc = func(i int) draw.GlyphStyle {
			return draw.GlyphStyle{Color: endColors[i], Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
		}
		p.Add(s)
	}
	if len(promoted) > 0 {
		s, _ := plotter.NewScatter(promoted)
		s.GlyphStyle = draw.GlyphStyle{Color: rungColor, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}
		p.Add(s)
		p.Legend.Add("promoted", s)
	}
	for _, r := range d.Rungs {
		p.Add(&vline{x: r, label: "rung " + strconv.FormatFloat(r, 'g', -1, 64)})
	}
	return p
}

// vline is a dashed vertical line across the plot with a label at the top.
type vline struct {
	x     float64
	label string
}

func (v *vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	c.StrokeLine2(draw.LineStyle{Color: rungColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}, x, c.Min.Y, x, c.Max.Y)
	sty := p.Y.Tick.Label
	sty.Color = rungColor
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	c.FillText(sty, vg.Point{X: x, Y: c.Max.Y}, v.label)
}
