package report

import (
	"math"
	"time"

	"automl/scheduler"
	"automl/search"
	"automl/spacefile"
	"automl/trial"
	"automl/trial/triallog"
)

// Input is what Build reads: a study, its trials, and the intermediate
// reports of the trials whose learning curves are shown (see Load).
type Input struct {
	Study  *scheduler.Study
	Trials []trial.Record
	Curves map[int][]scheduler.Report
	// Now closes the bars of running trials on the timeline; zero: the
	// newest time found in the data.
	Now time.Time
	// Ref is the reference point of the hypervolume of a study of several
	// objectives, one value per objective in its own units (see Pareto);
	// nil: the nadir of the feasible trials plus 10% of their range.
	Ref []float64
}

// Data is a study ready to show: every view of the report and the
// dashboard is drawn from it.
type Data struct {
	Study *scheduler.Study
	// File is the study's parsed space file; nil when it no longer parses
	// (an algorithm or trainer not compiled in), and then Params are
	// inferred from the trials' values.
	File *spacefile.File
	// Rows are the trials in leaderboard order (best first).
	Rows       []Row
	Params     []Param
	Summary    Summary
	Importance Importance
	Curves     []Curve
	// Rungs are the resource levels where jobs ended and trials waited for
	// a promotion (multi-fidelity), in increasing order; nil otherwise.
	Rungs []float64
	Lanes []Lane
	// Pareto is the front and hypervolume of a study of several
	// objectives; nil for one objective.
	Pareto *Pareto
	// Logs are the last lines of failed trials' logs (see Load), by id.
	Logs map[int]triallog.Log
	// Ensemble is the ensemble built of the study's models, when one was
	// (see ReadEnsemble); the caller that knows where it lies sets it.
	Ensemble *Ensemble
	// Start and Now bound the timeline.
	Start, Now time.Time

	// coords[j][i] is row i's value of parameter j on its axis (Coord).
	coords [][]float64
}

// Build computes every view of a study. It does not modify in.
func Build(in Input) *Data {
	return build(in, Leaderboard(in.Study, in.Trials))
}

// build computes the views from the trials already ranked.
func build(in Input, rows []Row) *Data {
	d := &Data{Study: in.Study, Rows: rows}
	d.File = parseSpaceFile(in.Study)
	var space *search.Space
	if d.File != nil {
		space = d.File.Space
	}
	d.Params = paramsOf(space, d.Rows)
	d.coords = coordsOf(d.Params, d.Rows)
	d.Start, d.Now = timeSpan(in.Trials, in.Now)
	d.Lanes = lanesOf(d.Rows, d.Now)
	d.Summary = summarise(in.Study, d.Rows, d.Lanes, d.Start, d.Now)
	d.Importance = importanceOf(d)
	d.Curves, d.Rungs = curvesOf(in.Study, d.Rows, in.Curves)
	d.Pareto = paretoOf(in.Study, d.Rows, in.Ref)
	return d
}

// Best returns the best trial, or nil when no trial has a value yet.
func (d *Data) Best() *Row {
	if len(d.Rows) > 0 && d.Rows[0].Rank == 1 {
		return &d.Rows[0]
	}
	return nil
}

// timeSpan is the earliest start and the latest event time (or now).
func timeSpan(recs []trial.Record, now time.Time) (start, end time.Time) {
	for i := range recs {
		r := &recs[i]
		for _, t := range []time.Time{r.Created, r.Started} {
			if !t.IsZero() && (start.IsZero() || t.Before(start)) {
				start = t
			}
		}
		for _, t := range []time.Time{r.Started, r.Finished} {
			if t.After(end) {
				end = t
			}
		}
	}
	if !now.IsZero() {
		end = now
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

// coordsOf places every row's parameters on the axes, looking each name
// up once per row rather than each parameter in each row.
func coordsOf(params []Param, rows []Row) [][]float64 {
	index := make(map[string]int, len(params))
	out := make([][]float64, len(params))
	for j := range params {
		index[params[j].Name] = j
		out[j] = make([]float64, len(rows))
		for i := range out[j] {
			out[j][i] = math.NaN()
		}
	}
	for i := range rows {
		for _, nv := range rows[i].Params {
			if j, ok := index[nv.Name]; ok {
				out[j][i] = params[j].Coord(nv.Value)
			}
		}
	}
	return out
}
