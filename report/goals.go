package report

import (
	"math"

	"automl/trial"
	"automl/trial/goal"
)

// stand gives each trial completed at its full budget its Standing
// among the others (a study of several objectives or with constraints).
func stand(goals goal.Set, rows []Row) {
	recs := make([]*trial.Record, len(rows))
	for i := range rows {
		recs[i] = &rows[i].Record
	}
	r := goals.RankRecords(recs)
	for n, i := range r.Index {
		if st := r.Standing[n]; st.Rank >= 0 {
			rows[i].Standing, rows[i].constrained = &st, goals.Constrained()
		}
	}
}

// ParetoFront keeps the rows of the Pareto front: trials completed at
// their full budget, feasible, that no feasible trial dominates (rows of
// a study of one objective have none).
func ParetoFront(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if r.onFront() {
			out = append(out, r)
		}
	}
	return out
}

// FrontSummary is a study's Pareto front in numbers: its size and its
// hypervolume against the nadir of the feasible trials plus 10%
// (goal.Hypervolume); ok is false when no trial is feasible.
func FrontSummary(rows []Row) (size int, hypervolume float64, ok bool) {
	var st []goal.Standing
	for _, r := range rows {
		if r.Standing != nil {
			st = append(st, *r.Standing)
		}
	}
	hv, _, ok := goal.Hypervolume(st)
	return len(goal.Front(st)), hv, ok
}

func (r *Row) onFront() bool {
	return r.Standing != nil && r.Standing.Rank == 0 && goal.Feasible(r.Standing.Violation)
}

func (r *Row) paretoRank() *int {
	if r.Standing == nil {
		return nil
	}
	return &r.Standing.Rank
}

func (r *Row) feasible() *bool {
	if r.Standing == nil || !r.constrained {
		return nil
	}
	f := goal.Feasible(r.Standing.Violation)
	return &f
}

// violation is the total violation for JSON: none when infinite (a
// constraint's metric was not reported; feasible says false).
func (r *Row) violation() *float64 {
	if r.Standing == nil || !r.constrained || math.IsInf(r.Standing.Violation, 0) {
		return nil
	}
	return &r.Standing.Violation
}

// goalColumns are the columns of a study of several objectives or with
// constraints: every objective but the first (which has its own column,
// as in a study of one) and the Pareto rank (several objectives), and
// whether a trial is feasible and by how much it is not (constraints).
func goalColumns(goals goal.Set) []Column {
	var cols []Column
	if goals.Multi() {
		for _, o := range goals.Objectives[1:] {
			cols = append(cols, floatColumn(o.Metric, func(r *Row) (float64, bool) { x, ok := r.Metrics[o.Metric]; return x, ok }))
		}
		cols = append(cols, intColumn("pareto_rank", func(r *Row) (int, bool) {
			if r.Standing == nil {
				return 0, false
			}
			return r.Standing.Rank, true
		}))
	}
	if goals.Constrained() {
		cols = append(cols,
			Column{
				Name: "feasible",
				Get: func(r *Row) string {
					if f := r.feasible(); f != nil {
						return map[bool]string{true: "yes", false: "no"}[*f]
					}
					return ""
				},
				Data: func(r *Row) any {
					if f := r.feasible(); f != nil {
						return *f
					}
					return nil
				},
			},
			floatColumn("violation", func(r *Row) (float64, bool) {
				if r.Standing == nil {
					return 0, false
				}
				return r.Standing.Violation, true
			}))
	}
	return cols
}
