package storetest

import (
	"encoding/json"
	"reflect"
	"testing"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/goal"
)

// testGoalsRoundTrip stores a study of several objectives and constraints
// and loads it back unchanged; a study of one objective (stored before
// either existed) keeps Objectives and Constraints nil and its Goals are
// its one objective.
func testGoalsRoundTrip(t *testing.T, open Open) {
	s := fresh(t, open)
	cfg := StudyConfig("mo", "minimize")
	cfg.Objectives = []trial.Objective{{Metric: "loss", Direction: trial.Minimize}, {Metric: "acc", Direction: trial.Maximize}}
	max5, min1 := 5.0, 1.0
	cfg.Constraints = []goal.Constraint{{Metric: "latency_ms", Max: &max5}, {Metric: "acc", Min: &min1}}
	commit(t, s, "mo", scheduler.Change{Study: cfg, Snapshot: Snapshot(1)})
	got := load(t, s, "mo").Study
	if got == nil || !reflect.DeepEqual(got.Objectives, cfg.Objectives) || !reflect.DeepEqual(got.Constraints, cfg.Constraints) {
		t.Fatalf("Load: %+v, want objectives %+v and constraints %+v", got, cfg.Objectives, cfg.Constraints)
	}
	if g := got.Goals(); !g.Multi() || !g.Constrained() || g.Constraints[0].String() != "latency_ms <= 5" {
		t.Errorf("Goals() = %+v", g)
	}

	single := StudyConfig("one", "maximize")
	commit(t, s, "one", scheduler.Change{Study: single, Snapshot: Snapshot(1)})
	got = load(t, s, "one").Study
	if got.Objectives != nil || got.Constraints != nil {
		t.Errorf("a study of one objective loads with objectives %v, constraints %v; want none", got.Objectives, got.Constraints)
	}
	if g := got.Goals(); g.Multi() || len(g.Objectives) != 1 || g.Objectives[0] != single.Objective || g.Constrained() {
		t.Errorf("Goals() of a study of one objective = %+v", g)
	}
	// The JSON of a study of one objective has neither key, as before.
	b, err := json.Marshal(single)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"objectives", "constraints"} {
		if _, ok := keys[k]; ok {
			t.Errorf("a study of one objective is stored with %q", k)
		}
	}
}
