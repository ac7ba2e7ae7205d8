package gp

import (
	"math/rand/v2"

	"automl/search"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
// The draw costs O(n²m) for the posterior covariance and O(m³) for its
// factor, so m shrinks as the data grows; it is at most n_candidates
// (whose default, 1,000 or more, leaves it at 600).
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

// draw returns one joint sample of the latent function at xs (the
// posterior mean when the covariance cannot be factored, even with
// jitter).
func (p *posterior) draw(xs [][]float64, rng *rand.Rand) []float64 {
	m := len(xs)
	mu, _ := p.predict(xs)
	b := make([]float64, p.n*m)
	for j := 0; j < p.n; j++ {
		cf := p.cross(j)
		for c, x := range xs {
			b[j*m+c] = p.k.eval(p.x[j], x)
			if cf != 1 {
				b[j*m+c] *= cf
			}
		}
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lower(p.l, p.n, p.stride), blas64.General{Rows: p.n, Cols: m, Stride: m, Data: b})
	cov := make([]float64, m*m)
	for i := 0; i < m; i++ {
		for j := 0; j <= i; j++ {
			cov[i*m+j] = p.k.eval(xs[i], xs[j])
		}
	}
	// cov -= Bᵀ B (lower triangle)
	blas64.Syrk(blas.Trans, -1, blas64.General{Rows: p.n, Cols: m, Stride: m, Data: b}, 1, blas64.Symmetric{Uplo: blas.Lower, N: m, Stride: m, Data: cov})
	if _, err := cholesky(cov, m, m, p.k.s2); err != nil {
		return mu
	}
	z := make([]float64, m)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	out := make([]float64, m)
	for i := 0; i < m; i++ {
		v := mu[i]
		for j := 0; j <= i; j++ {
			v += cov[i*m+j] * z[j]
		}
		out[i] = v
	}
	return out
}
