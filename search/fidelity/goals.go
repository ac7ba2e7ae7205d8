package fidelity

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

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

// num is a float64 in JSON that may be infinite or NaN (a violation is
// +Inf, a slack NaN, when a constraint's metric was not reported): those
// are written as the strings "+Inf", "-Inf" and "NaN".
type num float64

func (x num) MarshalJSON() ([]byte, error) {
	v := float64(x)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Marshal(v)
}

func (x *num) UnmarshalJSON(b []byte) error {
	var v float64
	if err := json.Unmarshal(b, &v); err == nil {
		*x = num(v)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	v, err := strconv.ParseFloat(str, 64)
	if err != nil || !(math.IsNaN(v) || math.IsInf(v, 0)) {
		return fmt.Errorf("ledger: %s is not a number", b)
	}
	*x = num(v)
	return nil
}

type goalJSON struct {
	Losses    []num `json:"l"`
	Violation num   `json:"v,omitempty"`
	Slacks    []num `json:"s,omitempty"`
}

func nums(xs []float64) []num {
	if xs == nil {
		return nil
	}
	out := make([]num, len(xs))
	for i, v := range xs {
		out[i] = num(v)
	}
	return out
}

func floats(xs []num) []float64 {
	if xs == nil {
		return nil
	}
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

// MarshalJSON writes the goal with its non-finite numbers as strings.
func (g Goal) MarshalJSON() ([]byte, error) {
	return json.Marshal(goalJSON{nums(g.Losses), num(g.Violation), nums(g.Slacks)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (g *Goal) UnmarshalJSON(b []byte) error {
	var j goalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*g = Goal{Losses: floats(j.Losses), Violation: float64(j.Violation), Slacks: floats(j.Slacks)}
	return nil
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
