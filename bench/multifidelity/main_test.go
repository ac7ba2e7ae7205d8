package main

import (
	"math"
	"strings"
	"testing"
)

// TestGoals: each verdict of the two goals, including the ones
// where a median run did not reach the target within the budget.
func TestGoals(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name              string
		m, random, optuna float64
		budget            float64
		wantRand, wantOpt string
	}{
		{"both met", 100, 400, 150, 1000, "met", "met"},
		{"both missed", 101, 400, 151, 1000, "missed", "missed"},
		{"reference not reached, decided", 200, inf, inf, 1000, "met", "met"},
		{"reference not reached, budget too small", 300, inf, inf, 1000, "undecided, it needs a budget of 1200", "met"},
		{"method not reached", inf, 400, 150, 1000, "asha did not reach the target, random did: missed", "missed"},
		{"neither reached", inf, inf, inf, 1000, "neither asha nor random reached the target within its budget (median run): undecided", "undecided"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One reference at a time (goals skips a missing one).
			rand := goals(map[string]float64{"asha": tc.m, "random": tc.random}, "asha", optunaHB, tc.budget)
			opt := goals(map[string]float64{"asha": tc.m, optunaHB: tc.optuna}, "asha", optunaHB, tc.budget)
			if !strings.HasSuffix(rand, tc.wantRand) || !strings.HasSuffix(opt, tc.wantOpt) {
				t.Fatalf("goals: %q and %q; want them to end %q and %q", rand, opt, tc.wantRand, tc.wantOpt)
			}
		})
	}
}

// TestFactorInterval: constant runs give the exact factor; spread runs an
// interval around the ratio of the medians; unreached runs count as
// infinitely slow; the draws repeat.
func TestFactorInterval(t *testing.T) {
	inf := math.Inf(1)
	if lo, hi := factorInterval([]float64{100, 100, 100}, []float64{400, 400}, 0.9); lo != 4 || hi != 4 {
		t.Fatalf("constant runs: interval %v..%v, want 4..4", lo, hi)
	}
	m := []float64{50, 80, 100, 120, 300, 90, 110}
	r := []float64{200, 350, 400, 500, 900, 380, 420}
	lo, hi := factorInterval(m, r, 0.9)
	point := median(r) / median(m)
	if !(lo < point && point < hi) || lo <= 0 || math.IsInf(hi, 1) {
		t.Fatalf("interval %v..%v does not hold the point estimate %v", lo, hi, point)
	}
	if lo2, hi2 := factorInterval(m, r, 0.9); lo2 != lo || hi2 != hi {
		t.Fatalf("not deterministic: %v..%v then %v..%v", lo, hi, lo2, hi2)
	}
	if lo, hi := factorInterval(m, []float64{inf, inf, inf}, 0.9); !math.IsInf(lo, 1) || !math.IsInf(hi, 1) {
		t.Fatalf("reference never reached: interval %v..%v, want inf..inf", lo, hi)
	}
	if lo, _ := factorInterval([]float64{inf, inf, 10}, r, 0.9); lo != 0 {
		t.Fatalf("method mostly unreached: lower bound %v, want 0", lo)
	}
	if lo, hi := factorInterval([]float64{inf}, []float64{inf}, 0.9); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Fatalf("neither reached: %v..%v, want unknown", lo, hi)
	}
}

// TestSaveLoad: runs saved apart load back as one union, with their
// budgets, at any target; a run found twice and runs of one kind with
// different budgets are refused.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	wine := task{name: "wine_quality"}
	b := budgets{methods: 100, refs: 300}
	part := func(seed int) results {
		return results{optuna: "3.1.0", runs: map[string][]run{
			"asha":   {{method: "asha", seed: seed, epochs: 101, at: []float64{1, 40}, val: []float64{0.9, 0.7}, best: 0.7, note: "budget used"}},
			"random": {{method: "random", seed: seed, epochs: 300, at: []float64{27}, val: []float64{0.8}, best: 0.8}},
			optunaHB: {{method: optunaHB, seed: seed, epochs: 290, at: []float64{3, 60}, val: []float64{0.95, 0.75}, best: 0.75}},
		}}
	}
	f1, err := save(dir, wine.name, part(1), b, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := save(dir, wine.name, part(2), b, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, got, err := load([]string{f2, f1}, wine.name)
	if err != nil {
		t.Fatal(err)
	}
	if got != b || res.optuna != "3.1.0" {
		t.Fatalf("budgets %+v, optuna %q; want %+v, 3.1.0", got, res.optuna, b)
	}
	if n := len(res.runs["asha"]); n != 2 {
		t.Fatalf("%d asha runs, want the union of 2", n)
	}
	r := res.runs["asha"][1]
	if r.seed != 2 || r.epochsTo(wine, 0.8) != 40 || r.epochsTo(wine, 0.95) != 1 || r.note != "budget used" {
		t.Fatalf("asha seed 2 came back as %+v", r)
	}
	if other, _, err := load([]string{f1}, "sonar"); err != nil || len(other.runs) != 0 {
		t.Fatalf("another task's runs: %v, %v", other.runs, err)
	}
	if _, _, err := load([]string{f1, f1}, wine.name); err == nil || !strings.Contains(err.Error(), " seed 1 is also in") {
		t.Fatalf("the same file twice: %v, want a duplicate run refused", err)
	}
	f3, err := save(t.TempDir(), wine.name, part(3), budgets{methods: 200, refs: 300}, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := load([]string{f1, f3}, wine.name); err == nil || !strings.Contains(err.Error(), "budget of 200 epochs, other runs of its kind with 100") {
		t.Fatalf("different budgets: %v, want them refused", err)
	}
}
