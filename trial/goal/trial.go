package goal

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"automl/search"
	"automl/trial"
)

// Judge completes the exit policy (trial.Decide, which reads the first
// objective) for the rest of the set, given the metrics the attempt left:
// a trial completing or pausing without another objective's metric (or
// with one that is not a finite number) fails as it would without the
// first; a completed trial with a constraint metric missing is
// infeasible, and its note says which.
func (s Set) Judge(x trial.Exit, m trial.Metrics) trial.Exit {
	if x.State != trial.Completed && x.State != trial.Paused {
		return x
	}
	if _, missing, ok := s.Losses(m); !ok {
		if v, reported := m[missing]; reported {
			x.Error = fmt.Sprintf("objective metric %q is %v", missing, v)
		} else {
			x.Error = fmt.Sprintf("the trainer did not report the objective metric %q (it reported: %s)", missing, names(m))
		}
		x.State, x.Value, x.HasValue = trial.Failed, 0, false
		return x
	}
	if _, why := s.Violation(m); why != "" && x.State == trial.Completed {
		x.Note = why
	}
	return x
}

// Observe fills in what samplers will read of a trial with a value
// (search.Observation's Losses and Violation) from its final metrics;
// samplers of one objective keep reading Loss.
func (s Set) Observe(o *search.Observation, m trial.Metrics) {
	o.Losses, o.Violation, o.Slacks = nil, 0, nil
	if l, _, ok := s.Losses(m); ok {
		o.Losses = l
		o.Violation, _ = s.Violation(m)
		o.Slacks = s.Slacks(m)
	}
}

// Before reports whether completed trial a ranks before b in a study of
// one objective: a feasible trial before every infeasible one, feasible
// ones by value, infeasible ones by total violation; ties by id.
func (s Set) Before(a, b *trial.Record) bool {
	va, vb := s.violation(a), s.violation(b)
	fa, fb := Feasible(va), Feasible(vb)
	switch {
	case fa != fb:
		return fa
	case !fa && va != vb:
		return va < vb
	case a.Value != b.Value:
		return s.Objectives[0].Better(a.Value, b.Value)
	}
	return a.ID < b.ID
}

// violation is a record's total violation, 0 without constraints.
func (s Set) violation(r *trial.Record) float64 {
	if !s.Constrained() {
		return 0
	}
	v, _ := s.Violation(r.Metrics)
	return v
}

// Ranked are the trials of a study that have a place among the others
// (completed at their full budget, every objective reported) and their
// standings.
type Ranked struct {
	Index    []int // into the records given
	Standing []Standing
}

// RankRecords ranks the completed trials among recs (see Set.Rank).
// Those ended at a lower rung of a multi-fidelity study have no place.
func (s Set) RankRecords(recs []*trial.Record) Ranked {
	var r Ranked
	var ms []trial.Metrics
	for i, rec := range recs {
		if rec.State == trial.Completed && !rec.Pause {
			r.Index = append(r.Index, i)
			ms = append(ms, rec.Metrics)
		}
	}
	r.Standing = s.Rank(ms)
	return r
}

// Front is the indices (into the records ranked) of the Pareto front.
func (r Ranked) Front() []int {
	f := Front(r.Standing)
	for n, i := range f {
		f[n] = r.Index[i]
	}
	return f
}

// FrontOf is the Pareto front among recs (see RankRecords and Front), in
// their order, and its hypervolume (Hypervolume; 0 when none is feasible).
func (s Set) FrontOf(recs []*trial.Record) ([]*trial.Record, float64) {
	r := s.RankRecords(recs)
	var front []*trial.Record
	for _, i := range r.Front() {
		front = append(front, recs[i])
	}
	hv, _, _ := Hypervolume(r.Standing)
	return front, hv
}

// Order sorts standings for a leaderboard: by rank, then by crowding
// distance (larger first), then by the first loss; it returns -1, 0, 1.
func Order(a, b *Standing) int {
	if c := cmp.Compare(a.Rank, b.Rank); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Crowding, a.Crowding); c != 0 && !math.IsNaN(a.Crowding) && !math.IsNaN(b.Crowding) {
		return c
	}
	if len(a.Losses) > 0 && len(b.Losses) > 0 {
		return cmp.Compare(a.Losses[0], b.Losses[0])
	}
	return 0
}

func names(m trial.Metrics) string {
	if len(m) == 0 {
		return "nothing"
	}
	ns := make([]string, 0, len(m))
	for k := range m {
		ns = append(ns, k)
	}
	slices.Sort(ns)
	return strings.Join(ns, ", ")
}
