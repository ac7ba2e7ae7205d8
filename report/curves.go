package report

import (
	"math"
	"slices"

	"automl/scheduler"
	"automl/trial"
)

// Curve is one trial's learning curve: the objective's intermediate values.
type Curve struct {
	Row    int // index into Data.Rows
	Points []CurvePoint
}

// CurvePoint is one intermediate value. Attempt changes along a curve
// where the trial was promoted (or retried): a new job resumed it.
type CurvePoint struct {
	Step, Value float64
	Attempt     int
}

// maxRungs bounds the rung lines drawn.
const maxRungs = 16

// curvesOf turns the reports given into curves, in leaderboard order, and
// finds the rungs of a multi-fidelity study.
func curvesOf(st *scheduler.Study, rows []Row, reports map[int][]scheduler.Report) ([]Curve, []float64) {
	var curves []Curve
	if len(reports) > 0 {
		for i := range rows {
			reps := reports[rows[i].ID]
			if len(reps) == 0 {
				continue
			}
			c := Curve{Row: i}
			for _, rp := range reps {
				v, ok := rp.Metrics[st.Metric]
				if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				c.Points = append(c.Points, CurvePoint{Step: rp.Step, Value: v, Attempt: rp.Attempt})
			}
			if len(c.Points) > 0 {
				curves = append(curves, c)
			}
		}
	}
	return curves, rungsOf(rows)
}

// rungsOf lists where jobs ended short of a trial's end: the To of paused
// trials and the From of promoted ones. A study without multi-fidelity has
// none.
func rungsOf(rows []Row) []float64 {
	seen := map[float64]bool{}
	var rungs []float64
	add := func(x float64) {
		if x > 0 && !seen[x] && len(rungs) < maxRungs {
			seen[x] = true
			rungs = append(rungs, x)
		}
	}
	for i := range rows {
		r := &rows[i].Record
		add(r.From)
		if r.State == trial.Paused || r.State == trial.Pruned {
			add(r.To)
		}
	}
	slices.Sort(rungs)
	return rungs
}
