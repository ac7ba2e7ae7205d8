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
		{"neither reached", inf, inf, inf, 1000, "neither asha nor random reached the target in 1000 epochs (median run): undecided", "undecided"},
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
