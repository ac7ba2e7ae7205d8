package scheduler_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"automl/scheduler"
	"automl/search/pareto"
	"automl/trial"
)

const twoObjectives = `
study: mo
objectives:
  - {metric: f1, direction: minimize}
  - {metric: f2, direction: maximize}
budget: {trials: 40}
algorithm: {name: random, seed: 3}
trainer: {plugin: ./trainer}
parameters:
  x: {type: float, low: 0, high: 1}
  y: {type: float, low: 0, high: 1}
`

// moRunner reports f1 = x, f2 = x - y (maximised): the front is the
// trials with y small for their x. Trials with x > 0.95 leave f2 out.
var moRunner = trial.RunnerFunc(func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	x, y := spec.Params.Float("x", math.NaN()), spec.Params.Float("y", math.NaN())
	m := trial.Metrics{"f1": x, "f2": x - y}
	if x > 0.95 {
		delete(m, "f2")
	}
	return trial.Result{Outcome: trial.ExitDone, Metrics: m}, nil
})

// TestTwoObjectivesFront: a study of two objectives has no best but a
// front: the completed trials no other dominates, checked by brute force;
// a trial without the second objective's metric fails, naming it.
func TestTwoObjectivesFront(t *testing.T) {
	h := newHarness(t, twoObjectives)
	sum, err, _ := h.run(context.Background(), moRunner, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.HasBest || len(sum.Front) == 0 || sum.Hypervolume <= 0 {
		t.Fatalf("summary: has best %v, front %d, hypervolume %v; want a front and its hypervolume", sum.HasBest, len(sum.Front), sum.Hypervolume)
	}
	st := h.load()
	var losses [][]float64
	var ids []int
	failed := 0
	for _, r := range st.Trials {
		if r.State == trial.Failed {
			failed++
			if !strings.Contains(r.Error, `the trainer did not report the objective metric "f2"`) {
				t.Errorf("trial %d failed with %q; want the missing objective named", r.ID, r.Error)
			}
			continue
		}
		if r.State != trial.Completed || r.Value != r.Metrics["f1"] {
			t.Fatalf("trial %d: %s, value %v (want f1's, %v)", r.ID, r.State, r.Value, r.Metrics["f1"])
		}
		losses = append(losses, []float64{r.Metrics["f1"], -r.Metrics["f2"]})
		ids = append(ids, r.ID)
	}
	if failed == 0 || failed == len(st.Trials) {
		t.Fatalf("%d of %d trials failed; the seed should give some with x > 0.95 and some without", failed, len(st.Trials))
	}
	var want []int
	for i := range losses {
		dominated := false
		for j := range losses {
			dominated = dominated || pareto.Dominates(losses[j], losses[i])
		}
		if !dominated {
			want = append(want, ids[i])
		}
	}
	var got []int
	for _, r := range sum.Front {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("front = %v, want %v (brute force)", got, want)
	}
	if study := st.Study; len(study.Objectives) != 2 || study.Objective.Metric != "f1" {
		t.Errorf("stored study: objective %+v, objectives %+v", study.Objective, study.Objectives)
	}
}

const constrained = `
study: c
objective: {metric: loss, direction: minimize}
constraints: [{metric: c, max: 0.5}]
budget: {trials: 30}
algorithm: {name: %s, seed: 5}
trainer: {plugin: ./trainer}
parameters:
  x: {type: float, low: 0, high: 1}
`

// cRunner reports loss = x and c = 1 - x: feasible when x >= 0.5, so the
// best feasible trial is not the one of least loss. Trials with x < 0.1
// leave c out: infeasible, with the reason in their note.
var cRunner = trial.RunnerFunc(func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	x := spec.Params.Float("x", math.NaN())
	m := trial.Metrics{"loss": x, "c": 1 - x}
	if x < 0.1 {
		delete(m, "c")
	}
	return trial.Result{Outcome: trial.ExitDone, Metrics: m}, nil
})

// TestConstrainedBestIsTheBestFeasible, with a sampler and a model-based
// algorithm (which may ignore feasibility but runs).
func TestConstrainedBestIsTheBestFeasible(t *testing.T) {
	for _, algo := range []string{"random", "tpe"} {
		h := newHarness(t, strings.Replace(constrained, "%s", algo, 1))
		sum, err, _ := h.run(context.Background(), cRunner, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, noted := -1, 0
		for _, r := range h.load().Trials {
			if r.State != trial.Completed {
				t.Fatalf("%s: trial %d %s: %s", algo, r.ID, r.State, r.Error)
			}
			if _, ok := r.Metrics["c"]; !ok {
				noted++
				if !strings.Contains(r.Note, `infeasible: constraint metric "c" not reported`) {
					t.Errorf("%s: trial %d without c: note %q", algo, r.ID, r.Note)
				}
			}
			if r.Value >= 0.5 && (want < 0 || r.Value < h.load().Trials[want].Value) {
				want = r.ID
			}
		}
		if want < 0 {
			t.Fatalf("%s: no feasible trial", algo)
		}
		if !sum.HasBest || sum.Best.ID != want || sum.Front != nil {
			t.Errorf("%s: best = trial %d (has %v), want the best feasible, trial %d", algo, sum.Best.ID, sum.HasBest, want)
		}
		if algo == "random" && noted == 0 {
			t.Errorf("%s: no trial without c; the seed should give one", algo)
		}
	}
}

// TestResumeKeepsTheFront: a study stopped part way and resumed ends with
// the front the same study run without a stop finds; resuming a finished
// study changes nothing.
func TestResumeKeepsTheFront(t *testing.T) {
	h := newHarness(t, twoObjectives)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	stopping := trial.RunnerFunc(func(c context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if n++; n == 15 {
			cancel()
		}
		return moRunner(c, spec, rep)
	})
	if _, err, _ := h.run(ctx, stopping, 1, nil); err == nil {
		t.Fatal("the interrupted run ended without an error")
	}
	if done := len(h.load().Trials); done >= 40 {
		t.Fatalf("the interrupted run created %d trials; want fewer than the budget", done)
	}
	sum, err, _ := h.run(context.Background(), moRunner, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err, _ := h.run(context.Background(), moRunner, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(s scheduler.Summary) []int {
		var out []int
		for _, r := range s.Front {
			out = append(out, r.ID)
		}
		return out
	}
	whole, err, _ := newHarness(t, twoObjectives).run(context.Background(), moRunner, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Front) == 0 || !slices.Equal(ids(sum), ids(whole)) || sum.Hypervolume != whole.Hypervolume {
		t.Errorf("front after resume %v (hv %v), without a stop %v (hv %v)", ids(sum), sum.Hypervolume, ids(whole), whole.Hypervolume)
	}
	if !slices.Equal(ids(sum), ids(again)) || sum.Hypervolume != again.Hypervolume {
		t.Errorf("front after resume %v (hv %v), after another run %v (hv %v)", ids(sum), sum.Hypervolume, ids(again), again.Hypervolume)
	}
}
