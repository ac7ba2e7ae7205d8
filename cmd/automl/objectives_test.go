package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"automl/search/pareto"
)

const zdt1Params = `trainer: {plugin: funcs, config: {function: zdt1}}
parameters:
  x0: {type: float, low: 0, high: 1}
  x1: {type: float, low: 0, high: 1}
  x2: {type: float, low: 0, high: 1}
  x3: {type: float, low: 0, high: 1}
  x4: {type: float, low: 0, high: 1}
  x5: {type: float, low: 0, high: 1}
`

type objTrials struct {
	Objectives  []map[string]string `json:"objectives"`
	Front       *int                `json:"pareto_front"`
	Hypervolume *float64            `json:"hypervolume"`
	Best        *struct{ ID int }   `json:"best"`
	Trials      []struct {
		ID         int                `json:"id"`
		State      string             `json:"state"`
		Metrics    map[string]float64 `json:"metrics"`
		ParetoRank *int               `json:"pareto_rank"`
		Feasible   *bool              `json:"feasible"`
		Violation  *float64           `json:"violation"`
	} `json:"trials"`
}

func objTrialsJSON(t *testing.T, dir string, args ...string) objTrials {
	t.Helper()
	out, errOut, code := automl(t, dir, append([]string{"trials"}, args...)...)
	if code != 0 {
		t.Fatalf("trials %v: exit %d\n%s%s", args, code, out, errOut)
	}
	var tr objTrials
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trials %v: %v\n%s", args, err, out)
	}
	return tr
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSearchTwoObjectivesEndToEnd: automl search on the embedded default
// runs a study of two objectives (ZDT1 from the funcs trainer, Sobol),
// names its front's size and hypervolume; trials --pareto lists exactly
// the trials no other dominates (checked by brute force); the csv export
// has pareto_rank and both objectives, the HTML page renders; automl
// studies shows the front; a
// run stopped at 10 trials and continued to 24 ends with the front of the
// study run at once.
func TestSearchTwoObjectivesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	space := "study: zdt\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\nbudget: {trials: 24}\nalgorithm: {name: sobol, seed: 7}\n" + zdt1Params
	write(t, dir, "space.yaml", space)
	write(t, dir, "split.yaml", strings.Replace(space, "study: zdt", "study: zdt-split", 1))
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "pareto front: ") || !strings.Contains(out, "automl trials zdt --pareto") || strings.Contains(out, "\nbest: ") {
		t.Errorf("search output names no front (or a best):\n%s", out)
	}

	all := objTrialsJSON(t, dir, "zdt", "--json")
	if len(all.Trials) != 24 || all.Front == nil || all.Hypervolume == nil || *all.Hypervolume <= 0 || all.Best != nil || len(all.Objectives) != 2 {
		t.Fatalf("trials --json: %d trials, front %v, hypervolume %v, best %v", len(all.Trials), all.Front, all.Hypervolume, all.Best)
	}
	var want []int
	for _, a := range all.Trials {
		dominated := false
		for _, b := range all.Trials {
			dominated = dominated || pareto.Dominates([]float64{b.Metrics["f1"], b.Metrics["f2"]}, []float64{a.Metrics["f1"], a.Metrics["f2"]})
		}
		if !dominated {
			want = append(want, a.ID)
		}
		if a.ParetoRank == nil || (*a.ParetoRank == 0) == dominated || a.Feasible != nil {
			t.Errorf("trial %d: pareto_rank %v, feasible %v (dominated: %v; no constraints)", a.ID, a.ParetoRank, a.Feasible, dominated)
		}
	}
	front := objTrialsJSON(t, dir, "zdt", "--pareto", "--json")
	var got []int
	for _, r := range front.Trials {
		got = append(got, r.ID)
	}
	if len(got) != len(want) || len(got) != *all.Front || fmt.Sprint(sortedInts(got)) != fmt.Sprint(sortedInts(want)) {
		t.Errorf("--pareto lists %v, want %v (front of %d)", got, want, *all.Front)
	}
	if !strings.Contains(out, fmt.Sprintf("pareto front: %d trial", len(want))) {
		t.Errorf("search output does not name a front of %d:\n%s", len(want), out)
	}

	csv, _, code := automl(t, dir, "report", "zdt", "--format", "csv")
	if code != 0 || !strings.HasPrefix(csv, "rank,trial,state,f1,f2,pareto_rank,x0,") {
		t.Errorf("report csv (exit %d): %.200s", code, csv)
	}
	// The HTML page renders (its Pareto plot: see TestReportParetoInBrowser).
	if page, errOut, code := automl(t, dir, "report", "zdt", "--format", "html"); code != 0 || !strings.Contains(page, "</html>") {
		t.Errorf("report html: exit %d, %d bytes\n%s", code, len(page), errOut)
	}
	studies, _, _ := automl(t, dir, "studies")
	if !strings.Contains(studies, fmt.Sprintf("front %d, hv ", len(want))) || !strings.Contains(studies, "minimize f1, minimize f2") {
		t.Errorf("automl studies:\n%s", studies)
	}

	// Stopped at 10 trials, continued to 24: the same front.
	for _, trials := range []string{"10", "24"} {
		if out, errOut, code := automl(t, dir, "search", "-space", "split.yaml", "--workers", "2", "--trials", trials, "-q"); code != 0 {
			t.Fatalf("search --trials %s: exit %d\n%s%s", trials, code, out, errOut)
		}
	}
	split := objTrialsJSON(t, dir, "zdt-split", "--json")
	if len(split.Trials) != 24 || split.Front == nil || *split.Front != *all.Front || split.Hypervolume == nil || *split.Hypervolume != *all.Hypervolume {
		t.Errorf("continued study: %d trials, front %v, hypervolume %v; want %d trials, front %d, hypervolume %v",
			len(split.Trials), split.Front, split.Hypervolume, 24, *all.Front, *all.Hypervolume)
	}
}

// TestSearchConstrainedEndToEnd: one objective (ZDT1's f2) with a
// constraint on the other metric (f1 >= 0.5): the best printed is the best
// feasible trial, the feasible trials come first and then the infeasible
// ones by violation, the csv has feasible and violation; --pareto is
// refused for a study of one objective.
func TestSearchConstrainedEndToEnd(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "space.yaml", "study: cz\nobjective: {metric: f2, direction: minimize}\nconstraints: [{metric: f1, min: 0.5}]\nbudget: {trials: 20}\nalgorithm: {name: random, seed: 2}\n"+zdt1Params)
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	tr := objTrialsJSON(t, dir, "cz", "--json")
	seenInfeasible, lastViolation := false, 0.0
	bestFeasible := -1
	for _, r := range tr.Trials {
		if r.Feasible == nil || r.Violation == nil {
			t.Fatalf("trial %d: feasible %v, violation %v", r.ID, r.Feasible, r.Violation)
		}
		if want := r.Metrics["f1"] >= 0.5; *r.Feasible != want {
			t.Errorf("trial %d: f1 %v, feasible %v", r.ID, r.Metrics["f1"], *r.Feasible)
		}
		switch {
		case *r.Feasible && seenInfeasible:
			t.Errorf("feasible trial %d after an infeasible one", r.ID)
		case *r.Feasible && bestFeasible < 0:
			bestFeasible = r.ID
		case !*r.Feasible:
			if seenInfeasible && *r.Violation < lastViolation {
				t.Errorf("infeasible trial %d (violation %v) after one of %v", r.ID, *r.Violation, lastViolation)
			}
			seenInfeasible, lastViolation = true, *r.Violation
		}
	}
	if bestFeasible < 0 || !seenInfeasible {
		t.Fatalf("the seed should give feasible and infeasible trials (best feasible %d, infeasible %v)", bestFeasible, seenInfeasible)
	}
	if !strings.Contains(out, "best: trial "+strconv.Itoa(bestFeasible)+",") {
		t.Errorf("search names another best than trial %d:\n%s", bestFeasible, out)
	}
	csv, _, _ := automl(t, dir, "report", "cz", "--format", "csv")
	if !strings.HasPrefix(csv, "rank,trial,state,f2,feasible,violation,x0,") {
		t.Errorf("report csv: %.200s", csv)
	}
	if out, errOut, code := automl(t, dir, "trials", "cz", "--pareto"); code == 0 || !strings.Contains(errOut, "--pareto: study cz has one objective") {
		t.Errorf("trials --pareto on one objective: exit %d\n%s%s", code, out, errOut)
	}
}

func sortedInts(xs []int) []int {
	out := append([]int(nil), xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
