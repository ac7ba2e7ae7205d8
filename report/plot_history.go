package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"automl/trial"
)

// historyPlot: every trial's value by trial id, the best so far as a step
// line, pruned trials as crosses, failed ones as ticks on the axis.
func historyPlot(d *Data) *plot.Plot {
	p := newStyledPlot("Optimization history · "+d.Study.Name, "trial", d.Study.Metric)
	p.Add(gridStyle(p)...)
	var values []float64
	for i := range d.Rows {
		if d.Rows[i].HasValue && d.Rows[i].State != trial.Imported {
			values = append(values, d.Rows[i].Value)
		}
	}
	if len(values) == 0 {
		return note(p, "no trial has a value yet")
	}
	logY := useLog(values)
	if logY {
		setLogY(p)
	}
	order := make([]int, 0, len(d.Rows))
	for i := range d.Rows {
		if d.Rows[i].State != trial.Imported { // not run here: the history is the study's own
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(d.Rows[a].ID, d.Rows[b].ID) })
	var done, cut, failed plotter.XYs
	lo := slices.Min(values)
	for _, i := range order {
		r := &d.Rows[i]
		pt := plotter.XY{X: float64(r.ID), Y: r.Value}
		switch {
		case r.State == trial.Failed:
			failed = append(failed, plotter.XY{X: float64(r.ID), Y: lo})
		case !r.HasValue || (logY && r.Value <= 0):
		case r.State == trial.Pruned || r.State == trial.Stopped:
			cut = append(cut, pt)
		default:
			done = append(done, pt)
		}
	}
	radius := vg.Points(2.6)
	if len(d.Rows) > 2000 {
		radius = vg.Points(1.6)
	}
	alpha := 0.7
	if len(d.Rows) > 5000 {
		alpha = 0.4
	}
	if len(done) > 0 {
		s, _ := plotter.NewScatter(done)
		s.GlyphStyle = draw.GlyphStyle{Color: withAlpha(stateColor(trial.Completed), alpha), Radius: radius, Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add("completed", s)
	}
	if len(cut) > 0 {
		s, _ := plotter.NewScatter(cut)
		s.GlyphStyle = draw.GlyphStyle{Color: stateColor(trial.Pruned), Radius: radius + 0.5, Shape: draw.CrossGlyph{}}
		p.Add(s)
		p.Legend.Add("pruned or stopped", s)
	}
	if len(failed) > 0 {
		s, _ := plotter.NewScatter(failed)
		s.GlyphStyle = draw.GlyphStyle{Color: stateColor(trial.Failed), Radius: radius + 1, Shape: draw.PyramidGlyph{}}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("failed (%d)", len(failed)), s)
	}
	if best := bestSoFar(d, order); len(best) > 0 {
		l, _ := plotter.NewLine(best)
		l.StepStyle = plotter.PostStep
		l.LineStyle = draw.LineStyle{Color: bestColor, Width: vg.Points(1.8)}
		p.Add(l)
		p.Legend.Add("best so far", l)
	}
	return p
}

// bestSoFar is the running best over trial ids, extended to the last id.
func bestSoFar(d *Data, order []int) plotter.XYs {
	var out plotter.XYs
	maximize := d.Study.Direction == trial.Maximize
	best := math.NaN()
	for _, i := range order {
		r := &d.Rows[i]
		if r.Rank == 0 {
			continue
		}
		if math.IsNaN(best) || (maximize && r.Value > best) || (!maximize && r.Value < best) {
			best = r.Value
			out = append(out, plotter.XY{X: float64(r.ID), Y: best})
		}
	}
	if len(out) > 0 && len(order) > 0 {
		out = append(out, plotter.XY{X: float64(d.Rows[order[len(order)-1]].ID), Y: best})
	}
	return out
}

// slicePlot: the objective against one parameter, darker for later trials.
func slicePlot(d *Data, j int) *plot.Plot {
	prm := &d.Params[j]
	p := newStyledPlot("Slice · "+prm.Name, prm.Name, d.Study.Metric)
	p.Add(gridStyle(p)...)
	var xys plotter.XYs
	var ids, values []float64
	for i := range d.Rows {
		r := &d.Rows[i]
		v, _ := r.Params.Get(prm.Name)
		x := prm.Coord(v)
		if !r.HasValue || math.IsNaN(x) || r.State == trial.Imported {
			continue
		}
		if prm.Categorical {
			x += jitter(r.ID)
		}
		xys = append(xys, plotter.XY{X: x, Y: r.Value})
		ids = append(ids, float64(r.ID))
		values = append(values, r.Value)
	}
	if len(xys) == 0 {
		return note(p, "no trial with this parameter has a value yet")
	}
	if useLog(values) {
		setLogY(p)
	}
	if prm.Log && prm.Low > 0 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if prm.Categorical {
		labels := make([]string, len(prm.Levels))
		for k, l := range prm.Levels {
			labels[k] = l.String()
		}
		p.NominalX(labels...)
		p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	}
	lo, hi := slices.Min(ids), slices.Max(ids)
	s, _ := plotter.NewScatter(xys)
	s.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: withAlpha(ramp((ids[i]-lo)/math.Max(1, hi-lo)), 0.85), Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
	}
	p.Add(s)
	return p
}

// jitter spreads one categorical level's points, the same way each time
// (the page uses the same formula).
func jitter(id int) float64 {
	h := uint32(id) * 2654435761
	return (float64(h%1000)/1000 - 0.5) * 0.5
}

// gridStyle returns light grid lines for the plot's axes.
func gridStyle(_ *plot.Plot) []plot.Plotter {
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridColor, gridColor
	g.Vertical.Width, g.Horizontal.Width = vg.Points(0.8), vg.Points(0.8)
	return []plot.Plotter{g}
}
