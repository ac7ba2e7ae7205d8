package main

import (
	"fmt"
	"strings"
	"testing"

	"automl/search/pareto"
)

// TestSearchTPETwoObjectivesConstrainedEndToEnd: automl search runs tpe
// on two objectives with a constraint (ZDT1 from the funcs trainer,
// f1 >= 0.3, whose front runs on to f1 = 0): every trial's feasibility
// follows f1; the front trials --pareto lists is that of the feasible
// trials (checked by brute force); most of the model's proposals (after
// the random startup) are feasible, where random search makes 70% of
// them so; and a run stopped at 12 trials and continued to 30 is the
// study run at once, trial by trial (one worker: tpe is deterministic
// given the history).
func TestSearchTPETwoObjectivesConstrainedEndToEnd(t *testing.T) {
	dir := t.TempDir()
	const startup = 8
	space := fmt.Sprintf("study: mo\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\n"+
		"constraints: [{metric: f1, min: 0.3}]\nbudget: {trials: 30}\nalgorithm: {name: tpe, seed: 3, n_startup_trials: %d}\n", startup) + zdt1Params
	write(t, dir, "space.yaml", space)
	write(t, dir, "split.yaml", strings.Replace(space, "study: mo", "study: mo-split", 1))
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "1")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "pareto front: ") {
		t.Errorf("search output names no front:\n%s", out)
	}
	all := objTrialsJSON(t, dir, "mo", "--json")
	if len(all.Trials) != 30 || all.Front == nil || all.Hypervolume == nil || *all.Hypervolume <= 0 {
		t.Fatalf("trials --json: %d trials, front %v, hypervolume %v", len(all.Trials), all.Front, all.Hypervolume)
	}
	var want []int
	modelFeasible := 0
	for _, a := range all.Trials {
		feasible := a.Metrics["f1"] >= 0.3
		if a.State != "completed" || a.Feasible == nil || *a.Feasible != feasible {
			t.Fatalf("trial %d: state %s, f1 %v, feasible %v", a.ID, a.State, a.Metrics["f1"], a.Feasible)
		}
		if a.ID >= startup && feasible {
			modelFeasible++
		}
		dominated := false
		for _, b := range all.Trials {
			dominated = dominated || (b.Metrics["f1"] >= 0.3 && pareto.Dominates([]float64{b.Metrics["f1"], b.Metrics["f2"]}, []float64{a.Metrics["f1"], a.Metrics["f2"]}))
		}
		if feasible && !dominated {
			want = append(want, a.ID)
		}
	}
	front := objTrialsJSON(t, dir, "mo", "--pareto", "--json")
	var got []int
	for _, r := range front.Trials {
		got = append(got, r.ID)
	}
	if fmt.Sprint(sortedInts(got)) != fmt.Sprint(sortedInts(want)) || len(got) != *all.Front {
		t.Errorf("--pareto lists %v, want the feasible front %v (front of %d)", got, want, *all.Front)
	}
	t.Logf("%d of the %d model proposals feasible; front of %d, hypervolume %v", modelFeasible, 30-startup, *all.Front, *all.Hypervolume)
	if share := float64(modelFeasible) / float64(30-startup); share < 0.8 {
		t.Errorf("%d of the %d model proposals are feasible (%.2f); want 0.8 or more (random: 0.7)", modelFeasible, 30-startup, share)
	}

	for _, trials := range []string{"12", "30"} {
		if out, errOut, code := automl(t, dir, "search", "-space", "split.yaml", "--workers", "1", "--trials", trials, "-q"); code != 0 {
			t.Fatalf("search --trials %s: exit %d\n%s%s", trials, code, out, errOut)
		}
	}
	split := objTrialsJSON(t, dir, "mo-split", "--json")
	if len(split.Trials) != len(all.Trials) {
		t.Fatalf("continued study: %d trials, want %d", len(split.Trials), len(all.Trials))
	}
	byID := map[int]map[string]float64{}
	for _, r := range all.Trials {
		byID[r.ID] = r.Metrics
	}
	for _, r := range split.Trials {
		if w := byID[r.ID]; w == nil || w["f1"] != r.Metrics["f1"] || w["f2"] != r.Metrics["f2"] {
			t.Errorf("continued study, trial %d: f1 %v f2 %v; the study run at once: %v", r.ID, r.Metrics["f1"], r.Metrics["f2"], w)
		}
	}
}
