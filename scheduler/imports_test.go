package scheduler_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/search/benchfn"
	"automl/search/value"
	"automl/trial"
)

const tpeBranin = `
study: warm
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: tpe, seed: 7}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// braninResults are n results of an earlier study of Branin (its points
// drawn at random, seed 3), as an import brings them.
func braninResults(n int) []trial.Record {
	rng := rand.New(rand.NewPCG(3, 3))
	out := make([]trial.Record, n)
	for i := range out {
		x0, x1 := -5+15*rng.Float64(), 15*rng.Float64()
		v := benchfn.Branin([]float64{x0, x1})
		out[i] = trial.Record{
			Params: value.Values{{Name: "x0", Value: value.Float(x0)}, {Name: "x1", Value: value.Float(x1)}},
			Value:  v, HasValue: true, Metrics: trial.Metrics{"value": v},
			Source: fmt.Sprintf("/data/earlier.csv:%d", i+2),
		}
	}
	return out
}

// A warm start (Config.Imports) adds the results as imported trials before
// the searcher's first call: they take the first ids, are never run, and
// leave the whole trial budget to the study's own trials; TPE's first
// proposal then lies near the best imported result, where a cold study's
// does not. Continuing the study imports nothing twice.
func TestWarmStartImportsBeforeTheFirstProposal(t *testing.T) {
	imports := braninResults(30)
	// TPE models the best results (its good group: here the best 3), and
	// Branin has three minima: the first proposal should be near one of
	// the best results.
	top := append([]trial.Record(nil), imports...)
	slices.SortFunc(top, func(a, b trial.Record) int { return cmp.Compare(a.Value, b.Value) })
	top = top[:3]
	first := func(st scheduler.StudyState) trial.Record {
		for _, r := range st.Trials {
			if r.State != trial.Imported {
				return r
			}
		}
		t.Fatal("no trial of the study's own")
		return trial.Record{}
	}
	distance := func(a trial.Record) float64 { // to the nearest of the best results, in the unit square
		d := math.Inf(1)
		for _, b := range top {
			dx := (a.Params.Float("x0", 0) - b.Params.Float("x0", 0)) / 15
			dy := (a.Params.Float("x1", 0) - b.Params.Float("x1", 0)) / 15
			d = min(d, math.Hypot(dx, dy))
		}
		return d
	}

	cold := newHarness(t, fmt.Sprintf(tpeBranin, 4))
	if _, err, _ := cold.run(context.Background(), funcs.Runner{}, 1, nil); err != nil {
		t.Fatal(err)
	}
	warm := newHarness(t, fmt.Sprintf(tpeBranin, 4))
	runner := newCounting(funcs.Runner{})
	sum, err, _ := warm.run(context.Background(), runner, 1, func(c *scheduler.Config) { c.Imports = imports })
	if err != nil {
		t.Fatal(err)
	}
	st := warm.load()
	c := countStates(st.Trials)
	if c[trial.Imported] != 30 || c[trial.Completed] != 4 || len(st.Trials) != 34 {
		t.Fatalf("trials by state %v (of %d), want 30 imported and the budget's 4 completed", c, len(st.Trials))
	}
	if sum.Reason != "trial budget of 4 used" || sum.Counts[trial.Imported] != 30 {
		t.Fatalf("summary %q, counts %v", sum.Reason, sum.Counts)
	}
	for _, r := range st.Trials {
		if r.State == trial.Imported && (r.ID >= 30 || runner.count(r.ID) != 0 || r.Source == "" || r.Attempt != 0) {
			t.Fatalf("imported trial %+v: want ids 0..29, never run, with its source", r)
		}
	}
	if best, ok := sum.Best, sum.HasBest; !ok || best.State != trial.Completed {
		t.Fatalf("the study's best is %+v (%v); imported results are not the study's own", best, ok)
	}
	w, c0 := first(st), first(cold.load())
	dWarm, dCold := distance(w), distance(c0)
	t.Logf("first proposal: warm %v = %.4g, %.3f from the nearest of the best 3 imported (unit square); cold %v = %.4g, %.3f; best imported %.4g",
		w.Params, w.Value, dWarm, c0.Params, c0.Value, dCold, top[0].Value)
	if w.Params.Float("x0", 0) == c0.Params.Float("x0", 0) || dWarm >= dCold || dWarm > 0.1 {
		t.Fatal("the warm study's first proposal is not near the best imported results: it did not learn from them")
	}

	// Continued with a higher budget: the imports are in the study already.
	warm.space = parse(t, fmt.Sprintf(tpeBranin, 6))
	if _, err, _ := warm.run(context.Background(), runner, 1, func(c *scheduler.Config) { c.Imports = imports }); err != nil {
		t.Fatal(err)
	}
	if c := countStates(warm.load().Trials); c[trial.Imported] != 30 || c[trial.Completed] != 4 {
		t.Fatalf("continued (the stored budget of 4 stays): %v", c)
	}
}
