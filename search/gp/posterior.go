package gp

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// posterior is the GP conditioned on the data, with room to add fantasised
// observations at pending points (Kriging believer): a fantasy at the
// posterior mean leaves the mean unchanged everywhere and only shrinks the
// variance, so the mean keeps using the real data's weights (alpha) and
// each fantasy costs one O(n²) extension of the Cholesky factor.
type posterior struct {
	k      *kernel
	x      [][]float64 // features: real data, then fantasies
	n0     int         // real data
	n      int         // real + fantasies
	stride int
	l      []float64 // lower Cholesky factor of K + noise, stride × stride
	alpha  []float64 // (K + noise)⁻¹ y over the real data
	best   float64   // incumbent: min of y and of the fantasies' means
	jitter float64
	imp    []bool // imported results among the real data (nil: none)
}

// cross is the factor on the kernel between the study's function and
// conditioning point j: the correlation for an imported result, else 1.
func (p *posterior) cross(j int) float64 {
	if p.imp != nil && j < p.n0 && p.imp[j] && p.k.rho != 0 {
		return p.k.rho
	}
	return 1
}

// newPosterior conditions the GP on (x, y), with room for extra fantasies.
func newPosterior(k *kernel, x [][]float64, y []float64, extra int) (*posterior, error) {
	return newPosteriorImported(k, x, y, nil, extra)
}

// newPosteriorImported conditions the GP on (x, y) where imp marks the
// imported results: observations of a related function, the study's
// scaled by the correlation ρ plus a discrepancy (hyper.go), so two
// imported results covary by the kernel plus the discrepancy's, an
// imported result with anything else by ρ times the kernel. Predictions are of the study's function. The EI
// incumbent is the best of the study's own results (of the imported ones
// while it has none).
func newPosteriorImported(k *kernel, x [][]float64, y []float64, imp []bool, extra int) (*posterior, error) {
	n := len(x)
	p := &posterior{k: k, n0: n, n: n, stride: n + extra, best: math.Inf(1)}
	p.x = make([][]float64, n, n+extra)
	copy(p.x, x)
	p.l = make([]float64, p.stride*p.stride)
	imported := func(i int) bool { return imp != nil && imp[i] }
	for i := 0; i < n; i++ {
		if imported(i) && p.imp == nil {
			p.imp = imp
		}
		for j := 0; j < i; j++ {
			r2 := k.r2(x[i], x[j])
			c := k.s2 * m52(r2)
			if imported(i) && imported(j) {
				c += k.s2b * m52(r2)
			} else if (imported(i) || imported(j)) && k.rho != 0 {
				c *= k.rho
			}
			p.l[i*p.stride+j] = c
		}
		p.l[i*p.stride+i] = k.s2 + k.noise
		if imported(i) {
			p.l[i*p.stride+i] += k.s2b
		}
	}
	jit, err := cholesky(p.l, n, p.stride, k.s2)
	if err != nil {
		return nil, err
	}
	p.jitter = jit
	p.alpha = append([]float64(nil), y...)
	solveL(p.l, n, p.stride, p.alpha)
	solveLT(p.l, n, p.stride, p.alpha)
	for i, v := range y {
		if !imported(i) {
			p.best = math.Min(p.best, v)
		}
	}
	if math.IsInf(p.best, 1) {
		for _, v := range y {
			p.best = math.Min(p.best, v)
		}
	}
	return p, nil
}

// kvec writes k(x, x_j) for every conditioning point (data and
// fantasies) into kv (len >= n).
func (p *posterior) kvec(x []float64, kv []float64) {
	for j := 0; j < p.n; j++ {
		kv[j] = p.k.eval(x, p.x[j])
		if c := p.cross(j); c != 1 {
			kv[j] *= c
		}
	}
}

// addFantasy conditions on an observation at x equal to its posterior mean.
func (p *posterior) addFantasy(x []float64) {
	if p.n >= p.stride {
		return // no room reserved: the caller asked for more than it planned
	}
	row := p.l[p.n*p.stride : p.n*p.stride+p.n]
	p.kvec(x, row)
	mu := dot(row[:p.n0], p.alpha)
	solveL(p.l, p.n, p.stride, row)
	d2 := p.k.s2 + p.k.noise + p.jitter - dot(row, row)
	p.l[p.n*p.stride+p.n] = math.Sqrt(math.Max(d2, 1e-10*p.k.s2))
	p.x = append(p.x, x)
	p.n++
	p.best = math.Min(p.best, mu)
}

// predict returns the posterior mean and standard deviation (of the
// latent function, without noise) at each of xs.
func (p *posterior) predict(xs [][]float64) (mu, sd []float64) {
	m := len(xs)
	mu, sd = make([]float64, m), make([]float64, m)
	if m == 0 {
		return mu, sd
	}
	b := make([]float64, p.n*m) // b[j*m+c] = k(x_j, xs_c)
	for j := 0; j < p.n; j++ {
		xj := p.x[j]
		cf := p.cross(j)
		for c, x := range xs {
			b[j*m+c] = p.k.eval(xj, x)
			if cf != 1 {
				b[j*m+c] *= cf
			}
		}
	}
	for j := 0; j < p.n0; j++ {
		a := p.alpha[j]
		row := b[j*m : (j+1)*m]
		for c := range row {
			mu[c] += a * row[c]
		}
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lower(p.l, p.n, p.stride), blas64.General{Rows: p.n, Cols: m, Stride: m, Data: b})
	for c := range sd {
		sd[c] = p.k.s2
	}
	for j := 0; j < p.n; j++ {
		row := b[j*m : (j+1)*m]
		for c, v := range row {
			sd[c] -= v * v
		}
	}
	for c, v := range sd {
		sd[c] = math.Sqrt(math.Max(v, 1e-12*p.k.s2))
	}
	return mu, sd
}

// logEIGrad returns log EI at x and its gradient with respect to the
// features listed in vars (written into grad).
func (p *posterior) logEIGrad(x []float64, vars []int, grad []float64) float64 {
	dmu, dsd := make([]float64, len(vars)), make([]float64, len(vars))
	mu, sd := p.meanSDGrad(x, vars, dmu, dsd)
	z := (p.best - mu) / sd
	lh, dlh := logH(z)
	for vi := range vars {
		dz := (-dmu[vi] - z*dsd[vi]) / sd
		grad[vi] = dsd[vi]/sd + dlh*dz
	}
	return math.Log(sd) + lh
}

// meanSDGrad returns the posterior mean and standard deviation at x and
// their gradients with respect to the features listed in vars (written
// into dmu and dsd).
func (p *posterior) meanSDGrad(x []float64, vars []int, dmu, dsd []float64) (float64, float64) {
	n := p.n
	kv := make([]float64, n)
	dk := make([]float64, n*len(vars))
	w := p.k.w
	for j := 0; j < n; j++ {
		xj := p.x[j]
		r2 := p.k.r2(x, xj)
		kv[j] = p.k.s2 * m52(r2)
		c := -2 * p.k.s2 * m52d(r2)
		if cf := p.cross(j); cf != 1 {
			kv[j] *= cf
			c *= cf
		}
		for v, f := range vars {
			dk[j*len(vars)+v] = c * w[f] * (x[f] - xj[f])
		}
	}
	mu := dot(kv[:p.n0], p.alpha)
	v := kv
	solveL(p.l, n, p.stride, v)
	vv := dot(v, v)
	beta := append([]float64(nil), v...)
	solveLT(p.l, n, p.stride, beta)
	sd := math.Sqrt(math.Max(p.k.s2-vv, 1e-12*p.k.s2))
	for vi := range vars {
		dm, dvar := 0.0, 0.0
		for j := 0; j < n; j++ {
			d := dk[j*len(vars)+vi]
			if j < p.n0 {
				dm += d * p.alpha[j]
			}
			dvar -= 2 * beta[j] * d
		}
		if p.k.s2-vv <= 1e-12*p.k.s2 {
			dvar = 0
		}
		dmu[vi], dsd[vi] = dm, dvar/(2*sd)
	}
	return mu, sd
}
