package main

import (
	"strings"
	"testing"
)

// TestSearchNSGA2EndToEnd: automl search runs a study of two objectives
// (ZDT1 from the funcs trainer) and a constraint with nsga2 (population 8,
// so 24 trials breed two generations and more): every trial completes, the
// output names the front, and the front lists feasible trials only, none
// dominated by another feasible trial.
func TestSearchNSGA2EndToEnd(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "space.yaml", "study: zn\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\n"+
		"constraints: [{metric: f1, min: 0.05}]\nbudget: {trials: 24}\nalgorithm: {name: nsga2, seed: 3, population: 8}\n"+zdt1Params)
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "pareto front: ") {
		t.Errorf("search output names no front:\n%s", out)
	}
	all := objTrialsJSON(t, dir, "zn", "--json")
	if len(all.Trials) != 24 || all.Front == nil || *all.Front == 0 || all.Hypervolume == nil {
		t.Fatalf("trials --json: %d trials, front %v, hypervolume %v", len(all.Trials), all.Front, all.Hypervolume)
	}
	for _, r := range all.Trials {
		if r.State != "completed" || r.Feasible == nil {
			t.Errorf("trial %d: state %s, feasible known %v", r.ID, r.State, r.Feasible != nil)
		}
	}
	front := objTrialsJSON(t, dir, "zn", "--pareto", "--json")
	if len(front.Trials) != *all.Front {
		t.Errorf("--pareto lists %d trials, the summary a front of %d", len(front.Trials), *all.Front)
	}
	for _, a := range front.Trials {
		if a.Feasible == nil || !*a.Feasible {
			t.Errorf("front trial %d is infeasible (f1 %v < 0.05)", a.ID, a.Metrics["f1"])
		}
		for _, b := range all.Trials {
			if b.Feasible != nil && *b.Feasible && b.Metrics["f1"] <= a.Metrics["f1"] && b.Metrics["f2"] <= a.Metrics["f2"] &&
				(b.Metrics["f1"] < a.Metrics["f1"] || b.Metrics["f2"] < a.Metrics["f2"]) {
				t.Errorf("front trial %d is dominated by feasible trial %d", a.ID, b.ID)
			}
		}
	}
}
