package tpe

import (
	"math"
	"math/rand/v2"
	"sort"
)

// parzen is a Parzen estimator over some dims: a mixture of one kernel per
// observation plus a flat prior kernel (the last one). Numeric dims use
// truncated Gaussians on [0, 1] of the model coordinate; categorical dims
// a smoothed one-hot distribution. In a multivariate estimator a kernel
// spans all dims; a univariate one has one dim.
//
// Points are drawn from the mixture as it is, but scored (logPDF) with
// each continuous kernel at unit peak height, exp(-z²/2)/sqrt(2 pi), not
// the density exp(-z²/2)/(sqrt(2 pi) sigma): a narrow kernel then counts as
// much as a wide one where it sits instead of towering over it. This is
// what Optuna's TPE computed up to version 3.1 (its truncated-normal log
// density left out the scale), and on the seven benchmark functions it
// beats the normalised density clearly (bench/bayes/README.md), so it is
// kept by design. Ordinal dims are scored by cell mass, as in Optuna.
type parzen struct {
	dims []*dim
	w    []float64 // kernel weights, normalised; the last is the prior's
	cumw []float64
	cols []column
}

// column is one dim's kernels.
type column struct {
	// numeric dims
	mu, sigma []float64
	logZ      []float64 // log of the kernel's mass on [0, 1]; NaN until logZAt computes it
	// categorical dims: each kernel's observed choice (-1 for the prior)
	// and the smoothing added to every choice.
	choice []int
	a      float64
}

var (
	logSqrt2Pi = 0.5 * math.Log(2*math.Pi)
	invSqrt2Pi = 1 / math.Sqrt(2*math.Pi)
)

const (
	eps              = 1e-12
	sigma0Multiplier = 0.2
)

// newParzen fits an estimator to obs (rows of model coordinates, all
// active in these dims), in chronological order. ranks, when not nil, is
// each observation's rank by (coordinate, order) in a single numeric dim,
// which saves the sort (see order.go).
func newParzen(dims []*dim, obs [][]float64, o *Options, ranks []int32) *parzen {
	return newParzenScaled(dims, obs, o, ranks, nil)
}

// newParzenScaled is newParzen with each observation's kernel weight
// multiplied by scale[i] (nil: 1 each) before normalisation.
func newParzenScaled(dims []*dim, obs [][]float64, o *Options, ranks []int32, scale []float64) *parzen {
	w := defaultWeights(len(obs))
	for i, c := range scale {
		w[i] *= c
	}
	return newParzenWeighted(dims, obs, o, ranks, w)
}

// newParzenWeighted is newParzen with the observations' kernel weights
// given (before normalisation; nil: defaultWeights), as MOTPE's good
// group has them. It may append to w.
func newParzenWeighted(dims []*dim, obs [][]float64, o *Options, ranks []int32, w []float64) *parzen {
	joint := len(dims) > 1
	n := len(obs)
	pe := &parzen{dims: dims}
	pe.w = w
	if w == nil {
		pe.w = defaultWeights(n)
	}
	pe.w = append(pe.w, o.PriorWeight)
	sum := 0.0
	for _, x := range pe.w {
		sum += x
	}
	pe.cumw = make([]float64, len(pe.w))
	acc := 0.0
	for i := range pe.w {
		pe.w[i] /= sum
		acc += pe.w[i]
		pe.cumw[i] = acc
	}
	pe.cols = make([]column, len(dims))
	for c, d := range dims {
		vals := make([]float64, n)
		for i, row := range obs {
			vals[i] = row[c]
		}
		if d.kind == categorical {
			col := column{choice: make([]int, n+1), a: o.PriorWeight / float64(n+1)}
			for i, v := range vals {
				col.choice[i] = int(v)
			}
			col.choice[n] = -1
			pe.cols[c] = col
			continue
		}
		pe.cols[c] = numericColumn(vals, ranks, len(dims), joint, o)
	}
	return pe
}

// numericColumn places a kernel at each observation with Optuna's
// bandwidth rules (neighbour distances when univariate, Scott's rule when
// multivariate), and the prior kernel N(0.5, 1). ranks (optional) are the
// observations' ranks by (value, index).
func numericColumn(vals []float64, ranks []int32, nParams int, joint bool, o *Options) column {
	n := len(vals)
	mu := make([]float64, n+1)
	copy(mu, vals)
	mu[n] = 0.5
	sigma := make([]float64, n+1)
	if joint {
		s := sigma0Multiplier * math.Pow(float64(max(n, 1)), -1/float64(nParams+4))
		for i := range sigma {
			sigma[i] = s
		}
	} else {
		// Bandwidth = the larger gap to a neighbour in sorted order. Each
		// kernel's rank: equal values take consecutive ranks in index
		// order, as Optuna's argsort gives them; the prior (index n) comes
		// after every observation <= 0.5.
		rank := kernelRanks(mu, ranks)
		sorted := make([]float64, n+3)
		for i, r := range rank {
			sorted[1+r] = mu[i]
		}
		sorted[0], sorted[n+2] = 0, 1
		ss := make([]float64, n+1)
		for k := range ss {
			ss[k] = math.Max(sorted[k+1]-sorted[k], sorted[k+2]-sorted[k+1])
		}
		if !o.ConsiderEndpoints && len(sorted) >= 4 {
			ss[0] = sorted[2] - sorted[1]
			ss[n] = sorted[n+1] - sorted[n]
		}
		for i, r := range rank {
			sigma[i] = ss[r]
		}
	}
	minSigma := eps
	if o.ConsiderMagicClip {
		minSigma = 1 / math.Min(100, 1+float64(n+1))
	}
	for i := range sigma {
		sigma[i] = math.Min(math.Max(sigma[i], minSigma), 1)
	}
	sigma[n] = 1
	logZ := make([]float64, n+1)
	for i := range logZ {
		logZ[i] = math.NaN()
	}
	return column{mu: mu, sigma: sigma, logZ: logZ}
}

// logZAt is the log of kernel k's mass on [0, 1], computed when first
// needed: with 1,000 kernels most are never near a candidate.
func (col *column) logZAt(k int) float64 {
	if z := col.logZ[k]; !math.IsNaN(z) {
		return z
	}
	mu, s := col.mu[k], col.sigma[k]
	z := 0.0 // the whole kernel is inside [0, 1] to 1e-16
	if a, b := -mu/s, (1-mu)/s; a >= -8.3 || b <= 8.3 {
		z = math.Log(gaussMass(a, b))
	}
	col.logZ[k] = z
	return z
}

// lowerBound is the first index of a sorted slice whose value is >= v
// (slices.BinarySearch without its NaN handling, which costs here).
func lowerBound(a []float64, v float64) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// defaultWeights is Optuna's: the 25 newest observations weigh 1, older
// ones ramp down linearly to 1/n, so the model forgets slowly.
func defaultWeights(n int) []float64 {
	w := make([]float64, n, n+1)
	if n < 25 {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	ramp := n - 25
	for i := 0; i < ramp; i++ {
		if ramp == 1 {
			w[i] = 1 / float64(n)
		} else {
			w[i] = 1/float64(n) + float64(i)*(1-1/float64(n))/float64(ramp-1)
		}
	}
	for i := ramp; i < n; i++ {
		w[i] = 1
	}
	return w
}

// sample draws m points (rows of model coordinates) from the mixture.
func (pe *parzen) sample(rng *rand.Rand, m int) [][]float64 {
	out := make([][]float64, m)
	for j := range out {
		k := sort.SearchFloat64s(pe.cumw, rng.Float64()*pe.cumw[len(pe.cumw)-1])
		k = min(k, len(pe.w)-1)
		row := make([]float64, len(pe.dims))
		for c, d := range pe.dims {
			col := &pe.cols[c]
			switch d.kind {
			case categorical:
				row[c] = float64(col.sampleChoice(rng, k, d.levels))
			case ordinal:
				x := truncNormal(rng, col.mu[k], col.sigma[k], 0, 1)
				row[c] = (float64(cell(x, d.levels)) + 0.5) / float64(d.levels)
			default:
				row[c] = truncNormal(rng, col.mu[k], col.sigma[k], 0, 1)
			}
		}
		out[j] = row
	}
	return out
}

// sampleChoice draws from kernel k's distribution over n choices: uniform
// smoothing a, plus 1 on the observed choice, normalised.
func (col *column) sampleChoice(rng *rand.Rand, k, n int) int {
	obs := col.choice[k]
	if obs < 0 {
		return rng.IntN(n)
	}
	total := col.a*float64(n) + 1
	r := rng.Float64() * total
	if r < 1 {
		return obs
	}
	return min(int((r-1)/col.a), n-1)
}

// logPDF is the log mixture density (or mass, for discrete dims) at each row.
func (pe *parzen) logPDF(xs [][]float64) []float64 {
	if len(pe.dims) == 1 {
		return pe.logPDF1(xs)
	}
	out := make([]float64, len(xs))
	nk := len(pe.w)
	lp := make([]float64, nk)
	for j, x := range xs {
		for k := range lp {
			lp[k] = math.Log(pe.w[k])
		}
		for c, d := range pe.dims {
			col := &pe.cols[c]
			for k := range lp {
				lp[k] += col.logKernel(d, k, x[c])
			}
		}
		out[j] = logSumExp(lp)
	}
	return out
}

// logKernel is log p_k(x) in one column.
func (col *column) logKernel(d *dim, k int, x float64) float64 {
	switch d.kind {
	case categorical:
		if col.choice[k] < 0 {
			return -math.Log(float64(d.levels))
		}
		num := col.a
		if col.choice[k] == int(x) {
			num++
		}
		return math.Log(num / (col.a*float64(d.levels) + 1))
	case ordinal:
		lo, hi := cellBounds(x, d.levels)
		m := gaussMass((lo-col.mu[k])/col.sigma[k], (hi-col.mu[k])/col.sigma[k])
		return math.Log(m) - col.logZAt(k)
	}
	z := (x - col.mu[k]) / col.sigma[k]
	return -0.5*z*z - logSqrt2Pi - col.logZAt(k)
}

// logPDF1 is logPDF for one dim, summing densities directly: the prior
// kernel keeps the sum away from underflow, and kernels more than 8
// bandwidths away are skipped, which makes 1,000 observations cheap. The
// loop runs over kernels, each visiting only the points near it (sweep),
// so every point's sum still adds its kernels in kernel order.
func (pe *parzen) logPDF1(xs [][]float64) []float64 {
	d := pe.dims[0]
	col := &pe.cols[0]
	out := make([]float64, len(xs))
	switch d.kind {
	case categorical:
		probs := make([]float64, d.levels)
		total := col.a*float64(d.levels) + 1
		for k, w := range pe.w {
			if col.choice[k] < 0 {
				for c := range probs {
					probs[c] += w / float64(d.levels)
				}
				continue
			}
			for c := range probs {
				probs[c] += w * col.a / total
			}
			probs[col.choice[k]] += w / total
		}
		for j, x := range xs {
			out[j] = math.Log(probs[int(x[0])])
		}
	case ordinal:
		near := newSweep(xs, 1/float64(d.levels))
		sums := make([]float64, len(xs))
		for k, w := range pe.w {
			mu, s := col.mu[k], col.sigma[k]
			t0, t1 := near.span(mu, 8*s)
			if t0 == t1 {
				continue
			}
			c := w
			if lz := col.logZAt(k); lz != 0 {
				c *= math.Exp(-lz)
			}
			for t := t0; t < t1; t++ {
				lo, hi := cellBounds(near.x[t], d.levels)
				a, b := (lo-mu)/s, (hi-mu)/s
				if a > 8 || b < -8 {
					continue
				}
				sums[near.idx[t]] += c * gaussMass(a, b)
			}
		}
		for j, v := range sums {
			out[j] = math.Log(v)
		}
	default:
		near := newSweep(xs, 0)
		sums := make([]float64, len(xs))
		for k, w := range pe.w {
			mu, s := col.mu[k], col.sigma[k]
			t0, t1 := near.span(mu, 8*s)
			if t0 == t1 {
				continue
			}
			c := w * invSqrt2Pi
			if lz := col.logZAt(k); lz != 0 {
				c *= math.Exp(-lz)
			}
			for t := t0; t < t1; t++ {
				z := (near.x[t] - mu) / s
				if z2 := z * z; z2 < 64 { // beyond, e^-32 of a kernel: nothing next to the prior
					sums[near.idx[t]] += c * math.Exp(-0.5*z2)
				}
			}
		}
		for j, v := range sums {
			out[j] = math.Log(v)
		}
	}
	return out
}

// cellBounds is the cell [i/n, (i+1)/n] of an ordinal model coordinate.
func cellBounds(t float64, n int) (float64, float64) {
	i := cell(t, n)
	return float64(i) / float64(n), float64(i+1) / float64(n)
}

func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, x := range v {
		if d := x - m; d > -40 { // smaller terms change nothing in float64
			s += math.Exp(d)
		}
	}
	return m + math.Log(s)
}
