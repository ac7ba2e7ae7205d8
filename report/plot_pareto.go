package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"automl/trial"
	"automl/trial/goal"
)

// infeasibleColor greys out infeasible trials, as the page does.
var infeasibleColor = mutedInk

// paretoAxes picks the two objectives of a Pareto plot: the first two, or
// those named "x,y" in param.
func paretoAxes(d *Data, param string) (x, y int, err error) {
	if d.Pareto == nil {
		return 0, 0, badPlot("the %s plot is for studies of two or more objectives; study %q has one (%s)", "pareto", d.Study.Name, d.Study.Metric)
	}
	obj := d.Pareto.Objectives
	if param == "" {
		return 0, 1, nil
	}
	names := strings.Split(param, ",")
	find := func(n string) int {
		return slices.IndexFunc(obj, func(o trial.Objective) bool { return o.Metric == strings.TrimSpace(n) })
	}
	if len(names) == 2 {
		x, y = find(names[0]), find(names[1])
	}
	if len(names) != 2 || x < 0 || y < 0 || x == y {
		return 0, 0, badPlot("--param %q: want two different objectives x,y among %s", param, objectiveNames(obj))
	}
	return x, y, nil
}

// paretoPlot: every completed trial by two objectives; the front's trials
// larger, in the accent colour, joined by the step line of the front of
// the two objectives; infeasible trials grey.
func paretoPlot(d *Data, param string) (*plot.Plot, error) {
	x, y, err := paretoAxes(d, param)
	if err != nil {
		return nil, err
	}
	P := d.Pareto
	ox, oy := P.Objectives[x], P.Objectives[y]
	p := newStyledPlot("Pareto front · "+d.Study.Name, ox.Metric+" ("+ox.Direction.String()+")", oy.Metric+" ("+oy.Direction.String()+")")
	p.Add(gridStyle(p)...)
	var front, plain, infeasible plotter.XYs
	var feasible [][2]float64 // losses of the two objectives, for the step line
	for i := range d.Rows {
		r := &d.Rows[i]
		s := r.Standing
		if s == nil || s.Losses == nil {
			continue
		}
		pt := plotter.XY{X: ox.Loss(s.Losses[x]), Y: oy.Loss(s.Losses[y])}
		switch {
		case !goal.Feasible(s.Violation):
			infeasible = append(infeasible, pt)
		case s.Rank == 0:
			front = append(front, pt)
			feasible = append(feasible, [2]float64{s.Losses[x], s.Losses[y]})
		default:
			plain = append(plain, pt)
			feasible = append(feasible, [2]float64{s.Losses[x], s.Losses[y]})
		}
	}
	if len(front)+len(plain)+len(infeasible) == 0 {
		return note(p, "no trial has completed yet"), nil
	}
	var xs, ys []float64
	for _, set := range []plotter.XYs{front, plain, infeasible} {
		for _, q := range set {
			xs, ys = append(xs, q.X), append(ys, q.Y)
		}
	}
	if useLog(xs) { // as the page decides: values over orders of magnitude
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if useLog(ys) {
		setLogY(p)
	}
	add := func(xys plotter.XYs, label string, g draw.GlyphStyle) {
		if len(xys) == 0 {
			return
		}
		s, _ := plotter.NewScatter(xys)
		s.GlyphStyle = g
		p.Add(s)
		p.Legend.Add(label, s)
	}
	add(infeasible, fmt.Sprintf("infeasible (%d)", len(infeasible)), draw.GlyphStyle{Color: withAlpha(infeasibleColor, 0.45), Radius: vg.Points(2.4), Shape: draw.CircleGlyph{}})
	add(plain, "dominated", draw.GlyphStyle{Color: withAlpha(stateColor(trial.Completed), 0.55), Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}})
	if steps := stairs(feasible, ox, oy); len(steps) > 1 {
		l, _ := plotter.NewLine(steps)
		l.LineStyle = draw.LineStyle{Color: bestColor, Width: vg.Points(1.4)}
		p.Add(l)
	}
	add(front, fmt.Sprintf("Pareto front (%d)", len(front)), draw.GlyphStyle{Color: bestColor, Radius: vg.Points(3.6), Shape: draw.CircleGlyph{}})
	return p, nil
}

// stairs is the step line through the non-dominated points of the two
// objectives' losses (a staircase in loss space), in the objectives' own
// units.
func stairs(pts [][2]float64, ox, oy trial.Objective) plotter.XYs {
	nd := frontOf2(pts)
	var out plotter.XYs
	for k, q := range nd {
		if k > 0 {
			out = append(out, plotter.XY{X: ox.Loss(q[0]), Y: oy.Loss(nd[k-1][1])})
		}
		out = append(out, plotter.XY{X: ox.Loss(q[0]), Y: oy.Loss(q[1])})
	}
	return out
}

// frontOf2 is the non-dominated points of two losses, by the first
// ascending (the second then descends); copies kept once.
func frontOf2(pts [][2]float64) [][2]float64 {
	s := slices.Clone(pts)
	slices.SortFunc(s, func(a, b [2]float64) int {
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		return cmp.Compare(a[1], b[1])
	})
	var out [][2]float64
	for _, q := range s {
		if len(out) == 0 || q[1] < out[len(out)-1][1] {
			out = append(out, q)
		}
	}
	return out
}

// hypervolumePlot: the hypervolume of the feasible front after each
// completed trial, as a step line over trial ids.
func hypervolumePlot(d *Data) (*plot.Plot, error) {
	if d.Pareto == nil {
		return nil, badPlot("the %s plot is for studies of two or more objectives; study %q has one (%s)", "hypervolume", d.Study.Name, d.Study.Metric)
	}
	P := d.Pareto
	p := newStyledPlot("Hypervolume · "+d.Study.Name, "trial", "hypervolume of the feasible front")
	p.Add(gridStyle(p)...)
	if len(P.History) == 0 || P.Ref == nil {
		return note(p, "no feasible trial has completed yet"), nil
	}
	ref := make([]string, len(P.Ref))
	for m, r := range P.Ref {
		ref[m] = formatShort(r)
	}
	how := "given"
	if !P.RefGiven {
		how = "nadir + 10%"
	}
	p.Title.Text += fmt.Sprintf(" — reference point (%s) = (%s), %s", objectiveNames(P.Objectives), strings.Join(ref, ", "), how)
	xys := make(plotter.XYs, len(P.History))
	for i, h := range P.History {
		xys[i] = plotter.XY{X: float64(h.ID), Y: h.Hypervolume}
	}
	l, _ := plotter.NewLine(xys)
	l.StepStyle = plotter.PostStep
	l.LineStyle = draw.LineStyle{Color: bestColor, Width: vg.Points(1.8)}
	p.Add(l)
	s, _ := plotter.NewScatter(xys)
	s.GlyphStyle = draw.GlyphStyle{Color: withAlpha(bestColor, 0.5), Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
	p.Add(s)
	return p, nil
}
