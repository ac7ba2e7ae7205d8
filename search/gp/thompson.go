package gp

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"automl/search"
)

// Thompson sampling for parallel slots. While other trials are pending, a
// point is the minimiser of one joint draw from the posterior (pending
// trials fantasised at their mean, so the draw is pinned near them and
// free elsewhere) over a candidate set: half Sobol, half near the best
// trials, as for log EI. Log EI with fantasies (the Kriging believer)
// steers every pending point's neighbourhood away, and with eight pending
// trials it chose mostly exploratory points; a draw's minimiser lands
// where the function may well be lowest, which is often close to the
// best trials, and the draws differ from slot to slot.
//
// m is at most n_candidates (whose default, 1,000 or more, leaves it at
// 600) and shrinks as the data grows, as for log EI.
const (
	thompsonCands   = 600
	thompsonMinimum = 256
)

// thompson returns the candidate where one joint draw from the posterior
// is lowest.
func (s *Sampler) thompson(space *search.Space, lay *layout, post *posterior, tr *training, o Options, rng *rand.Rand, seen map[string]bool) (search.Point, []float64) {
	m := max(thompsonMinimum, min(thompsonCands, int(candBudget/float64(post.n*post.n+1))))
	m = min(m, o.NCandidates)
	cs := s.freshCandidates(space, lay, tr, m, rng, seen)
	if len(cs) == 0 {
		return s.fallbackPoint(space, lay, rng, seen)
	}
	fs := make([][]float64, len(cs))
	for i := range cs {
		fs[i] = cs[i].f
	}
	f := post.draw(fs, rng)
	best := 0
	for i, v := range f {
		if v < f[best] {
			best = i
		}
	}
	return cs[best].p, cs[best].f
}

// draw returns one joint sample of the latent function at xs, by
// pathwise conditioning (Wilson et al. 2020, "Efficiently sampling
// functions from Gaussian process posteriors"): a draw f from the prior
// (random Fourier features of the fitted kernel, priorDraw) is moved by
// the exact update
//
//	f_post(x) = f(x) + k(x, X) (K + σ²I)⁻¹ (y - f(X) - ε),  ε ~ N(0, σ²I),
//
// with X the data and the fantasies (observed at their posterior mean,
// which leaves the mean k(x, X₀) α of the real data unchanged) and the
// cached Cholesky factor of K + σ²I. An imported observation is the
// function scaled by the correlation ρ, plus an independent function's
// √(1-ρ²) share and a discrepancy (newPosteriorImported): its prior value
// is made of the three draws, and its covariance with f(x) is ρ k. Averaged over the features, the draw has
// the posterior's mean and covariance exactly (TestDrawHasThePosteriorsMoments);
// it costs O(n m) kernel evaluations and O((n + m) L) features for m
// points, where the exact joint draw cost an m x m covariance and its
// Cholesky factor, O(n²m + m³).
func (p *posterior) draw(xs [][]float64, rng *rand.Rand) []float64 {
	prior := newPriorDraw(p.k.w, p.k.s2, rffFeatures, rng)
	var disc, perp *priorDraw
	if p.imp != nil {
		disc = newPriorDraw(p.k.w, p.k.s2b, rffFeatures, rng)
		if p.k.rho != 0 && p.k.rho != 1 {
			perp = newPriorDraw(p.k.w, p.k.s2, rffFeatures, rng)
		}
	}
	sdNoise := math.Sqrt(p.k.noise + p.jitter)
	c := make([]float64, p.n) // (K + σ²I)⁻¹ (f(X) + ε), then α minus it
	for j := 0; j < p.n; j++ {
		f := prior.at(p.x[j])
		if disc != nil && j < p.n0 && p.imp[j] {
			// An imported result is ρ f + √(1-ρ²) f⊥ + δ, f⊥ and δ
			// independent of f: the covariances of newPosteriorImported.
			rho := p.cross(j)
			f = rho*f + disc.at(p.x[j])
			if perp != nil {
				f += math.Sqrt(1-rho*rho) * perp.at(p.x[j])
			}
		}
		c[j] = f + sdNoise*rng.NormFloat64()
	}
	solveL(p.l, p.n, p.stride, c)
	solveLT(p.l, p.n, p.stride, c)
	for j := range c {
		c[j] = -c[j]
		if j < p.n0 {
			c[j] += p.alpha[j]
		}
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		v := prior.at(x)
		for j := 0; j < p.n; j++ {
			v += p.k.eval(x, p.x[j]) * p.cross(j) * c[j]
		}
		out[i] = v
	}
	return out
}

// rffFeatures is how many random Fourier features a prior draw has.
const rffFeatures = 1024

// priorDraw is one function drawn from a GP prior with the Matérn-5/2
// kernel s² m52(Σ_f w_f d_f²), approximated by L random Fourier features
// (Rahimi and Recht 2007):
//
//	f(x) = √(2s²/L) Σ_l θ_l cos(ω_l · x + b_l),  θ_l ~ N(0, 1),  b_l ~ U(0, 2π),
//
// with ω_l drawn from the kernel's spectral density, a Student t with 5
// degrees of freedom: ω_f = z_f √(w_f) √(5/u), z ~ N(0, I), u ~ χ²₅. Its
// covariance, averaged over the features, is the kernel's.
type priorDraw struct {
	nf, l  int
	omegaT []float64 // nf x L: ω_l's f-th coordinates, contiguous per f
	phase  []float64
	wt     []float64 // √(2s²/L) θ_l
	acc    []float64 // scratch: the L phases ω_l · x + b_l of one point
}

func newPriorDraw(w []float64, s2 float64, l int, rng *rand.Rand) *priorDraw {
	nf := len(w)
	d := &priorDraw{nf: nf, l: l, omegaT: make([]float64, nf*l), phase: make([]float64, l), wt: make([]float64, l), acc: make([]float64, l)}
	amp := math.Sqrt(2 * s2 / float64(l))
	for i := 0; i < l; i++ {
		u := 0.0
		for range 5 {
			z := rng.NormFloat64()
			u += z * z
		}
		sc := math.Sqrt(5 / u)
		for f := range nf {
			d.omegaT[f*l+i] = rng.NormFloat64() * math.Sqrt(w[f]) * sc
		}
		d.phase[i] = 2 * math.Pi * rng.Float64()
		d.wt[i] = amp * rng.NormFloat64()
	}
	return d
}

// at is the drawn function's value at x. The phases are summed a
// coordinate at a time over all features (gonum's assembly axpy: the same
// products and sums in the same order as feature by feature, so the same
// bits), then the cosines are weighed in one inlined loop. Not for
// concurrent use (acc).
func (d *priorDraw) at(x []float64) float64 {
	a := d.acc
	copy(a, d.phase)
	for f := range d.nf {
		floats.AddScaled(a, x[f], d.omegaT[f*d.l:(f+1)*d.l])
	}
	s := 0.0
	for i, v := range a {
		s += d.wt[i] * cosine(v)
	}
	return s
}

// cosine is cos(a) to about 1e-11 absolute (the draws spend most of their
// time here): a is reduced to turns t in [0, 0.5], and cos(2πt) =
// -sin(2π(t - 1/4)) taken from sin's Taylor series to the 15th power on
// [-π/2, π/2] (the next term is under 7e-12 there). It has no branch and
// no call, so it inlines into the draw's loop over features: half the CPU
// time of a version that branched on the quarter turn (a branch the
// random phases mispredict half the time) and fell back to math.Cos for
// huge angles (BenchmarkSample100Q8Thompson). Beyond 2⁵¹ turns, where no
// draw's phase goes (|ω·x + b| is at most Σ|ω| + 2π), the reduction is
// lost and the value is only bounded; NaN and ±Inf give NaN.
func cosine(a float64) float64 {
	t := a * (1 / (2 * math.Pi))
	t = math.Abs(t - (t + toInt - toInt)) // turns in [0, 0.5]
	return -sinPoly(2 * math.Pi * (t - 0.25))
}

// toInt: t + toInt - toInt is t rounded to an integer (|t| < 2⁵¹).
const toInt = 1 << 52 * 1.5

// sinPoly is sin(x) for |x| <= π/2 by its Taylor series to x¹⁵.
func sinPoly(x float64) float64 {
	x2 := x * x
	return x * (1 + x2*(-1.0/6+x2*(1.0/120+x2*(-1.0/5040+x2*(1.0/362880+x2*(-1.0/39916800+x2*(1.0/6227020800+x2*(-1.0/1307674368000))))))))
}
