package gp_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/gp"
	"automl/search/pareto"
	"automl/search/searchtest"
)

// Several objectives and constraints: the conformance suite's goal cases
// (TestGoalConformance, below), constrained Branin, ZDT1.

// evalFunc gives a point's losses and constraint slacks.
type evalFunc func(p search.Point) (losses, slacks []float64)

// runGoals drives a sampler for n trials, q at a time, recording each
// trial's losses, violation and slacks as the scheduler does.
func runGoals(t testing.TB, smp search.Sampler, s *search.Space, eval evalFunc, n, q int, seed uint64) *search.History {
	t.Helper()
	h := &search.History{}
	rng := rand.New(rand.NewPCG(seed, 1))
	for h.Len() < n {
		ps, err := search.SampleN(smp, s, h, rng, min(q, n-h.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if err := s.Check(p); err != nil {
				t.Fatalf("invalid point %v: %v", p, err)
			}
			losses, slacks := eval(p)
			viol := 0.0
			for _, v := range slacks {
				viol += math.Max(0, -v)
			}
			h.Add(search.Observation{ID: h.Len(), Point: p, Status: search.Complete, Loss: losses[0], HasLoss: true,
				Losses: losses, Violation: viol, Slacks: slacks})
		}
	}
	return h
}

const branin = "  x1: {type: float, low: -5, high: 10}\n  x2: {type: float, low: 0, high: 15}\n"

// constrainedBranin is Branin under (x1-2.5)² + (x2-7.5)² <= 50
// (Gardner et al. 2014): its optimum, 0.397887, is at (π, 2.275), inside
// the disk; the disk is 70% of the box.
func constrainedBranin(s *search.Space) evalFunc {
	return func(p search.Point) ([]float64, []float64) {
		x1, _ := p[s.Index("x1")].Float()
		x2, _ := p[s.Index("x2")].Float()
		d := (x1-2.5)*(x1-2.5) + (x2-7.5)*(x2-7.5)
		return []float64{benchfn.Branin([]float64{x1, x2})}, []float64{50 - d}
	}
}

// feasibleBest is the best loss of a feasible trial (+Inf: none) and the
// share of feasible trials.
func feasibleBest(h *search.History) (float64, float64) {
	best, n := math.Inf(1), 0
	for _, o := range h.Trials {
		if o.Violation <= 0 {
			n++
			best = math.Min(best, o.Loss)
		}
	}
	return best, float64(n) / float64(h.Len())
}

// TestConstrainedBraninBeatsRandom: over 7 seeds, GP's median regret of
// the best feasible trial after 30 trials, and its median share of
// feasible trials, beat random search's.
func TestConstrainedBraninBeatsRandom(t *testing.T) {
	s, _ := parse(t, "", branin)
	eval := constrainedBranin(s)
	var gr, rr, gf, rf []float64
	for seed := uint64(0); seed < 7; seed++ {
		smp, _ := gp.New(gp.Options{Seed: seed})
		b, f := feasibleBest(runGoals(t, smp, s, eval, 30, 1, seed))
		gr, gf = append(gr, b-0.397887), append(gf, f)
		b, f = feasibleBest(runGoals(t, randomSampler{}, s, eval, 30, 1, seed))
		rr, rf = append(rr, b-0.397887), append(rf, f)
	}
	t.Logf("median feasible regret: gp %.4g, random %.4g; feasible share: gp %.2f, random %.2f", med(gr), med(rr), med(gf), med(rf))
	if !(med(gr) < med(rr)) {
		t.Errorf("median best feasible regret after 30 trials: gp %.4g, random %.4g", med(gr), med(rr))
	}
	if !(med(gf) > med(rf)) {
		t.Errorf("median share of feasible trials: gp %.2f, random %.2f", med(gf), med(rf))
	}
}

// TestInfeasibleStartSeeksFeasibility: a small feasible disk in a corner
// (5.6% of the box), so the first trials are infeasible: the GP moves
// towards it (the probability of feasibility alone while none is
// feasible, then EI within it). After 25 trials every one of 5 seeds has
// found it, and the median share of feasible trials is over twice random
// search's.
func TestInfeasibleStartSeeksFeasibility(t *testing.T) {
	s, _ := parse(t, "", branin)
	eval := func(p search.Point) ([]float64, []float64) {
		x1, _ := p[s.Index("x1")].Float()
		x2, _ := p[s.Index("x2")].Float()
		d := (x1-8)*(x1-8) + (x2-13)*(x2-13)
		return []float64{benchfn.Branin([]float64{x1, x2})}, []float64{4 - d}
	}
	var gs, rs []float64
	for seed := uint64(0); seed < 5; seed++ {
		smp, _ := gp.New(gp.Options{Seed: seed})
		_, f := feasibleBest(runGoals(t, smp, s, eval, 25, 1, seed))
		gs = append(gs, f)
		_, f = feasibleBest(runGoals(t, randomSampler{}, s, eval, 25, 1, seed))
		rs = append(rs, f)
	}
	t.Logf("share of feasible trials after 25: gp %v, random %v", gs, rs)
	if slices.Min(gs) == 0 || !(med(gs) > 2*med(rs)) {
		t.Errorf("share of feasible trials after 25: gp %v (median %.2f), random %v (median %.2f)", gs, med(gs), rs, med(rs))
	}
}

const zdt1Space = "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n  x2: {type: float, low: 0, high: 1}\n" +
	"  x3: {type: float, low: 0, high: 1}\n  x4: {type: float, low: 0, high: 1}\n  x5: {type: float, low: 0, high: 1}\n"

// zdt1 is ZDT1 in 6 variables (front: f2 = 1 - sqrt(f1)).
func zdt1(s *search.Space) evalFunc {
	return func(p search.Point) ([]float64, []float64) {
		x := make([]float64, 6)
		for i := range x {
			x[i], _ = p[i].Float()
		}
		g := 1 + 9*(x[1]+x[2]+x[3]+x[4]+x[5])/5
		return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}, nil
	}
}

// hypervolume of a history's losses, reference (1.1, 11).
func hypervolume(t testing.TB, h *search.History) float64 {
	var pts [][]float64
	for _, o := range h.Trials {
		pts = append(pts, o.Losses)
	}
	hv, err := pareto.Hypervolume(pts, []float64{1.1, 11})
	if err != nil {
		t.Fatal(err)
	}
	return hv
}

// TestZDT1BeatsRandom: over 5 seeds, the median hypervolume of GP's
// (ParEGO) trials after 60 is larger than random search's, reference
// (1.1, 11) (the true front's: 11.7667).
func TestZDT1BeatsRandom(t *testing.T) {
	s, _ := parse(t, "", zdt1Space)
	var g, r []float64
	for seed := uint64(0); seed < 5; seed++ {
		smp, _ := gp.New(gp.Options{Seed: seed})
		g = append(g, hypervolume(t, runGoals(t, smp, s, zdt1(s), 60, 1, seed)))
		r = append(r, hypervolume(t, runGoals(t, randomSampler{}, s, zdt1(s), 60, 1, seed)))
	}
	t.Logf("median hypervolume after 60 trials: gp %.4f, random %.4f (front 11.7667)", med(g), med(r))
	if !(med(g) > med(r)) {
		t.Errorf("median hypervolume after 60 trials: gp %.4f, random %.4f", med(g), med(r))
	}
}

// TestGoalsDeterministic: the same seed and history give the same
// points, batch and all, with several objectives and a constraint; a
// different rng (another scalarisation) gives others.
func TestGoalsDeterministic(t *testing.T) {
	s, _ := parse(t, "", zdt1Space)
	eval := func(p search.Point) ([]float64, []float64) {
		l, _ := zdt1(s)(p)
		x, _ := p[0].Float()
		return l, []float64{0.7 - x}
	}
	smp, _ := gp.New(gp.Options{Seed: 1})
	h := runGoals(t, smp, s, eval, 20, 1, 4)
	checkBatchDeterministic(t, s, h, "another weight vector")
}

// checkBatchDeterministic draws batches of 3 from h with fresh samplers
// (seed 1): the same rng gives the same batch, of distinct points none of
// which is pending in h; another rng (why: what differs then) another
// first point.
func checkBatchDeterministic(t *testing.T, s *search.Space, h *search.History, why string) {
	t.Helper()
	draw := func(seed uint64) []search.Point {
		fresh, _ := gp.New(gp.Options{Seed: 1})
		ps, err := fresh.SampleBatch(s, h, rand.New(rand.NewPCG(seed, 9)), 3)
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
		for _, o := range h.Trials {
			if o.Status == search.Pending && a[i].Equal(o.Point) {
				t.Errorf("point %d is the pending trial's %v", i, o.Point)
			}
		}
		for j := range a {
			if j != i && a[i].Equal(a[j]) {
				t.Errorf("points %d and %d of one batch are the same: %v", i, j, a[i])
			}
		}
	}
	if a[0].Equal(c[0]) {
		t.Errorf("another rng (%s) gave the same first point %v", why, a[0])
	}
}

// TestConstrainedZDT1BeatsRandom: ZDT1 under two constraints, 0.5 <=
// x1 + ... + x5 <= 2 (22% of the box), which cut off its unconstrained
// front (where they are 0): over 5 seeds, the median hypervolume of GP's
// feasible trials after 60 is larger than random search's, and so is its
// median share of feasible trials.
func TestConstrainedZDT1BeatsRandom(t *testing.T) {
	s, _ := parse(t, "", zdt1Space)
	eval := func(p search.Point) ([]float64, []float64) {
		l, _ := zdt1(s)(p)
		sum := 0.0
		for i := 1; i < 6; i++ {
			x, _ := p[i].Float()
			sum += x
		}
		return l, []float64{sum - 0.5, 2 - sum}
	}
	feasibleHV := func(h *search.History) (float64, float64) {
		f := &search.History{}
		for _, o := range h.Trials {
			if o.Violation <= 0 {
				f.Add(o)
			}
		}
		if f.Len() == 0 {
			return 0, 0
		}
		return hypervolume(t, f), float64(f.Len()) / float64(h.Len())
	}
	var g, r, gs, rs []float64
	for seed := uint64(0); seed < 5; seed++ {
		smp, _ := gp.New(gp.Options{Seed: seed})
		hv, share := feasibleHV(runGoals(t, smp, s, eval, 60, 1, seed))
		g, gs = append(g, hv), append(gs, share)
		hv, share = feasibleHV(runGoals(t, randomSampler{}, s, eval, 60, 1, seed))
		r, rs = append(r, hv), append(rs, share)
	}
	t.Logf("median feasible hypervolume after 60: gp %.4f, random %.4f; feasible share: gp %.2f, random %.2f", med(g), med(r), med(gs), med(rs))
	if !(med(g) > med(r)) || !(med(gs) > med(rs)) {
		t.Errorf("median feasible hypervolume after 60: gp %.4f, random %.4f; feasible share: gp %.2f, random %.2f", med(g), med(r), med(gs), med(rs))
	}
}

// TestGoalConformance: the suite's studies of several objectives and
// constraints (searchtest.RunGoals), including that gp reads every goal.
func TestGoalConformance(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "gp", Options: "n_init: 5, n_candidates: 256", Learns: true})
}
