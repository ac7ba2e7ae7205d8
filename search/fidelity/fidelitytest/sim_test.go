package fidelitytest_test

import (
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/random"
)

func TestCurveOptimum(t *testing.T) {
	space, _ := fidelitytest.Space(t, "random", "", 1)
	opt := space.Decode([]float64{fidelitytest.Optimum(0), fidelitytest.Optimum(1), fidelitytest.Optimum(2)})
	other := space.Decode([]float64{0.9, 0.1, 0.9})
	if f := fidelitytest.Curve(space, opt, 1e9); f > 1e-12 {
		t.Fatalf("loss at the optimum after a long training %g, want 0", f)
	}
	if a, b := fidelitytest.Curve(space, other, 1), fidelitytest.Curve(space, other, 27); !(b < a) {
		t.Fatalf("the curve does not decrease with resource: %g at 1, %g at 27", a, b)
	}
}

// TestResourceTotal: no job starts once the resource trained plus the spans
// of running jobs reaches the bound, so the overshoot is below one span
// per slot.
func TestResourceTotal(t *testing.T) {
	space, _ := fidelitytest.Space(t, "random", "", 1)
	sim := fidelitytest.Run(t, space, search.NewSamplerSearcher(random.Sampler{}),
		fidelitytest.Config{Slots: 3, MaxResource: 10, MaxResourceTotal: 95, Seed: 1})
	if used := sim.ResourceUsed(); used < 95 || used >= 95+3*10 {
		t.Fatalf("trained %g, want 95 <= total < 125", used)
	}
	if n := sim.H.Len(); n != 10 {
		t.Fatalf("%d trials of 10 epochs for a total of 95 with 3 slots, want 10", n)
	}
}

// TestKills: a single-fidelity searcher survives the kill test too.
func TestKills(t *testing.T) {
	space, _ := fidelitytest.Space(t, "random", "", 3)
	fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return search.NewSamplerSearcher(random.Sampler{}), nil },
		fidelitytest.Config{Slots: 2, Trials: 15, MaxResource: 5, Seed: 3}, 20, 1)
}
