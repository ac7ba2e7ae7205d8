package nsga2_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"automl/search"
	"automl/search/nsga2"
	"automl/search/pareto"
	"automl/search/random"
	"automl/search/searchtest"
)

// zdt1 is ZDT1 in len(x) variables on [0, 1]; its front is f2 = 1 - sqrt(f1).
func zdt1(x []float64) []float64 {
	g := 0.0
	for _, v := range x[1:] {
		g += v
	}
	g = 1 + 9*g/float64(len(x)-1)
	return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}
}

// unitSpace is d floats on [0, 1], so a point's values are its cube coordinates.
func unitSpace(t testing.TB, d int) *search.Space {
	var b strings.Builder
	for i := range d {
		fmt.Fprintf(&b, "\n  x%d: {type: float, low: 0, high: 1}", i)
	}
	s, _ := searchtest.Space(t, searchtest.Config{Algorithm: "nsga2"}, searchtest.Case{Name: "unit", Params: b.String() + "\n"}, 1)
	return s
}

// zdt1History runs n sequential trials of smp on ZDT1.
func zdt1History(t testing.TB, smp search.Sampler, space *search.Space, seed uint64, n int) *search.History {
	rng := rand.New(rand.NewPCG(seed, 0x6e736761))
	h := &search.History{}
	for i := range n {
		p, err := smp.Sample(space, h, rng)
		if err != nil {
			t.Fatal(err)
		}
		f := zdt1(space.Encode(p))
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, HasLoss: true, Loss: f[0], Losses: f})
	}
	return h
}

func hypervolume(t testing.TB, h *search.History, ref []float64) float64 {
	var pts [][]float64
	for _, o := range h.Completed() {
		pts = append(pts, o.Losses)
	}
	v, err := pareto.Hypervolume(pts, ref)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestZDT1BeatsRandom: 500 evaluations of 6-variable ZDT1, median of 5
// seeds: NSGA-II's front must leave at most half of random search's
// hypervolume regret (reference (1.1, 1.1), true front 0.8767).
func TestZDT1BeatsRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("500 evaluations x 5 seeds x 2 samplers")
	}
	const n, seeds = 500, 5
	ref := []float64{1.1, 1.1}
	trueHV := 0.1 + 2.0/3 + 0.11 // the integral of 1.1 - (1 - sqrt(f1)) over [0, 1], plus the strip f1 in [1, 1.1]
	space := unitSpace(t, 6)
	smp, err := nsga2.New(nsga2.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var ours, rnd []float64
	for seed := range uint64(seeds) {
		ours = append(ours, trueHV-hypervolume(t, zdt1History(t, smp, space, seed, n), ref))
		rnd = append(rnd, trueHV-hypervolume(t, zdt1History(t, random.Sampler{}, space, seed, n), ref))
	}
	slices.Sort(ours)
	slices.Sort(rnd)
	t.Logf("hypervolume regret after %d trials, seeds 0..%d: nsga2 %.4f (median of %v), random %.4f (of %v)", n, seeds-1, ours[seeds/2], ours, rnd[seeds/2], rnd)
	if ours[seeds/2] > 0.5*rnd[seeds/2] {
		t.Errorf("nsga2's median hypervolume regret %.4f is not under half of random's %.4f", ours[seeds/2], rnd[seeds/2])
	}
}
