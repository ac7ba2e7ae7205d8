package report

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"automl/scheduler"
	"automl/search/pareto"
	"automl/trial"
	"automl/trial/goal"
)

// Pareto is what the report shows of a study of several objectives: its
// Pareto front in numbers and its hypervolume after each trial.
type Pareto struct {
	Objectives []trial.Objective
	// Ref is the reference point the hypervolume is measured against, in
	// the objectives' own units (a maximised objective's value, not its
	// loss): the one asked for (RefGiven), else the nadir of the feasible
	// trials plus a tenth of their range in each objective.
	Ref      []float64
	RefGiven bool
	// Front is the number of trials on the front; Hypervolume its
	// hypervolume. OK is false while no trial is feasible: there is no
	// front, and without a given reference point no hypervolume.
	Front       int
	Hypervolume float64
	OK          bool
	// History is the hypervolume of the feasible front after each
	// completed trial, in creation (id) order, against Ref.
	History []HVPoint
}

// HVPoint is the hypervolume of the front once trial ID completed.
type HVPoint struct {
	ID          int
	Hypervolume float64
}

// ParseRefPoint reads a reference point written as comma-separated
// numbers, one per objective of the study, in the objectives' own units
// ("1.1,1.1"). flag names the option in errors, which match ErrBadPlot
// (errors.Is): the reference point is an option of the plots.
func ParseRefPoint(st *scheduler.Study, flag, s string) ([]float64, error) {
	goals := st.Goals()
	if !goals.Multi() {
		return nil, badPlot("%s: study %q has one objective; a reference point is for studies of two or more", flag, st.Name)
	}
	parts := strings.Split(s, ",")
	if len(parts) != len(goals.Objectives) {
		return nil, badPlot("%s %q: %d values, want one per objective (%s)", flag, s, len(parts), objectiveNames(goals.Objectives))
	}
	ref := make([]float64, len(parts))
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, badPlot("%s %q: value %d (%s) is %q, not a finite number", flag, s, i+1, goals.Objectives[i].Metric, strings.TrimSpace(p))
		}
		ref[i] = x
	}
	return ref, nil
}

func objectiveNames(os []trial.Objective) string {
	names := make([]string, len(os))
	for i, o := range os {
		names[i] = o.Metric
	}
	return strings.Join(names, ", ")
}

// paretoOf is the Pareto view of the ranked rows, nil for a study of one
// objective. ref is the reference point asked for (nil: the default; one
// of the wrong length is ignored: Load refuses it).
func paretoOf(st *scheduler.Study, rows []Row, ref []float64) *Pareto {
	goals := st.Goals()
	if !goals.Multi() {
		return nil
	}
	obj := goals.Objectives
	p := &Pareto{Objectives: obj}
	var standings []goal.Standing
	for i := range rows {
		if rows[i].Standing != nil {
			standings = append(standings, *rows[i].Standing)
		}
	}
	var lossRef []float64
	if len(ref) == len(obj) {
		p.RefGiven = true
		lossRef = make([]float64, len(obj))
		for m, o := range obj {
			lossRef[m] = o.Loss(ref[m])
		}
	} else if _, r, ok := goal.Hypervolume(standings); ok {
		lossRef = r
	}
	if lossRef == nil {
		return p // no trial is feasible: no front, no reference point
	}
	p.Ref = make([]float64, len(obj))
	for m, o := range obj {
		p.Ref[m] = o.Loss(lossRef[m]) // a loss's negation is its value
	}
	var front [][]float64
	for _, i := range goal.Front(standings) {
		front = append(front, standings[i].Losses)
	}
	p.Front, p.OK = len(front), len(front) > 0
	p.Hypervolume, _ = pareto.Hypervolume(front, lossRef)
	p.History = hypervolumeHistory(rows, lossRef)
	return p
}

// hypervolumeHistory is the hypervolume of the feasible front after each
// completed trial, taken in id order (the order trials were created in).
func hypervolumeHistory(rows []Row, ref []float64) []HVPoint {
	var order []int
	for i := range rows {
		if s := rows[i].Standing; s != nil && s.Losses != nil && rows[i].State != trial.Imported {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return rows[a].ID - rows[b].ID })
	out := make([]HVPoint, 0, len(order))
	var front [][]float64
	hv := 0.0
	for _, i := range order {
		s := rows[i].Standing
		if goal.Feasible(s.Violation) && !slices.ContainsFunc(front, func(f []float64) bool { return weaklyDominates(f, s.Losses) }) {
			front = slices.DeleteFunc(front, func(f []float64) bool { return weaklyDominates(s.Losses, f) })
			front = append(front, s.Losses)
			hv, _ = pareto.Hypervolume(front, ref)
		}
		out = append(out, HVPoint{ID: rows[i].ID, Hypervolume: hv})
	}
	return out
}

// weaklyDominates: a is no worse than b in every objective.
func weaklyDominates(a, b []float64) bool {
	for m := range a {
		if !(a[m] <= b[m]) {
			return false
		}
	}
	return true
}

// appendPareto writes the Pareto view for the page: null for a study of
// one objective, else its objectives, reference point, front and
// hypervolume, the hypervolume after each trial ([id, hv] pairs), and for
// every row in leaderboard order its objectives' values ("obj", one column
// per objective, null when missing), its Pareto rank ("rank", -1 without
// one) and whether it is feasible ("feas", 1 or 0).
func (d *Data) appendPareto(b []byte) []byte {
	b = append(b, `,"pareto":`...)
	p := d.Pareto
	if p == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"objectives":`...)
	b = appendMarshal(b, p.Objectives)
	b = append(b, `,"ref":`...)
	if p.Ref == nil {
		b = append(b, "null"...)
	} else {
		b = appendFloats(b, p.Ref)
	}
	b = append(b, `,"ref_given":`...)
	b = strconv.AppendBool(b, p.RefGiven)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, p.OK)
	b = append(b, `,"front":`...)
	b = strconv.AppendInt(b, int64(p.Front), 10)
	b = append(b, `,"hv":`...)
	b = appendFloat(b, p.Hypervolume)
	b = append(b, `,"history":[`...)
	for i, h := range p.History {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(h.ID), 10)
		b = append(b, ',')
		b = appendFloat(b, h.Hypervolume)
		b = append(b, ']')
	}
	b = append(b, `],"obj":[`...)
	for m, o := range p.Objectives {
		if m > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for i := range d.Rows {
			if i > 0 {
				b = append(b, ',')
			}
			if x, ok := d.Rows[i].Metrics[o.Metric]; ok {
				b = appendFloat(b, x)
			} else {
				b = append(b, "null"...)
			}
		}
		b = append(b, ']')
	}
	b = append(b, `],"rank":[`...)
	for i := range d.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		r := -1
		if s := d.Rows[i].Standing; s != nil {
			r = s.Rank
		}
		b = strconv.AppendInt(b, int64(r), 10)
	}
	b = append(b, `],"feas":[`...)
	for i := range d.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		f := byte('0')
		if s := d.Rows[i].Standing; s != nil && goal.Feasible(s.Violation) {
			f = '1'
		}
		b = append(b, f)
	}
	return append(b, "]}"...)
}
