package cmaes

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// es is one run of CMA-ES (Hansen, "The CMA Evolution Strategy: A
// Tutorial", 2016), with the constants and termination tests of the cmaes
// package Optuna's CmaEsSampler drives: weighted recombination of the best
// half, cumulative step-size adaptation, the rank-one and rank-μ updates
// of the covariance (with negative weights for the worse half, as in the
// tutorial's active update), and a per-coordinate scale a used only to
// encode discrete coordinates (the margin, see margin.go).
type es struct {
	n, lambda, mu int
	weights       []float64
	muEff         float64
	c1, cmu, cc   float64
	cSigma        float64
	dSigma, chiN  float64

	mean   []float64
	sigma  float64
	c      []float64 // covariance, n×n row-major
	pSigma []float64
	pc     []float64
	g      int // generations told

	// b and d are c's eigenvectors (columns) and the square roots of its
	// eigenvalues; valid while decomposed.
	b, d       []float64
	decomposed bool

	a []float64 // margin scale per coordinate (1: none)

	funhist     []float64 // best and worst loss of the last funhistTerm generations
	funhistTerm int
	tolX        float64
}

const (
	eps      = 1e-8
	sigmaMax = 1e32
	tolXUp   = 1e4
	tolFun   = 1e-12
	tolCond  = 1e14
)

// newES starts a run at mean with step size sigma and population lambda.
func newES(mean []float64, sigma float64, lambda int) *es {
	n := len(mean)
	nf := float64(n)
	mu := lambda / 2
	wp := make([]float64, lambda)
	for i := range wp {
		wp[i] = math.Log(float64(lambda+1)/2) - math.Log(float64(i+1))
	}
	var sp, sp2, sn, sn2 float64
	for i, w := range wp {
		if i < mu {
			sp, sp2 = sp+w, sp2+w*w
		} else {
			sn, sn2 = sn+w, sn2+w*w
		}
	}
	muEff := sp * sp / sp2
	muEffMinus := 0.0
	if sn2 > 0 {
		muEffMinus = sn * sn / sn2
	}
	const alphaCov = 2.0
	c1 := alphaCov / ((nf+1.3)*(nf+1.3) + muEff)
	cmu := math.Min(1-c1-1e-8, alphaCov*(muEff-2+1/muEff)/((nf+2)*(nf+2)+alphaCov*muEff/2))
	minAlpha := math.Min(1+c1/cmu, math.Min(1+2*muEffMinus/(muEff+2), (1-c1-cmu)/(nf*cmu)))
	var posSum, negSum float64
	for _, w := range wp {
		if w > 0 {
			posSum += w
		} else {
			negSum -= w
		}
	}
	weights := make([]float64, lambda)
	for i, w := range wp {
		if w >= 0 {
			weights[i] = w / posSum
		} else {
			weights[i] = minAlpha * w / negSum
		}
	}
	cSigma := (muEff + 2) / (nf + muEff + 5)
	e := &es{
		n: n, lambda: lambda, mu: mu, weights: weights, muEff: muEff,
		c1: c1, cmu: cmu, cc: (4 + muEff/nf) / (nf + 4 + 2*muEff/nf),
		cSigma: cSigma,
		dSigma: 1 + 2*math.Max(0, math.Sqrt((muEff-1)/(nf+1))-1) + cSigma,
		chiN:   math.Sqrt(nf) * (1 - 1/(4*nf) + 1/(21*nf*nf)),
		mean:   slices.Clone(mean), sigma: sigma,
		c: make([]float64, n*n), pSigma: make([]float64, n), pc: make([]float64, n),
		a:           make([]float64, n),
		funhistTerm: 10 + int(math.Ceil(30*nf/float64(lambda))),
		tolX:        1e-12 * sigma,
	}
	for i := range n {
		e.c[i*n+i] = 1
		e.a[i] = 1
	}
	e.funhist = make([]float64, 2*e.funhistTerm)
	return e
}

func (e *es) clone() *es {
	f := *e
	f.weights = e.weights // never written
	f.mean, f.c, f.pSigma, f.pc = slices.Clone(e.mean), slices.Clone(e.c), slices.Clone(e.pSigma), slices.Clone(e.pc)
	f.b, f.d, f.a, f.funhist = slices.Clone(e.b), slices.Clone(e.d), slices.Clone(e.a), slices.Clone(e.funhist)
	return &f
}

// decompose makes b and d current: c = b diag(d²) bᵀ, eigenvalues floored
// at eps (c is rebuilt from them, so it stays positive definite).
func (e *es) decompose() {
	if e.decomposed {
		return
	}
	n := e.n
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := (e.c[i*n+j] + e.c[j*n+i]) / 2
			e.c[i*n+j], e.c[j*n+i] = v, v
		}
	}
	w, b := eigenSym(e.c, n)
	for i := range w {
		if w[i] < 0 || math.IsNaN(w[i]) {
			w[i] = eps
		}
	}
	for i := range n {
		for j := range n {
			s := 0.0
			for k := range n {
				s += b[i*n+k] * w[k] * b[j*n+k]
			}
			e.c[i*n+j] = s
		}
	}
	e.d = make([]float64, n)
	for i := range w {
		e.d[i] = math.Sqrt(w[i])
	}
	e.b, e.decomposed = b, true
}

// draw samples x ~ N(mean, σ²C) with rng, resampling up to 100 times for
// a point inside [0, 1]ⁿ, then clipping (the cmaes package's ask).
func (e *es) draw(rng *rand.Rand) []float64 {
	e.decompose()
	n := e.n
	x := make([]float64, n)
	z := make([]float64, n)
	for try := 0; ; try++ {
		for i := range z {
			z[i] = rng.NormFloat64() * e.d[i]
		}
		inside := true
		for i := range n {
			s := 0.0
			for k := range n {
				s += e.b[i*n+k] * z[k]
			}
			x[i] = e.mean[i] + e.sigma*s
			inside = inside && x[i] >= 0 && x[i] <= 1
		}
		if inside {
			return x
		}
		if try == 99 {
			for i := range x {
				x[i] = math.Max(0, math.Min(1, x[i]))
			}
			return x
		}
	}
}

// invSqrtTimes returns C^(-1/2) y.
func (e *es) invSqrtTimes(y []float64) []float64 {
	n := e.n
	t := make([]float64, n)
	for k := range n {
		s := 0.0
		for i := range n {
			s += e.b[i*n+k] * y[i]
		}
		t[k] = s / e.d[k]
	}
	out := make([]float64, n)
	for i := range n {
		s := 0.0
		for k := range n {
			s += e.b[i*n+k] * t[k]
		}
		out[i] = s
	}
	return out
}

// solution is one evaluated member of a generation: x in the search
// coordinates, its loss, and whether it was drawn from this distribution
// (false: injected, e.g. a configuration users queued or one drawn from an
// earlier distribution while this one waited for results).
type solution struct {
	x     []float64
	loss  float64
	drawn bool
}

// tell updates the distribution from one generation of lambda solutions.
// Injected solutions have their step clipped to the length a drawn one
// typically has, √n + 2n/(n+2) in C's metric (Hansen 2011, "Injecting
// external solutions into CMA-ES").
func (e *es) tell(sols []solution) {
	sort.SliceStable(sols, func(i, j int) bool { return sols[i].loss < sols[j].loss })
	n := e.n
	e.g++
	fi := 2 * (e.g % e.funhistTerm)
	e.funhist[fi], e.funhist[fi+1] = sols[0].loss, sols[len(sols)-1].loss
	e.decompose()
	ys := make([][]float64, len(sols))
	cy := math.Sqrt(float64(n)) + 2*float64(n)/float64(n+2)
	for k, s := range sols {
		y := make([]float64, n)
		for i := range y {
			y[i] = (s.x[i] - e.mean[i]) / e.sigma
		}
		if !s.drawn {
			if l := norm(e.invSqrtTimes(y)); l > cy {
				for i := range y {
					y[i] *= cy / l
				}
			}
		}
		ys[k] = y
	}
	yw := make([]float64, n)
	for k := 0; k < e.mu; k++ {
		for i := range yw {
			yw[i] += e.weights[k] * ys[k][i]
		}
	}
	for i := range e.mean {
		e.mean[i] += e.sigma * yw[i] // c_m = 1
	}
	cyw := e.invSqrtTimes(yw)
	ks := math.Sqrt(e.cSigma * (2 - e.cSigma) * e.muEff)
	for i := range e.pSigma {
		e.pSigma[i] = (1-e.cSigma)*e.pSigma[i] + ks*cyw[i]
	}
	np := norm(e.pSigma)
	e.sigma = math.Min(e.sigma*math.Exp(e.cSigma/e.dSigma*(np/e.chiN-1)), sigmaMax)

	hSigma := 0.0
	if np/math.Sqrt(1-math.Pow(1-e.cSigma, float64(2*(e.g+1)))) < (1.4+2/float64(n+1))*e.chiN {
		hSigma = 1
	}
	kc := hSigma * math.Sqrt(e.cc*(2-e.cc)*e.muEff)
	for i := range e.pc {
		e.pc[i] = (1-e.cc)*e.pc[i] + kc*yw[i]
	}
	wio := make([]float64, len(ys))
	sumW := 0.0
	for k, w := range e.weights {
		sumW += w
		wio[k] = w
		if w < 0 {
			l := norm(e.invSqrtTimes(ys[k]))
			wio[k] = w * float64(n) / (l*l + eps)
		}
	}
	dh := (1 - hSigma) * e.cc * (2 - e.cc)
	keep := 1 + e.c1*dh - e.c1 - e.cmu*sumW
	for i := range n {
		for j := range n {
			rmu := 0.0
			for k, y := range ys {
				rmu += wio[k] * y[i] * y[j]
			}
			e.c[i*n+j] = keep*e.c[i*n+j] + e.c1*e.pc[i]*e.pc[j] + e.cmu*rmu
		}
	}
	e.decomposed = false
}

// shouldStop is the cmaes package's termination test (Hansen's tutorial,
// B.3): stagnant losses (tolfun over the last 10 + ⌈30n/λ⌉ generations),
// a step size below tolx in every coordinate, divergence, no effect of a
// coordinate or of a principal axis on the mean, or a condition number of
// C above 1e14.
func (e *es) shouldStop() bool {
	e.decompose()
	n := e.n
	if e.g > e.funhistTerm && slices.Max(e.funhist)-slices.Min(e.funhist) < tolFun {
		return true
	}
	small := true
	for i := range n {
		small = small && e.sigma*e.c[i*n+i] < e.tolX && e.sigma*e.pc[i] < e.tolX
	}
	if small || e.sigma*slices.Max(e.d) > tolXUp {
		return true
	}
	for i := range n {
		if e.mean[i] == e.mean[i]+0.2*e.sigma*math.Sqrt(e.c[i*n+i]) {
			return true
		}
	}
	ax := e.g % n
	noEffect := true
	for i := range n {
		noEffect = noEffect && e.mean[i] == e.mean[i]+0.1*e.sigma*e.d[ax]*e.b[i*n+ax]
	}
	if noEffect {
		return true
	}
	return slices.Max(e.d)/slices.Min(e.d) > math.Sqrt(tolCond)
}

func norm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}
