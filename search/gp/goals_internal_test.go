package gp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"automl/search"
)

// TestConstrainedAcquisitionGradient: the constrained acquisition (log EI
// plus each constraint's log probability of feasibility) and, with no
// feasible observation, the log probability alone, match their batch
// scores and their finite differences.
func TestConstrainedAcquisitionGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := 3
	x, y := randomData(rng, 20, d)
	lay := contLayout(d)
	k := newKernel(lay, hyper{ls: []float64{0.3, 0.5, 0.8}, s2: 1.2, noise: 1e-4})
	obj, err := newPosterior(k, x, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	cy := make([]float64, len(x))
	for i := range x {
		cy[i] = x[i][1] - 0.4 + 0.3*x[i][0]
	}
	con, err := newPosterior(newKernel(lay, hyper{ls: []float64{0.6, 0.4, 1}, s2: 0.8, noise: 1e-4}), x, standardize(cy), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, noEI := range []bool{false, true} {
		a := &acquisition{obj: obj, cons: []*posterior{con}, thr: []float64{0.2}, noEI: noEI}
		vars := []int{0, 1, 2}
		for trial := 0; trial < 8; trial++ {
			p := []float64{rng.Float64(), rng.Float64(), rng.Float64()}
			g := make([]float64, 3)
			v := a.valueGrad(p, vars, g)
			cs := []cand{{f: p}}
			a.score(cs)
			if math.Abs(cs[0].score-v) > 1e-8*math.Max(1, math.Abs(v)) {
				t.Errorf("noEI %v: valueGrad %v, score %v", noEI, v, cs[0].score)
			}
			for i := range p {
				const h = 1e-6
				pp, pm := append([]float64(nil), p...), append([]float64(nil), p...)
				pp[i] += h
				pm[i] -= h
				num := (a.valueGrad(pp, vars, make([]float64, 3)) - a.valueGrad(pm, vars, make([]float64, 3))) / (2 * h)
				if math.Abs(num-g[i]) > 1e-4*math.Max(1, math.Abs(num)) {
					t.Errorf("noEI %v: d acq/dx[%d] at %v: analytic %.8g, numeric %.8g", noEI, i, p, g[i], num)
				}
			}
		}
	}
}

// TestLogPhi: log Φ and its derivative match the direct formulas where
// those are accurate, and stay finite, increasing and continuous far out.
func TestLogPhi(t *testing.T) {
	for _, z := range []float64{-20, -5, -1, 0, 1.5, 6} {
		direct := math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
		v, dv := logPhi(z)
		if math.Abs(v-direct) > 1e-9*math.Max(1, math.Abs(direct)) {
			t.Errorf("logPhi(%v) = %v, direct %v", z, v, direct)
		}
		pdf := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
		if want := pdf / (0.5 * math.Erfc(-z/math.Sqrt2)); math.Abs(dv-want) > 1e-8*math.Max(1, want) {
			t.Errorf("d logPhi(%v) = %v, direct %v", z, dv, want)
		}
	}
	prev := math.Inf(-1)
	for z := -1e4; z < 8; z += 0.37 {
		v, dv := logPhi(z)
		if math.IsNaN(v) || math.IsInf(v, 0) || !(dv > 0) || v < prev {
			t.Fatalf("logPhi(%v) = %v, %v (previous %v)", z, v, dv, prev)
		}
		prev = v
	}
	a, _ := logPhi(-30 + 1e-9)
	b, _ := logPhi(-30 - 1e-9)
	if math.Abs(a-b) > 1e-6 {
		t.Errorf("logPhi jumps at -30: %v vs %v", a, b)
	}
}

// TestHypervolumeScalarisation: with three objectives the losses are
// normalised from the observed minimum to the Pareto front's maximum (a
// dominated trial's larger losses do not stretch the range), the weights
// are positive and sum to 1, and the level sets' corners lie on the rays
// from the reference point along -λ; with two objectives the range stays
// the observed one.
func TestHypervolumeScalarisation(t *testing.T) {
	obs := func(ls ...[]float64) *search.History {
		h := &search.History{}
		for _, l := range ls {
			h.Trials = append(h.Trials, search.Observation{Status: search.Complete, HasLoss: true, Loss: l[0], Losses: l})
		}
		return h
	}
	g := goalsOf(obs([]float64{0, 1, 1}, []float64{1, 0, 1}, []float64{1, 1, 0}, []float64{5, 6, 7}))
	if !g.hv || !slices.Equal(g.lo, []float64{0, 0, 0}) || !slices.Equal(g.hi, []float64{1, 1, 1}) {
		t.Fatalf("3 objectives: hv %v, range %v..%v, want true, 0..1 (the front's nadir)", g.hv, g.lo, g.hi)
	}
	g2 := goalsOf(obs([]float64{0, 1}, []float64{1, 0}, []float64{5, 6}))
	if g2.hv || !slices.Equal(g2.hi, []float64{5, 6}) {
		t.Fatalf("2 objectives: hv %v, hi %v, want false, [5 6] (the observed maximum)", g2.hv, g2.hi)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100; i++ {
		w := g.weights(rng)
		sum := 0.0
		for _, v := range w {
			if !(v > 0) {
				t.Fatalf("weights %v: not positive", w)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("weights %v sum to %v", w, sum)
		}
		// A point on the ray from the reference point along -λ (hvRef -
		// d/w in normalised losses) is the corner of its level set: every
		// weighted term ties, so raising any one loss raises s by its full
		// weight (Chebyshev weights centred elsewhere raise it by ρ w_j
		// only, off the largest term).
		p := make([]float64, len(w))
		for j := range p {
			p[j] = hvRef - 0.01/w[j]
		}
		s0 := g.chebyshev(p, w)
		for j := range p {
			const eps = 1e-6
			q := slices.Clone(p)
			q[j] += eps
			if d := g.chebyshev(q, w) - s0; d < 0.9*(1+rho)*w[j]*eps {
				t.Fatalf("weights %v: raising loss %d by %v raises s by %v, want %v", w, j, eps, d, (1+rho)*w[j]*eps)
			}
		}
	}
}
