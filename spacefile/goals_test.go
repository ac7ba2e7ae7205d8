package spacefile_test

import (
	"reflect"
	"strings"
	"testing"

	"automl/spacefile"
	"automl/trial"
	"automl/trial/goal"
)

const goalsTail = "trainer: {plugin: ./bin/trainer}\nparameters:\n  x: {type: float, low: 0, high: 1}\n"

func TestObjectivesAndConstraintsParse(t *testing.T) {
	f, err := spacefile.Parse("mo.yaml", []byte(`objectives:
  - {metric: val_accuracy, direction: maximize}
  - {metric: params, direction: minimize}
constraints:
  - {metric: latency_ms, max: 5}
  - {metric: params, min: 1000}
  - {metric: val_accuracy, min: 0.5}
algorithm: sobol
`+goalsTail))
	if err != nil {
		t.Fatal(err)
	}
	acc := trial.Objective{Metric: "val_accuracy", Direction: trial.Maximize}
	par := trial.Objective{Metric: "params", Direction: trial.Minimize}
	if f.Objective != acc {
		t.Errorf("Objective = %+v, want the first objective %+v", f.Objective, acc)
	}
	want := goal.Set{
		Objectives: []trial.Objective{acc, par},
		Constraints: []goal.Constraint{
			{Metric: "latency_ms", Max: new(5.0)},
			{Metric: "params", Min: new(1000.0)},
			{Metric: "val_accuracy", Min: new(0.5)}, // a constraint on an objective's metric is allowed
		},
	}
	if got := f.Goals(); !reflect.DeepEqual(got, want) {
		t.Errorf("Goals() = %+v, want %+v", got, want)
	}
	if !f.Goals().Multi() || !f.Goals().Constrained() {
		t.Error("Multi or Constrained is false")
	}
}

func TestSingleObjectiveWithConstraints(t *testing.T) {
	// Constraints work with every algorithm in a study of one objective.
	for _, algo := range []string{"random", "tpe", "gp", "hyperband"} {
		text := "objective: {metric: val_loss, direction: minimize}\nconstraints: [{metric: latency_ms, max: 5}]\nalgorithm: {name: " + algo + ", seed: 1"
		if algo == "hyperband" {
			text += ", max_resource: 9"
		}
		f, err := spacefile.Parse("c.yaml", []byte(text+"}\n"+goalsTail))
		if err != nil {
			t.Errorf("%s: %v", algo, err)
			continue
		}
		g := f.Goals()
		if g.Multi() || len(g.Objectives) != 1 || g.Objectives[0].Metric != "val_loss" || len(g.Constraints) != 1 || f.Objectives != nil {
			t.Errorf("%s: Goals() = %+v, Objectives = %v", algo, g, f.Objectives)
		}
	}
}

func TestObjectivesAlgorithms(t *testing.T) {
	if got := spacefile.MultiObjectiveAlgorithms(); !reflect.DeepEqual(got, []string{"asha", "auto", "bohb", "gp", "grid", "hyperband", "nsga2", "random", "sobol", "tpe"}) {
		t.Errorf("MultiObjectiveAlgorithms() = %v", got)
	}
	for _, tc := range []struct {
		algo string
		ok   bool
	}{{"random", true}, {"sobol", true}, {"tpe", true}, {"gp", true}, {"asha", true}, {"nsga2", true}, {"auto", true}, {"median", false}} {
		opts := ""
		if tc.algo == "asha" {
			opts = ", max_resource: 9"
		}
		_, err := spacefile.Parse("m.yaml", []byte("objectives: [{metric: a, direction: minimize}, {metric: b, direction: maximize}]\nalgorithm: {name: "+tc.algo+opts+"}\n"+goalsTail))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.algo, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "m.yaml:1:1: objectives: algorithm "+tc.algo+" optimises one objective")):
			t.Errorf("%s: err = %v, want it refused at the objectives key", tc.algo, err)
		}
	}
}

func TestGoalsChangeIsASpaceChange(t *testing.T) {
	a, err := spacefile.Parse("a.yaml", []byte("objective: {metric: m, direction: minimize}\n"+goalsTail))
	if err != nil {
		t.Fatal(err)
	}
	b, err := spacefile.Parse("a.yaml", []byte("objective: {metric: m, direction: minimize}\nconstraints: [{metric: c, max: 1}]\n"+goalsTail))
	if err != nil {
		t.Fatal(err)
	}
	d := spacefile.Compare(a, b)
	if !strings.Contains(d.Other, "objectives or constraints changed") {
		t.Errorf("Compare: %+v, want the constraints named as a change no study can take", d)
	}
}
