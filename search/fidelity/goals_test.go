package fidelity_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"automl/search"
	"automl/search/fidelity"
)

func ids(ts []*fidelity.Trial) []int {
	out := make([]int, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// TestOrderByRankAndCrowding: results with goals are ordered by Pareto
// rank under constraint domination, then crowding (larger first), then
// id; one result without a goal makes the rung rank by loss.
func TestOrderByRankAndCrowding(t *testing.T) {
	mk := func(id int, loss float64, g *fidelity.Goal) *fidelity.Trial {
		return &fidelity.Trial{ID: id, Loss: []float64{loss}, At: []float64{1}, Goals: []*fidelity.Goal{g}}
	}
	ts := []*fidelity.Trial{
		mk(0, 0, &fidelity.Goal{Losses: []float64{0, 10}}),
		mk(1, 1, &fidelity.Goal{Losses: []float64{1, 6}}),
		mk(2, 2, &fidelity.Goal{Losses: []float64{2, 4}}),
		mk(3, 6, &fidelity.Goal{Losses: []float64{6, 1}}),
		mk(4, 10, &fidelity.Goal{Losses: []float64{10, 0}}),
		mk(5, 3, &fidelity.Goal{Losses: []float64{3, 5}}),                  // rank 1
		mk(6, -1, &fidelity.Goal{Losses: []float64{-1, -1}, Violation: 2}), // infeasible, worse
		mk(7, -2, &fidelity.Goal{Losses: []float64{-2, -2}, Violation: 1}), // infeasible
	}
	fidelity.Order(ts, 0)
	if got, want := ids(ts), []int{0, 4, 3, 2, 1, 5, 7, 6}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v (front by crowding: ends, 1.2, 1.0, 0.8; then rank 1; then infeasible by violation)", got, want)
	}
	ts = append(ts, &fidelity.Trial{ID: 8, Loss: []float64{0.5}, At: []float64{1}})
	fidelity.Order(ts, 0)
	if got, want := ids(ts), []int{7, 6, 0, 8, 1, 2, 5, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("order with a result without goals %v, want by loss %v", got, want)
	}
}

// TestLedgerKeepsGoals: an exit records the goals the history shows for
// the trial at its rung; the model history of that budget carries them,
// and the ledger's JSON keeps them.
func TestLedgerKeepsGoals(t *testing.T) {
	l := fidelity.NewLedger()
	l.Add(0, 0)
	h := &search.History{}
	h.Add(search.Observation{ID: 0, Point: nil, Status: search.Complete, Loss: 1, HasLoss: true, Losses: []float64{1, 2}, Violation: 0.5, Slacks: []float64{-0.5}})
	if _, ok := l.Exit(h, search.Event{Kind: search.Exited, ID: 0, Step: 3, Loss: 1, HasLoss: true, Status: search.Complete}, 3, false); !ok {
		t.Fatal("exit not applied")
	}
	want := &fidelity.Goal{Losses: []float64{1, 2}, Violation: 0.5, Slacks: []float64{-0.5}}
	tr, _ := l.Get(0)
	if len(tr.Goals) != 1 || !reflect.DeepEqual(tr.Goals[0], want) {
		t.Fatalf("goals %+v, want [%+v]", tr.Goals, want)
	}
	mh := l.ModelHistory(h, 3)
	if o := mh.Trials[0]; !reflect.DeepEqual(o.Losses, want.Losses) || o.Violation != 0.5 || !reflect.DeepEqual(o.Slacks, want.Slacks) {
		t.Errorf("model history %+v", o)
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	back := fidelity.NewLedger()
	if err := json.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	if tb, _ := back.Get(0); !reflect.DeepEqual(tb.Goals, tr.Goals) {
		t.Errorf("after JSON: %+v, want %+v", tb.Goals, tr.Goals)
	}
}

// TestGoalJSONNotFinite: a trial that did not report a constraint's
// metric has an infinite violation and a NaN slack; the ledger's JSON
// keeps them.
func TestGoalJSONNotFinite(t *testing.T) {
	g := fidelity.Goal{Losses: []float64{1, 2}, Violation: math.Inf(1), Slacks: []float64{math.NaN(), -0.5}}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var back fidelity.Goal
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(back.Losses, g.Losses) || !math.IsInf(back.Violation, 1) || len(back.Slacks) != 2 || !math.IsNaN(back.Slacks[0]) || back.Slacks[1] != -0.5 {
		t.Errorf("%s read back as %+v", b, back)
	}
	for _, bad := range []string{`{"l":[1],"v":"3"}`, `{"l":["x"]}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s read without an error: %+v", bad, back)
		}
	}
}
