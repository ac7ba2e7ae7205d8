package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// moTrials is what these tests read of automl trials --json.
type moTrials struct {
	Front  *int `json:"pareto_front"`
	Trials []struct {
		ID         int                `json:"id"`
		State      string             `json:"state"`
		Resource   float64            `json:"resource"`
		Pause      bool               `json:"pause"`
		Metrics    map[string]float64 `json:"metrics"`
		ParetoRank *int               `json:"pareto_rank"`
		Feasible   *bool              `json:"feasible"`
	} `json:"trials"`
}

// TestSearchMOASHAEndToEnd: asha with two objectives (ZDT1 from the funcs
// trainer, its fake learning curve over 1, 3, 9 epochs) and a constraint
// (f2 <= 3) through automl search: the space file takes it, trials pause
// at rungs 1 and 3 and the promoted ones reach 9, the front is named and
// is made of full-budget trials, every full-budget trial carries
// feasible, and the
// study resumed with a larger budget goes on from its rungs.
func TestSearchMOASHAEndToEnd(t *testing.T) {
	dir := t.TempDir()
	space := "study: moasha\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\n" +
		"constraints: [{metric: f2, max: 3}]\nbudget: {trials: 27}\n" +
		"algorithm: {name: asha, seed: 3, min_resource: 1, max_resource: 9, reduction_factor: 3, sampler: random}\n" + zdt1Params
	write(t, dir, "space.yaml", space)
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "pareto front: ") {
		t.Errorf("search output names no front:\n%s", out)
	}
	tr := moTrialsJSON(t, dir, "moasha", "--json")
	if len(tr.Trials) != 27 || tr.Front == nil || *tr.Front == 0 {
		t.Fatalf("%d trials, front %v", len(tr.Trials), tr.Front)
	}
	at := map[float64]int{}
	for _, r := range tr.Trials {
		at[r.Resource]++
		if _, ok := r.Metrics["f2"]; !ok {
			t.Errorf("trial %d (%s at %v) without f2: %v", r.ID, r.State, r.Resource, r.Metrics)
		}
		if r.State != "completed" || r.Pause {
			continue // ended at a lower rung: no place on the leaderboard
		}
		if r.Feasible == nil || *r.Feasible != (r.Metrics["f2"] <= 3) {
			t.Errorf("trial %d: f2 %v, feasible %v (the study has a constraint)", r.ID, r.Metrics["f2"], r.Feasible)
		}
	}
	t.Logf("trials by the resource they reached: %v", at)
	if at[1] == 0 || at[9] == 0 || at[1] <= at[9] {
		t.Errorf("trials by the resource they reached: %v; want most stopped at 1 and some at 9", at)
	}
	front := moTrialsJSON(t, dir, "moasha", "--pareto", "--json")
	for _, r := range front.Trials {
		if r.Resource != 9 || r.Pause || r.Feasible == nil || !*r.Feasible {
			t.Errorf("front trial %d: resource %v, paused %v, feasible %v; want full-budget, feasible", r.ID, r.Resource, r.Pause, r.Feasible)
		}
	}
	if len(front.Trials) != *tr.Front {
		t.Errorf("--pareto lists %d trials, the study names a front of %d", len(front.Trials), *tr.Front)
	}

	// The same study given more trials goes on (a resumed MO-ASHA
	// ledger: its rungs' goals come back from the snapshot).
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "--trials", "36", "-q"); code != 0 {
		t.Fatalf("search --trials 36: exit %d\n%s%s", code, out, errOut)
	}
	if more := moTrialsJSON(t, dir, "moasha", "--json"); len(more.Trials) != 36 {
		t.Errorf("continued study has %d trials, want 36", len(more.Trials))
	}
}

// TestSearchGPTwoObjectivesEndToEnd: gp with two objectives and a
// constraint runs through automl search (ParEGO after its Sobol design)
// and names its front.
func TestSearchGPTwoObjectivesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "space.yaml", "study: gpmo\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\n"+
		"constraints: [{metric: f1, min: 0.1}]\nbudget: {trials: 14}\nalgorithm: {name: gp, seed: 3, n_init: 6}\n"+zdt1Params)
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "pareto front: ") {
		t.Errorf("search output names no front:\n%s", out)
	}
	tr := moTrialsJSON(t, dir, "gpmo", "--json")
	if len(tr.Trials) != 14 || tr.Front == nil || *tr.Front == 0 {
		t.Fatalf("%d trials, front %v", len(tr.Trials), tr.Front)
	}
	for _, r := range tr.Trials {
		if r.State != "completed" || r.Feasible == nil || *r.Feasible != (r.Metrics["f1"] >= 0.1) {
			t.Errorf("trial %d: %s, f1 %v, feasible %v", r.ID, r.State, r.Metrics["f1"], r.Feasible)
		}
	}
}

func moTrialsJSON(t *testing.T, dir string, args ...string) moTrials {
	t.Helper()
	out, errOut, code := automl(t, dir, append([]string{"trials"}, args...)...)
	if code != 0 {
		t.Fatalf("trials %v: exit %d\n%s%s", args, code, out, errOut)
	}
	var tr moTrials
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trials %v: %v\n%s", args, err, out)
	}
	return tr
}
