package main

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"automl/search/pareto"
	"automl/search/value"
)

func evalAt(t *testing.T, p *problem, x []float64) (f, c []float64) {
	t.Helper()
	vs := make(value.Values, len(x))
	for i, v := range x {
		vs[i] = value.NamedValue{Name: "x" + string(rune('0'+i)), Value: value.Float(v)}
	}
	out, err := p.Eval(vs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != p.K+p.NC {
		t.Fatalf("%s: %d values, want %d", p.Name, len(out), p.K+p.NC)
	}
	return out[:p.K], out[p.K:]
}

func feasibleOf(c []float64) bool {
	return !slices.ContainsFunc(c, func(v float64) bool { return !(v <= 0) })
}

// samples is n uniform points of a problem's box, then the grid points
// that each problem needs near its optimum (see below).
func samples(p *problem, n int, rng *rand.Rand) [][]float64 {
	var xs [][]float64
	for range n {
		x := make([]float64, len(p.Box))
		for i, b := range p.Box {
			x[i] = b[0] + rng.Float64()*(b[1]-b[0])
		}
		xs = append(xs, x)
	}
	return xs
}

// TestConstrainedOptima checks each constrained problem's stated optimum
// (or true front's hypervolume) and feasible share against a dense
// sample of its box: no feasible sample beats the optimum, the best comes
// close to it, and the sample's feasible share is the stated one.
func TestConstrainedOptima(t *testing.T) {
	ps, err := problems()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	argmin := map[string][]float64{
		"cbranin":    {math.Pi, 2.275},
		"chartmann6": {0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054},
	}
	for _, name := range []string{"cbranin", "chartmann6", "tnk", "ctp1"} {
		p := ps[name]
		xs := samples(p, 100000, rng)
		// The share comes from the uniform points alone.
		nf := 0
		for _, x := range xs {
			if _, c := evalAt(t, p, x); feasibleOf(c) {
				nf++
			}
		}
		if share := float64(nf) / float64(len(xs)); math.Abs(share-p.Feasible) > 0.003 {
			t.Errorf("%s: %.4f of %d uniform points feasible, stated %.4f", name, share, len(xs), p.Feasible)
		}
		switch name {
		case "cbranin": // a 0.02 grid of the box
			for a := -5.0; a <= 10; a += 0.02 {
				for b := 0.0; b <= 15; b += 0.02 {
					xs = append(xs, []float64{a, b})
				}
			}
		case "chartmann6": // around the minimiser, 0.05 either side
			for range 100000 {
				x := slices.Clone(argmin[name])
				for i := range x {
					x[i] += 0.1 * (rng.Float64() - 0.5)
				}
				xs = append(xs, x)
			}
		case "tnk": // a 0.002 grid of [0, 1.3]²: the feasible region's lower-left part
			for a := 0.0; a <= 1.3; a += 0.002 {
				for b := 0.0; b <= 1.3; b += 0.002 {
					xs = append(xs, []float64{a, b})
				}
			}
		case "ctp1": // x0 on a grid, the rest equal and small: g from 1 to 1.09
			for a := 0.0; a <= 1; a += 0.001 {
				for r := 0.0; r <= 0.01; r += 0.0005 {
					xs = append(xs, []float64{a, r, r, r, r, r})
				}
			}
		}
		if p.K == 1 {
			f, c := evalAt(t, p, argmin[name])
			if !feasibleOf(c) || math.Abs(f[0]-p.Opt) > 1e-5 {
				t.Errorf("%s: at the stated minimiser f = %v, constraints %v; want %v, feasible", name, f[0], c, p.Opt)
			}
			best := math.Inf(1)
			for _, x := range xs {
				if f, c := evalAt(t, p, x); feasibleOf(c) {
					best = math.Min(best, f[0])
				}
			}
			if best < p.Opt-1e-5 || best > p.Opt+0.01*math.Max(1, math.Abs(p.Opt)) {
				t.Errorf("%s: best feasible of %d samples %.6f, stated optimum %.6f", name, len(xs), best, p.Opt)
			}
			continue
		}
		// Two objectives: keep each sample's point when feasible, then the
		// non-dominated ones (a sweep by f1), whose hypervolume must come
		// near the stated one from below.
		var pts [][]float64
		for _, x := range xs {
			if f, c := evalAt(t, p, x); feasibleOf(c) {
				pts = append(pts, f)
			}
		}
		slices.SortFunc(pts, func(a, b []float64) int {
			if a[0] != b[0] {
				return cmp.Compare(a[0], b[0])
			}
			return cmp.Compare(a[1], b[1])
		})
		var front [][]float64
		for _, q := range pts {
			if len(front) == 0 || q[1] < front[len(front)-1][1] {
				front = append(front, q)
			}
		}
		hv, err := pareto.Hypervolume(front, p.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if gap := p.TrueHV - hv; gap < -1e-6 || gap > 0.01*p.TrueHV {
			t.Errorf("%s: the feasible samples' front (%d points of %d) has hypervolume %.6f, stated %.6f", name, len(front), len(xs), hv, p.TrueHV)
		}
	}
}

// Before its first feasible trial a study of one objective has no best
// feasible value: its regret is +Inf, which a run's file (JSON) cannot
// hold, so the figures are computed from the trials on reading too, and
// the median of a sample with such studies is +Inf only past the middle.
func TestNoFeasibleTrialYet(t *testing.T) {
	ps, err := problems()
	if err != nil {
		t.Fatal(err)
	}
	p := ps["cbranin"]
	losses := [][]float64{{5}, {3}, {1}, {2}}
	cons := [][]float64{{1}, {0.5}, {-1}, {0}}
	r, share, err := regrets(p, losses, cons, []int{2, 4})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(r["2"], 1) || math.Abs(r["4"]-(1-p.Opt)) > 1e-12 || share["2"] != 0 || share["4"] != 0.5 {
		t.Errorf("regrets %v, shares %v; want +Inf and %v, 0 and 0.5", r, share, 1-p.Opt)
	}
	path := t.TempDir() + "/s.jsonl"
	if err := writeStudies(path, []study{{Sampler: "x", Func: "cbranin", Losses: losses, Cons: cons, Regret: r, Share: share}}); err != nil {
		t.Fatal(err)
	}
	back, err := readStudies(path)
	if err != nil || len(back) != 1 || len(back[0].Cons) != 4 {
		t.Fatalf("read back %+v, %v", back, err)
	}
	if m := summarize([]float64{1, 2, math.Inf(1)}).med; m != 2 {
		t.Errorf("median of 1, 2, +Inf = %v, want 2", m)
	}
	if c := summarize([]float64{1, math.Inf(1), math.Inf(1)}); !math.IsInf(c.med, 1) || c.q25 != math.Inf(1) {
		t.Errorf("1, +Inf, +Inf: %+v, want a median and lower quartile of +Inf", c)
	}
}
