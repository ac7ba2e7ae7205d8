package gp

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Hyperparameters are fitted by maximum a posteriori: the log marginal
// likelihood of the (transformed, standardised) losses plus log priors,
// over θ = (log ℓ_1..log ℓ_P, log s², log(noise - minNoise)), by L-BFGS (lbfgs.go) from
// a few fixed starting points (no randomness, so a refit on the same data
// gives the same hyperparameters bit for bit).
//
// Priors: log ℓ ~ N(√2 + ½ log P, √3²), the dimension-scaled length-scale
// prior of Hvarfner et al. (2024) that keeps high-dimensional fits from
// over-fitting; log s² ~ N(0, 1); log noise ~ N(-8, 2²) with a floor of
// minNoise, as the objectives are mostly deterministic up to the warp.
//
// Imported results (a warm start) are taken as a related function: the
// study's function scaled by a correlation ρ plus a discrepancy
// b ~ GP(0, s²_b k) with the same length scales, so that two imported
// results covary by (s² + s²_b) k, an imported result and the study's
// function by ρ s² k (a two-task, intrinsic-coregionalisation kernel,
// Bonilla et al. 2008; Swersky et al. 2013). θ gets log s²_b, prior
// N(-2, 2²) (a discrepancy a tenth of the signal's size or so, free to
// grow), and logit ρ, prior N(2, 1.5²) (ρ near 0.9, free to fall).
// Results of the same function fit a small s²_b and ρ near 1 and count as
// the study's own; those of a related function whose optimum has moved
// fit a larger s²_b or a smaller ρ, which leaves the study's function
// uncertain where only imported results are, and the study's own results
// near its optimum outweigh them (Kennedy and O'Hagan's co-kriging, with
// the correlation fitted).

const (
	biasMu, biasSigma = -2.0, 2.0
	biasLo, biasHi    = -12.0, 3.0
	rhoMu, rhoSigma   = 2.0, 1.5
	rhoLo, rhoHi      = -6.0, 6.0
)

const (
	minNoise   = 1e-6
	noiseMu    = -8.0
	noiseSigma = 2.0
	s2Sigma    = 1.0
)

var lsSigma = math.Sqrt(3)

// bounds of θ (natural log units): length scales, signal variance, noise.
const (
	lsLo, lsHi       = -6.0, 6.0
	s2Lo, s2Hi       = -6.0, 5.0
	noiseLo, noiseHi = -20.0, 1.0
)

// fitData holds what every likelihood evaluation needs: the per-parameter
// squared distances of every pair (lower triangle) and the targets.
type fitData struct {
	n, p int
	d    [][]float64 // d[g][i*n+j], j < i: Σ over g's features of (x_i - x_j)²
	y    []float64
	mu   float64 // prior mean of log ℓ
	imp  []bool  // imported results (nil: none); θ then has log s²_b
}

// setImported marks the imported results among the data (none: nil).
func (fd *fitData) setImported(imp []bool) {
	fd.imp = nil
	for _, b := range imp {
		if b {
			fd.imp = imp
			return
		}
	}
}

// nTheta is the number of hyperparameters fitted.
func (fd *fitData) nTheta() int {
	if fd.imp != nil {
		return fd.p + 4
	}
	return fd.p + 2
}

func newFitData(lay *layout, x [][]float64, y []float64) *fitData {
	n, p := len(x), len(lay.params)
	fd := &fitData{n: n, p: p, y: y, d: make([][]float64, p), mu: math.Sqrt2 + 0.5*math.Log(float64(p))}
	for g, pg := range lay.params {
		dg := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < i; j++ {
				s := 0.0
				for f := pg.off; f < pg.off+pg.width; f++ {
					t := x[i][f] - x[j][f]
					s += t * t
				}
				dg[i*n+j] = s
			}
		}
		fd.d[g] = dg
	}
	return fd
}

// objective evaluates the negative log posterior and its gradient.
type objective struct {
	fd    *fitData
	k     []float64 // n×n work: K, then its factor, then its inverse
	r, e  []float64 // n×n scaled distances and exp(-√5 r)
	alpha []float64
	row   []float64 // n: one row's squared scaled distances, then its gradient weights
	lastX []float64
	lastF float64
	lastG []float64
}

// fg is the function-and-gradient form minimize wants.
func (o *objective) fg(x, g []float64) float64 {
	o.eval(x)
	copy(g, o.lastG)
	return o.lastF
}

func newObjective(fd *fitData) *objective {
	n := fd.n
	return &objective{fd: fd, k: make([]float64, n*n), r: make([]float64, n*n), e: make([]float64, n*n), alpha: make([]float64, n),
		row: make([]float64, n), lastG: make([]float64, fd.nTheta())}
}

func sameVec(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bound clamps θ into its box and returns the quadratic penalty pulling an
// outside θ back (L-BFGS is unconstrained).
func bound(theta []float64, p int, clamped, pgrad []float64) float64 {
	const stiff = 100.0
	pen := 0.0
	for i, t := range theta {
		lo, hi := lsLo, lsHi
		switch {
		case i == p:
			lo, hi = s2Lo, s2Hi
		case i == p+1:
			lo, hi = noiseLo, noiseHi
		case i == p+2:
			lo, hi = biasLo, biasHi
		case i == p+3:
			lo, hi = rhoLo, rhoHi
		}
		c := math.Max(lo, math.Min(hi, t))
		clamped[i] = c
		pen += 0.5 * stiff * (t - c) * (t - c)
		pgrad[i] = stiff * (t - c)
	}
	return pen
}

func (o *objective) eval(theta []float64) {
	if o.lastX != nil && sameVec(o.lastX, theta) {
		return
	}
	o.lastX = append(o.lastX[:0], theta...)
	fd := o.fd
	n, p := fd.n, fd.p
	th := make([]float64, len(theta))
	grad := o.lastG
	pen := bound(theta, p, th, grad)

	inv := make([]float64, p)
	for g := 0; g < p; g++ {
		inv[g] = math.Exp(-2 * th[g])
	}
	s2 := math.Exp(th[p])
	en := math.Exp(th[p+1])
	noise := en + minNoise
	s2b := 0.0            // the imported results' discrepancy
	rho, drho := 1.0, 0.0 // the correlation and dρ/dθ
	if fd.imp != nil {
		s2b = math.Exp(th[p+2])
		rho = logistic(th[p+3])
		drho = rho * (1 - rho)
	}
	// both: observations i and j are both imported, so they share the
	// discrepancy; sig is the signal variance between them.
	both := func(i, j int) bool { return fd.imp != nil && fd.imp[i] && fd.imp[j] }
	mixed := func(i, j int) bool { return fd.imp != nil && fd.imp[i] != fd.imp[j] }
	sig := func(i, j int) float64 {
		if both(i, j) {
			return s2 + s2b
		}
		if mixed(i, j) && rho != 1 {
			return rho * s2
		}
		return s2
	}
	k := o.k
	for i := 0; i < n; i++ {
		// The row's r² a length-scale group at a time, in gonum's assembly
		// axpy: the same products summed in the same order as pair by
		// pair, so the same bits, at a fraction of the cost (and of the
		// race detector's, which does not see into assembly).
		r2s := o.row[:i]
		clear(r2s)
		for g := 0; g < p; g++ {
			floats.AddScaled(r2s, inv[g], fd.d[g][i*n:i*n+i])
		}
		for j, r2 := range r2s {
			// Keep r and exp(-√5 r): the gradient pass needs both.
			r := math.Sqrt(r2)
			e := math.Exp(-sqrt5 * r)
			o.r[i*n+j], o.e[i*n+j] = r, e
			k[i*n+j] = sig(i, j) * (1 + sqrt5*r + 5.0/3*r2) * e
		}
		k[i*n+i] = sig(i, i) + noise
	}
	if _, err := cholesky(k, n, n, s2); err != nil {
		o.lastF = math.Inf(1)
		return
	}
	copy(o.alpha, fd.y)
	solveL(k, n, n, o.alpha)
	solveLT(k, n, n, o.alpha)
	nll := 0.5*dot(fd.y, o.alpha) + logDiagSum(k, n, n) + 0.5*float64(n)*math.Log(2*math.Pi)

	// K⁻¹ in the lower triangle of k.
	if _, ok := lapack64.Potri(lower(k, n, n)); !ok {
		o.lastF = math.Inf(1)
		return
	}
	a := o.alpha
	gls := make([]float64, p)
	gs2, gb, tr, gr := 0.0, 0.0, 0.0, 0.0
	for i := 0; i < n; i++ {
		wii := k[i*n+i] - a[i]*a[i]
		tr += wii
		gs2 += 0.5 * wii * s2
		if both(i, i) {
			gb += 0.5 * wii * s2b
		}
		for j := 0; j < i; j++ {
			w := k[i*n+j] - a[i]*a[j]
			r, e := o.r[i*n+j], o.e[i*n+j]
			// (the products in this order: without imported results, the
			// same bits as a study without the discrepancy)
			if mixed(i, j) && rho != 1 {
				gs2 += w * rho * s2 * (1 + sqrt5*r + 5.0/3*r*r) * e
				gr += w * drho * s2 * (1 + sqrt5*r + 5.0/3*r*r) * e
			} else {
				gs2 += w * s2 * (1 + sqrt5*r + 5.0/3*r*r) * e
			}
			sij := sig(i, j)
			if both(i, j) {
				gb += w * s2b * (1 + sqrt5*r + 5.0/3*r*r) * e
			}
			o.row[j] = 2 * w * sij * 5.0 / 6 * (1 + sqrt5*r) * e
		}
		// each group's sum over the row, in the order pair by pair would
		// add them (the same bits)
		for g := 0; g < p; g++ {
			sum, ig := gls[g], inv[g]
			for j, dg := range fd.d[g][i*n : i*n+i] {
				sum += o.row[j] * dg * ig
			}
			gls[g] = sum
		}
	}
	// Priors (negative log densities, up to constants).
	f := nll + pen
	for g := 0; g < p; g++ {
		z := (th[g] - fd.mu) / lsSigma
		f += 0.5 * z * z
		grad[g] += gls[g] + z/lsSigma
	}
	zs := th[p] / s2Sigma
	f += 0.5 * zs * zs
	grad[p] += gs2 + zs/s2Sigma
	zn := (th[p+1] - noiseMu) / noiseSigma
	f += 0.5 * zn * zn
	grad[p+1] += 0.5*en*tr + zn/noiseSigma
	if fd.imp != nil {
		zb := (th[p+2] - biasMu) / biasSigma
		f += 0.5 * zb * zb
		grad[p+2] += gb + zb/biasSigma
		zr := (th[p+3] - rhoMu) / rhoSigma
		f += 0.5 * zr * zr
		grad[p+3] += gr + zr/rhoSigma
	}
	o.lastF = f
}

// starts are the fixed initial points: short and long length scales
// (scaled by √P, as distances grow with the dimension), unit signal,
// small noise, and the discrepancy's prior median when there is one.
func starts(fd *fitData) [][]float64 {
	p := fd.p
	var out [][]float64
	for _, l0 := range []float64{0.2, 1.0} {
		th := make([]float64, fd.nTheta())
		for g := 0; g < p; g++ {
			th[g] = math.Log(l0 * math.Sqrt(math.Max(1, float64(p)/2)))
		}
		th[p] = 0
		th[p+1] = math.Log(1e-3)
		if fd.imp != nil {
			th[p+2] = biasMu
			th[p+3] = rhoMu
		}
		out = append(out, th)
	}
	return out
}

// fitHyper returns the MAP hyperparameters for the data, the negative
// log posterior there and the optimum in θ. It starts from each of from, or
// from the fixed starts when from is empty.
func fitHyper(fd *fitData, maxIter int, from ...[]float64) (hyper, float64, []float64) {
	obj := newObjective(fd)
	best, bestF := []float64(nil), math.Inf(1)
	if len(from) == 0 {
		from = starts(fd)
	}
	for _, x0 := range from {
		x, f := minimize(obj.fg, x0, maxIter, 1e-4, 1e-7)
		if f < bestF {
			best, bestF = x, f
		}
	}
	if best == nil {
		best = starts(fd)[1]
	}
	th := make([]float64, len(best))
	bound(best, fd.p, th, make([]float64, len(best)))
	h := hyper{ls: make([]float64, fd.p), s2: math.Exp(th[fd.p]), noise: math.Exp(th[fd.p+1]) + minNoise}
	if fd.imp != nil {
		h.s2b = math.Exp(th[fd.p+2])
		h.rho = logistic(th[fd.p+3])
	}
	for g := range h.ls {
		h.ls[g] = math.Exp(th[g])
	}
	return h, bestF, th
}

// logistic maps the fitted θ of the correlation into (0, 1).
func logistic(t float64) float64 { return 1 / (1 + math.Exp(-t)) }
