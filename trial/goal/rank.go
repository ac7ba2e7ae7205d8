package goal

import (
	"automl/search/pareto"
	"automl/trial"
)

// Standing is a completed trial's place among its study's completed
// trials.
type Standing struct {
	// Losses are its objectives as losses; nil when one is missing (the
	// trial then has no place: Rank is -1).
	Losses []float64
	// Violation is its total constraint violation (0: feasible).
	Violation float64
	// Rank is its Pareto rank under constraint domination (pareto.Ranks):
	// 0 is the front, the feasible trials no feasible trial dominates;
	// infeasible trials come after every feasible one, by violation.
	Rank int
	// Crowding is its crowding distance among the trials of its rank
	// (pareto.Crowding; +Inf at the ends), for several objectives.
	Crowding float64
}

// Rank places each trial, given by its final metrics, among the others.
func (s Set) Rank(ms []trial.Metrics) []Standing {
	out := make([]Standing, len(ms))
	var losses [][]float64
	var viol []float64
	var idx []int
	for i, m := range ms {
		l, _, ok := s.Losses(m)
		out[i].Rank = -1
		if !ok {
			continue
		}
		out[i].Losses = l
		out[i].Violation, _ = s.Violation(m)
		losses = append(losses, l)
		viol = append(viol, out[i].Violation)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return out
	}
	v := viol
	if !s.Constrained() {
		v = nil
	}
	ranks, err := pareto.Ranks(losses, v)
	if err != nil { // the losses are finite and of one length: cannot happen
		return out
	}
	byRank := map[int][]int{}
	for j, r := range ranks {
		out[idx[j]].Rank = r
		byRank[r] = append(byRank[r], j)
	}
	if !s.Multi() {
		return out
	}
	for _, members := range byRank {
		front := make([][]float64, len(members))
		for n, j := range members {
			front[n] = losses[j]
		}
		cd, err := pareto.Crowding(front)
		if err != nil {
			continue
		}
		for n, j := range members {
			out[idx[j]].Crowding = cd[n]
		}
	}
	return out
}

// Front is the indices of the standings on the Pareto front: rank 0 and
// feasible (a study none of whose trials is feasible has no front).
func Front(st []Standing) []int {
	var f []int
	for i := range st {
		if st[i].Rank == 0 && Feasible(st[i].Violation) {
			f = append(f, i)
		}
	}
	return f
}

// Hypervolume is the hypervolume of the front of the standings and the
// reference point it is measured against: the nadir of the feasible
// trials plus a tenth of their range (pareto.Reference). ok is false when
// no trial is feasible.
func Hypervolume(st []Standing) (hv float64, ref []float64, ok bool) {
	var feasible, front [][]float64
	for i := range st {
		if st[i].Losses == nil || !Feasible(st[i].Violation) {
			continue
		}
		feasible = append(feasible, st[i].Losses)
		if st[i].Rank == 0 {
			front = append(front, st[i].Losses)
		}
	}
	if len(feasible) == 0 {
		return 0, nil, false
	}
	ref, err := pareto.Reference(feasible)
	if err != nil {
		return 0, nil, false
	}
	hv, err = pareto.Hypervolume(front, ref)
	if err != nil {
		return 0, nil, false
	}
	return hv, ref, true
}
