package goal

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"automl/search"
	"automl/trial"
)

func f(x float64) *float64 { return &x }

var (
	acc = trial.Objective{Metric: "acc", Direction: trial.Maximize}
	lat = trial.Objective{Metric: "latency", Direction: trial.Minimize}
	two = Set{Objectives: []trial.Objective{acc, lat}, Constraints: []Constraint{{Metric: "params", Max: f(100)}, {Metric: "acc", Min: f(0.5)}}}
)

func TestLossesTurnDirectionsIntoLosses(t *testing.T) {
	l, missing, ok := two.Losses(trial.Metrics{"acc": 0.9, "latency": 3, "other": 1})
	if !ok || missing != "" || !reflect.DeepEqual(l, []float64{-0.9, 3}) {
		t.Errorf("Losses = %v, %q, %v; want [-0.9 3]", l, missing, ok)
	}
	for _, m := range []trial.Metrics{{"acc": 0.9}, {"acc": 0.9, "latency": math.NaN()}, {"latency": 1}} {
		if _, missing, ok := two.Losses(m); ok || missing == "" {
			t.Errorf("Losses(%v): ok with nothing missing", m)
		}
	}
	if _, missing, _ := two.Losses(trial.Metrics{"acc": 1}); missing != "latency" {
		t.Errorf("missing = %q, want latency", missing)
	}
}

func TestViolationSumsHowFarEachBoundIsExceeded(t *testing.T) {
	for _, tc := range []struct {
		m    trial.Metrics
		want float64
	}{
		{trial.Metrics{"acc": 0.9, "params": 100}, 0},      // on the bound: feasible
		{trial.Metrics{"acc": 0.9, "params": 150}, 50},     // max exceeded by 50
		{trial.Metrics{"acc": 0.25, "params": 150}, 50.25}, // and min by 0.25
		{trial.Metrics{"acc": 0.5, "params": -1}, 0},
	} {
		v, why := two.Violation(tc.m)
		if v != tc.want || why != "" {
			t.Errorf("Violation(%v) = %v, %q; want %v", tc.m, v, why, tc.want)
		}
		if Feasible(v) != (tc.want == 0) {
			t.Errorf("Feasible(%v) = %v", v, Feasible(v))
		}
	}
	v, why := two.Violation(trial.Metrics{"acc": 0.9})
	if !math.IsInf(v, 1) || Feasible(v) || !strings.Contains(why, `infeasible: constraint metric "params" not reported`) {
		t.Errorf("a missing constraint metric: %v, %q; want +Inf and the reason", v, why)
	}
	if v, why := (Set{Objectives: []trial.Objective{acc}}).Violation(nil); v != 0 || why != "" {
		t.Errorf("no constraints: %v, %q", v, why)
	}
}

func TestConstraintString(t *testing.T) {
	if s := (Constraint{Metric: "a", Max: f(5)}).String() + ", " + (Constraint{Metric: "b", Min: f(0.5)}).String(); s != "a <= 5, b >= 0.5" {
		t.Errorf("String = %q", s)
	}
}

// TestRankPutsTheFrontFirstAndInfeasibleLast: feasible trials by Pareto
// rank, infeasible ones after every feasible one by violation; a trial
// without every objective has no place.
func TestRankPutsTheFrontFirstAndInfeasibleLast(t *testing.T) {
	ms := []trial.Metrics{
		{"acc": 0.9, "latency": 5, "params": 10},   // 0: front
		{"acc": 0.8, "latency": 2, "params": 10},   // 1: front
		{"acc": 0.7, "latency": 6, "params": 10},   // 2: dominated by 0 and 1: rank 1
		{"acc": 0.99, "latency": 1, "params": 500}, // 3: dominates all, but infeasible by 400
		{"acc": 0.95, "latency": 1, "params": 110}, // 4: infeasible by 10
		{"acc": 0.95},               // 5: no latency: no place
		{"acc": 0.95, "latency": 1}, // 6: params missing: infeasible, +Inf
	}
	st := two.Rank(ms)
	ranks := make([]int, len(st))
	for i := range st {
		ranks[i] = st[i].Rank
	}
	if want := []int{0, 0, 1, 3, 2, -1, 4}; !reflect.DeepEqual(ranks, want) {
		t.Errorf("ranks = %v, want %v", ranks, want)
	}
	if st[5].Losses != nil || st[3].Violation != 400 || st[4].Violation != 10 {
		t.Errorf("standings %+v", st)
	}
	if front := Front(st); !reflect.DeepEqual(front, []int{0, 1}) {
		t.Errorf("Front = %v", front)
	}
	if !math.IsInf(st[0].Crowding, 1) || !math.IsInf(st[1].Crowding, 1) {
		t.Errorf("a front of two is all boundary: crowding %v, %v", st[0].Crowding, st[1].Crowding)
	}
	// Hypervolume: the feasible trials are 0, 1, 2; losses (-0.9, 5),
	// (-0.8, 2), (-0.7, 6); the nadir (-0.7, 6) plus a tenth of the range
	// (0.02, 0.4) is (-0.68, 6.4).
	hv, ref, ok := Hypervolume(st)
	wantRef := []float64{-0.68, 6.4}
	if !ok || math.Abs(ref[0]-wantRef[0]) > 1e-12 || math.Abs(ref[1]-wantRef[1]) > 1e-12 {
		t.Fatalf("reference = %v, %v; want %v", ref, ok, wantRef)
	}
	want := (ref[0]-(-0.9))*(ref[1]-5) + (ref[0]-(-0.8))*(ref[1]-2) - (ref[0]-(-0.8))*(ref[1]-5)
	if math.Abs(hv-want) > 1e-12 {
		t.Errorf("hypervolume = %v, want %v", hv, want)
	}
	if _, _, ok := Hypervolume(two.Rank([]trial.Metrics{{"acc": 0.9, "latency": 1, "params": 1000}})); ok {
		t.Error("hypervolume of a study with no feasible trial")
	}
}

func TestOrderByRankCrowdingThenFirstLoss(t *testing.T) {
	a := Standing{Rank: 0, Crowding: math.Inf(1), Losses: []float64{2}}
	b := Standing{Rank: 0, Crowding: 1, Losses: []float64{1}}
	c := Standing{Rank: 0, Crowding: 1, Losses: []float64{3}}
	d := Standing{Rank: 1, Crowding: math.Inf(1), Losses: []float64{0}}
	if Order(&a, &b) >= 0 || Order(&b, &c) >= 0 || Order(&c, &d) >= 0 || Order(&d, &a) <= 0 || Order(&b, &b) != 0 {
		t.Error("Order is not rank, then crowding (larger first), then the first loss")
	}
}

func TestBeforeInOneObjective(t *testing.T) {
	s := Set{Objectives: []trial.Objective{{Metric: "loss", Direction: trial.Minimize}}, Constraints: []Constraint{{Metric: "c", Max: f(1)}}}
	rec := func(id int, v, c float64) *trial.Record {
		return &trial.Record{ID: id, Value: v, HasValue: true, Metrics: trial.Metrics{"loss": v, "c": c}}
	}
	feasBad, feasGood, infeasSmall, infeasBig := rec(1, 5, 0), rec(2, 1, 1), rec(3, 0, 2), rec(4, -1, 9)
	for _, tc := range []struct {
		a, b *trial.Record
		want bool
	}{
		{feasGood, feasBad, true}, {feasBad, feasGood, false},
		{feasBad, infeasSmall, true}, {infeasSmall, feasBad, false},
		{infeasSmall, infeasBig, true}, {infeasBig, infeasSmall, false},
		{rec(1, 2, 0), rec(2, 2, 0), true}, // ties by id
	} {
		if got := s.Before(tc.a, tc.b); got != tc.want {
			t.Errorf("Before(trial %d, trial %d) = %v", tc.a.ID, tc.b.ID, got)
		}
	}
}

func TestJudge(t *testing.T) {
	done := trial.Exit{State: trial.Completed, Value: 0.9, HasValue: true}
	x := two.Judge(done, trial.Metrics{"acc": 0.9})
	if x.State != trial.Failed || x.HasValue || !strings.Contains(x.Error, `did not report the objective metric "latency" (it reported: acc)`) {
		t.Errorf("missing second objective: %+v", x)
	}
	x = two.Judge(done, trial.Metrics{"acc": 0.9, "latency": 1})
	if x.State != trial.Completed || !strings.Contains(x.Note, `"params" not reported`) {
		t.Errorf("missing constraint metric: %+v; want completed, infeasible, the note saying why", x)
	}
	x = two.Judge(done, trial.Metrics{"acc": 0.9, "latency": 1, "params": 1e9})
	if x != done {
		t.Errorf("infeasible by its value: %+v, want it unchanged", x)
	}
	pruned := trial.Exit{State: trial.Pruned}
	if x := two.Judge(pruned, nil); x != pruned {
		t.Errorf("pruned: %+v", x)
	}
}

func TestObserve(t *testing.T) {
	var o search.Observation
	two.Observe(&o, trial.Metrics{"acc": 0.9, "latency": 3, "params": 120})
	if !reflect.DeepEqual(o.Losses, []float64{-0.9, 3}) || o.Violation != 20 {
		t.Errorf("Observe: %+v", o)
	}
	if len(o.Slacks) != 2 || o.Slacks[0] != -20 || math.Abs(o.Slacks[1]-0.4) > 1e-12 {
		t.Errorf("Observe: slacks %v, want [-20 0.4] (params 120 over its max 100, acc 0.9 over its min 0.5)", o.Slacks)
	}
	two.Observe(&o, trial.Metrics{"acc": 0.9, "latency": 3})
	if len(o.Slacks) != 2 || !math.IsNaN(o.Slacks[0]) || math.Abs(o.Slacks[1]-0.4) > 1e-12 || !math.IsInf(o.Violation, 1) {
		t.Errorf("Observe without a constraint's metric: slacks %v (want NaN first), violation %v", o.Slacks, o.Violation)
	}
	two.Observe(&o, trial.Metrics{"acc": 0.9})
	if o.Losses != nil || o.Violation != 0 || o.Slacks != nil {
		t.Errorf("Observe without every objective: %+v", o)
	}
}
