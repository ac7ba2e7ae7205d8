package fidelity

import (
	"cmp"
	"math"
	"slices"

	"automl/search"
	"automl/search/pareto"
)

// Several objectives and constraints (MO-ASHA, Schmucker et al. 2021):
// a trial of a study with several objectives, or with constraints,
// carries at each rung the loss vector, total violation and constraint
// slacks of its job's exit there (Trial.Goals), as the scheduler's history
// shows them once the job has exited: the trainer's final metrics of that
// job, reported at the rung's resource, so every objective is compared at
// the same step. (A job that reached a rung without every objective's
// metric failed, trial/goal.Set.Judge, and has no result there.)
// Intermediate reports are not used, as for one objective. A rung then
// ranks its results by non-dominated sorting under constraint domination
// (feasible before infeasible, infeasible by total violation), and within
// one front by crowding distance, larger first, so the promoted trials
// spread along the front (Order); a study of one objective without
// constraints ranks by loss, as before. A model sampler (BOHB's) sees each
// result's goals at its budget (ModelHistory).

// Goal is a trial's result at one rung for a study of several objectives
// or with constraints (search.Observation's Losses, Violation, Slacks).
type Goal struct {
	Losses    []float64 `json:"l"`
	Violation float64   `json:"v,omitempty"`
	Slacks    []float64 `json:"s,omitempty"`
}

// goalOf is the goal an exited trial's observation carries, nil for a
// study of one objective without constraints.
func goalOf(h *search.History, id int) *Goal {
	o, ok := h.Get(id)
	if !ok || len(o.Losses) == 0 || (len(o.Losses) < 2 && o.Slacks == nil) {
		return nil
	}
	return &Goal{Losses: slices.Clone(o.Losses), Violation: o.Violation, Slacks: slices.Clone(o.Slacks)}
}

// goalAt is t's goal at rung (nil: none).
func (t *Trial) goalAt(rung int) *Goal {
	if rung < len(t.Goals) {
		return t.Goals[rung]
	}
	return nil
}

// Order sorts trials with a result at rung best first, for promotion:
// when every one carries a goal there, by Pareto rank under constraint
// domination, then crowding distance within the rank (larger first),
// then id; otherwise by loss, then id (SortByLoss).
func Order(ts []*Trial, rung int) {
	losses := make([][]float64, len(ts))
	viol := make([]float64, len(ts))
	for i, t := range ts {
		g := t.goalAt(rung)
		if g == nil || (i > 0 && len(g.Losses) != len(losses[0])) {
			SortByLoss(ts, rung)
			return
		}
		losses[i], viol[i] = g.Losses, g.Violation
	}
	ranks, err := pareto.Ranks(losses, viol)
	if err != nil {
		SortByLoss(ts, rung)
		return
	}
	crowd := make([]float64, len(ts))
	byRank := map[int][]int{}
	for i, r := range ranks {
		byRank[r] = append(byRank[r], i)
	}
	for _, idx := range byRank {
		front := make([][]float64, len(idx))
		for k, i := range idx {
			front[k] = losses[i]
		}
		c, err := pareto.Crowding(front)
		for k, i := range idx {
			if err == nil {
				crowd[i] = c[k]
			}
		}
	}
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(ranks[a], ranks[b]); c != 0 {
			return c
		}
		if ca, cb := crowd[a], crowd[b]; ca != cb && !math.IsNaN(ca) && !math.IsNaN(cb) {
			return cmp.Compare(cb, ca)
		}
		return cmp.Compare(ts[a].ID, ts[b].ID)
	})
	sorted := make([]*Trial, len(ts))
	for k, i := range order {
		sorted[k] = ts[i]
	}
	copy(ts, sorted)
}
