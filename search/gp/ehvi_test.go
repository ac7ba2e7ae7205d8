package gp_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/gp"
	"automl/search/pareto"
)

// dtlz2 is DTLZ2 with three objectives over zdt1Space's six variables:
// the front is the unit sphere's positive octant, and its hypervolume
// from the reference point (2.2, 2.2, 2.2) is 2.2³ - π/6 = 10.1244.
func dtlz2(s *search.Space) evalFunc {
	return func(p search.Point) ([]float64, []float64) {
		x := make([]float64, 6)
		for i := range x {
			x[i], _ = p[i].Float()
		}
		g := 0.0
		for _, v := range x[2:] {
			g += (v - 0.5) * (v - 0.5)
		}
		a, b := x[0]*math.Pi/2, x[1]*math.Pi/2
		return []float64{(1 + g) * math.Cos(a) * math.Cos(b), (1 + g) * math.Cos(a) * math.Sin(b), (1 + g) * math.Sin(a)}, nil
	}
}

func hypervolume3(t testing.TB, h *search.History) float64 {
	var pts [][]float64
	for _, o := range h.Trials {
		pts = append(pts, o.Losses)
	}
	hv, err := pareto.Hypervolume(pts, []float64{2.2, 2.2, 2.2})
	if err != nil {
		t.Fatal(err)
	}
	return hv
}

// TestDTLZ2BeatsRandom: with three objectives (EHVI), over 3 seeds, the
// median hypervolume of GP's trials after 30 is larger than random
// search's, one at a time and three at a time (pending-aware batches).
func TestDTLZ2BeatsRandom(t *testing.T) {
	s, _ := parse(t, "", zdt1Space)
	for _, q := range []int{1, 3} {
		var g, r []float64
		for seed := uint64(0); seed < 3; seed++ {
			smp, _ := gp.New(gp.Options{Seed: seed, NCandidates: 500})
			g = append(g, hypervolume3(t, runGoals(t, smp, s, dtlz2(s), 30, q, seed)))
			r = append(r, hypervolume3(t, runGoals(t, randomSampler{}, s, dtlz2(s), 30, q, seed)))
		}
		t.Logf("q=%d: median hypervolume after 30 trials: gp %.4f, random %.4f (front 10.1244)", q, med(g), med(r))
		if !(med(g) > med(r)) {
			t.Errorf("q=%d: median hypervolume after 30 trials: gp %.4f, random %.4f", q, med(g), med(r))
		}
	}
}

// TestThreeObjectivesDeterministic: with three objectives, the same seed
// and history give the same batch, of distinct points, one of them
// pending; another rng gives another first point.
func TestThreeObjectivesDeterministic(t *testing.T) {
	s, _ := parse(t, "", zdt1Space)
	smp, _ := gp.New(gp.Options{Seed: 1})
	h := runGoals(t, smp, s, dtlz2(s), 20, 1, 4)
	pending := s.Decode([]float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5})
	pend := h.WithPending(pending)
	draw := func(seed uint64) []search.Point {
		fresh, _ := gp.New(gp.Options{Seed: 1})
		ps, err := fresh.SampleBatch(s, pend, rand.New(rand.NewPCG(seed, 9)), 3)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	a, b, c := draw(5), draw(5), draw(6)
	for i := range a {
		if !a[i].Equal(b[i]) {
			t.Errorf("point %d: %v then %v from the same history and rng", i, a[i], b[i])
		}
		if a[i].Equal(pending) {
			t.Errorf("point %d is the pending trial's %v", i, pending)
		}
		for j := range a {
			if j != i && a[i].Equal(a[j]) {
				t.Errorf("points %d and %d of one batch are the same: %v", i, j, a[i])
			}
		}
	}
	if a[0].Equal(c[0]) {
		t.Errorf("another rng (other candidates) gave the same first point %v", a[0])
	}
}
