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
