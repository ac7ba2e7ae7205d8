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
	checkBatchDeterministic(t, s, h.WithPending(pending), "other candidates")
}

// TestThreeObjectivesOddTrials: EHVI's data takes NaN, ±Inf and missing
// losses, failed, pruned, imported and pending trials, and still
// proposes a valid point that is not pending.
func TestThreeObjectivesOddTrials(t *testing.T) {
	s, _ := parse(t, "", zdt1Space)
	smp, _ := gp.New(gp.Options{Seed: 2, NInit: 5, NCandidates: 200})
	h := runGoals(t, smp, s, dtlz2(s), 12, 1, 3)
	odd := [][]float64{{math.NaN(), 1, 1}, {math.Inf(1), 0.5, 0.5}, {0.2, math.Inf(-1), 0.3}, {0.1, 0.2}, nil}
	for i, l := range odd {
		o := h.Trials[i]
		o.ID, o.Losses = 100+i, l
		o.Point = s.Decode([]float64{0.1 * float64(i), 0.3, 0.7, 0.2, 0.9, 0.4})
		h.Add(o)
	}
	for i, st := range []search.Status{search.Failed, search.Pruned, search.Pending} {
		h.Add(search.Observation{ID: 200 + i, Point: s.Decode([]float64{0.5, 0.1 * float64(i), 0.5, 0.5, 0.5, 0.5}), Status: st})
	}
	imp := h.Trials[0]
	imp.ID, imp.Imported = 300, true
	imp.Point = s.Decode([]float64{0.9, 0.9, 0.1, 0.1, 0.1, 0.1})
	h.Add(imp)
	for _, q := range []int{1, 2} {
		ps, err := smp.SampleBatch(s, h, rand.New(rand.NewPCG(1, 1)), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if err := s.Check(p); err != nil {
				t.Fatalf("invalid point %v: %v", p, err)
			}
			if p.Equal(h.Trials[h.Len()-2].Point) {
				t.Errorf("proposed the pending trial's point %v", p)
			}
		}
	}
}

// benchmarkSuggestDTLZ2 times EHVI suggestions for a study of three
// objectives (DTLZ2, 6-D) on a history of n random points (cached: the
// objectives' hyperparameters from the cache, as between two refits;
// otherwise a fresh sampler fits all three, the cost at a refit).
func benchmarkSuggestDTLZ2(b *testing.B, n int, cached bool) {
	s, _ := parse(b, "", zdt1Space)
	eval := dtlz2(s)
	rng := rand.New(rand.NewPCG(7, 7))
	h := &search.History{}
	_, ps := uniformPoints(s, n, rng)
	for i, p := range ps {
		l, _ := eval(p)
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, Loss: l[0], HasLoss: true, Losses: l})
	}
	smp, _ := gp.New(gp.Options{Seed: 3})
	if _, err := smp.Sample(s, h, rng); err != nil {
		b.Fatal(err)
	}
	timeSuggestions(b, smp, s, h, rng, cached)
}

func BenchmarkSuggestDTLZ2300CachedFit(b *testing.B) { benchmarkSuggestDTLZ2(b, 300, true) }
func BenchmarkSuggestDTLZ2300Refit(b *testing.B)     { benchmarkSuggestDTLZ2(b, 300, false) }
