package scheduler

import (
	"reflect"
	"testing"
	"time"

	"automl/search"
	"automl/trial"
	"automl/trial/goal"
)

// TestObservationCarriesLossesAndViolation: what samplers will read of a
// study of several objectives with constraints, beside Loss (the first).
func TestObservationCarriesLossesAndViolation(t *testing.T) {
	space, err := search.NewSpace([]search.Param{{Name: "x", Type: search.FloatParam, Low: 0, High: 1}})
	check(t, err)
	max1 := 1.0
	g := goal.Set{Objectives: []trial.Objective{{Metric: "a", Direction: trial.Minimize}, {Metric: "b", Direction: trial.Maximize}},
		Constraints: []goal.Constraint{{Metric: "c", Max: &max1}}}
	l := newLedger("s", "i1", space, g, trial.Retry{}, "epochs")
	for id, m := range []trial.Metrics{{"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 5, "c": 0}, {"a": 3, "b": 1, "c": 0}} {
		l.create(id, point(0.5), search.Span{}, time.Unix(90, 0))
		mustApply(t, l, exitEv(id, 1, 1, &trial.Result{Outcome: trial.ExitDone, Metrics: m}))
	}
	o, _ := l.history.Get(0)
	if !o.HasLoss || o.Loss != 1 || !reflect.DeepEqual(o.Losses, []float64{1, -2}) || o.Violation != 2 {
		t.Errorf("observation %+v; want loss 1, losses [1 -2], violation 2", o)
	}
	if !reflect.DeepEqual(o.Slacks, []float64{-2}) {
		t.Errorf("observation's slacks %v; want [-2] (c = 3 over its max 1)", o.Slacks)
	}
	if _, ok := l.best(); ok {
		t.Error("a study of several objectives has a best")
	}
	front, hv := l.front()
	// Trial 0 is infeasible; trial 1 (2, -5) dominates trial 2 (3, -1).
	if len(front) != 1 || front[0].ID != 1 || hv <= 0 {
		t.Errorf("front %+v, hypervolume %v; want trial 1 alone", front, hv)
	}
}
