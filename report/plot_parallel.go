package report

import (
	"math"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// parallelPlot: one polyline per completed trial across an axis per
// parameter and one for the objective; darker is better, the best in red.
func parallelPlot(d *Data) *plot.Plot {
	p := newStyledPlot("Parallel coordinates · "+d.Study.Name, "", "")
	var rows []int
	var values []float64
	for i := range d.Rows {
		if d.Rows[i].Rank > 0 {
			rows = append(rows, i)
			values = append(values, d.Rows[i].Value)
		}
	}
	if len(rows) == 0 || len(d.Params) == 0 {
		return note(p, "no completed trials with parameters yet")
	}
	axes := make([]parallelAxis, 0, len(d.Params)+1)
	for j := range d.Params {
		axes = append(axes, paramAxis(d, j))
	}
	axes = append(axes, valueAxis(d.Study.Metric, values))
	lines := make([][]float64, len(rows)) // per trial, the [0, 1] position on each axis (NaN: absent)
	for k, i := range rows {
		r := &d.Rows[i]
		u := make([]float64, len(axes))
		for j := range d.Params {
			v, _ := r.Params.Get(d.Params[j].Name)
			u[j] = axes[j].norm(d.Params[j].Coord(v))
		}
		u[len(axes)-1] = axes[len(axes)-1].norm(r.Value)
		lines[k] = u
	}
	names := make([]string, len(axes))
	for a := range axes {
		names[a] = axes[a].name
	}
	p.NominalX(names...)
	p.X.Tick.Label.Font.Weight = xfont.WeightBold
	p.X.Tick.Label.Color = inkColor
	p.X.Min, p.X.Max = -0.1, float64(len(axes))-0.9
	p.Y.Min, p.Y.Max = inactiveAt-0.06, 1.03
	p.HideY()
	p.X.LineStyle.Width = 0
	p.Add(&parallelLines{lines: lines}, &parallelAxes{axes: axes})
	return p
}

// parallelAxis maps one axis's values into [0, 1] and labels its ends.
type parallelAxis struct {
	name        string
	conditional bool
	norm        func(x float64) float64
	labels      []axisLabel
}

type axisLabel struct {
	at   float64
	text string
}

func paramAxis(d *Data, j int) parallelAxis {
	prm := &d.Params[j]
	ax := parallelAxis{name: prm.Name, conditional: prm.Conditional}
	if prm.Categorical {
		n := float64(len(prm.Levels))
		ax.norm = func(x float64) float64 {
			if n <= 1 {
				return 0.5
			}
			return x / (n - 1)
		}
		step := max(1, len(prm.Levels)/12)
		for k := 0; k < len(prm.Levels); k += step {
			ax.labels = append(ax.labels, axisLabel{ax.norm(float64(k)), prm.Levels[k].String()})
		}
		return ax
	}
	lo, hi := prm.Low, prm.High
	for i := range d.Rows {
		v, _ := d.Rows[i].Params.Get(prm.Name)
		if x := prm.Coord(v); !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	ax.norm = spanNorm(lo, hi, prm.Log && lo > 0)
	ax.labels = []axisLabel{{0, formatShort(lo)}, {1, formatShort(hi)}}
	return ax
}

func valueAxis(metric string, values []float64) parallelAxis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return parallelAxis{name: metric, norm: spanNorm(lo, hi, useLog(values)),
		labels: []axisLabel{{0, formatShort(lo)}, {1, formatShort(hi)}}}
}

func spanNorm(lo, hi float64, log bool) func(float64) float64 {
	if log {
		lo, hi = math.Log(lo), math.Log(hi)
	}
	return func(x float64) float64 {
		if log {
			x = math.Log(x)
		}
		if hi <= lo {
			return 0.5
		}
		return (x - lo) / (hi - lo)
	}
}

// inactiveAt is where lines pass an axis whose (conditional) parameter is
// inactive in their trial: a slot below the axis, labelled "inactive".
const inactiveAt = -0.08

// parallelLines draws the trials' polylines, worst first so the best lie
// on top.
type parallelLines struct{ lines [][]float64 }

func (pl *parallelLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(pl.lines)
	width, alpha := vg.Points(1), 0.7
	if n > 300 {
		alpha = 0.4
	}
	if n > 3000 {
		width, alpha = vg.Points(0.5), 0.22
	}
	for k := n - 1; k >= 0; k-- { // lines are in rank order: best first
		sty := draw.LineStyle{Color: withAlpha(ramp(1-float64(k)/math.Max(1, float64(n-1))), alpha), Width: width}
		if k == 0 {
			sty = draw.LineStyle{Color: bestColor, Width: vg.Points(2)}
		}
		var seg []vg.Point
		for a, u := range pl.lines[k] {
			if math.IsNaN(u) {
				u = inactiveAt
			}
			seg = append(seg, vg.Point{X: trX(float64(a)), Y: trY(u)})
		}
		if len(seg) > 1 {
			c.StrokeLines(sty, seg)
		}
	}
}

// parallelAxes draws each axis as a vertical line with its end labels.
type parallelAxes struct{ axes []parallelAxis }

func (pa *parallelAxes) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := text.Style{Color: mutedInk, Font: font.From(p.X.Tick.Label.Font, vg.Points(9.5)), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: p.TextHandler}
	for a, ax := range pa.axes {
		x := trX(float64(a))
		c.StrokeLine2(draw.LineStyle{Color: inkColor, Width: vg.Points(1)}, x, trY(0), x, trY(1))
		for _, l := range ax.labels {
			c.FillText(sty, vg.Point{X: x + vg.Points(3), Y: trY(l.at)}, l.text)
		}
		if ax.conditional {
			c.FillText(sty, vg.Point{X: x + vg.Points(3), Y: trY(inactiveAt)}, "inactive")
		}
	}
}
