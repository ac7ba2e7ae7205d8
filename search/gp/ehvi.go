package gp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"automl/search"
	"automl/search/pareto"
)

// Expected hypervolume improvement (EHVI) for three or more objectives
// without constraints: one GP per objective (standardised outputs, no
// output warp, since a nonlinear warp would bend the hypervolume), and the
// acquisition log EHVI of the candidate's independent Gaussian predictions
// against the current Pareto front, computed exactly:
//
//	EHVI = ∫ over the region the front does not dominate, below the
//	       reference point r, of Π_i P(y_i <= z_i) dz.
//
// The region is cut into columns: a grid over the first k-1 objectives
// at the front's coordinates, each cell extending along the last
// objective from -∞ to the lowest last coordinate of the front points
// that dominate the cell's lower corner (or r). Over a column the integrand
// factorises, and ∫_{-∞}^{z} Φ((t-μ)/σ) dt = σ (t Φ(t) + φ(t)), t = (z-μ)/σ,
// so EHVI is a sum over the cells of products of k such terms, with an
// exact gradient in μ and σ. The front is taken in each objective's
// standardised units (an increasing affine map per objective, which
// scales every hypervolume by the same factor), with r the front's nadir
// plus 10% of the span from the observed ideal, as the scalarisation's.
// Pending trials are fantasies in every GP, and their posterior means join
// the front (Kriging believer), so parallel suggestions spread.

// maxCells bounds the grid (front size^(k-1)); beyond it the hypervolume
// scalarisation (goals.go) is used instead.
const maxCells = 1 << 16

// moAcq is the EHVI acquisition's state: each objective's GP and the
// cells of the non-dominated region.
type moAcq struct {
	objs  []*posterior
	coord [][]float64 // per objective but the last: -Inf, the front's coordinates, r
	top   []float64   // per cell (row-major over coord's intervals): its last-objective bound
}

// newMoAcq cuts the region below ref that front does not dominate into
// cells (nil when there are too many).
func newMoAcq(objs []*posterior, front [][]float64, ref []float64) *moAcq {
	k := len(ref)
	a := &moAcq{objs: objs, coord: make([][]float64, k-1)}
	cells := 1
	for i := 0; i < k-1; i++ {
		c := []float64{math.Inf(-1)}
		for _, p := range front {
			if p[i] < ref[i] {
				c = append(c, p[i])
			}
		}
		c = append(c, ref[i])
		sortUnique(&c)
		a.coord[i] = c
		cells *= len(c) - 1
		if cells > maxCells {
			return nil
		}
	}
	a.top = make([]float64, cells)
	idx := make([]int, k-1)
	for cell := range a.top {
		h := ref[k-1]
		for _, p := range front {
			dom := true
			for i, j := range idx {
				if p[i] > a.coord[i][j] {
					dom = false
					break
				}
			}
			if dom {
				h = math.Min(h, p[k-1])
			}
		}
		a.top[cell] = h
		for i := k - 2; i >= 0; i-- { // next cell, last index fastest
			if idx[i]++; idx[i] < len(a.coord[i])-1 {
				break
			}
			idx[i] = 0
		}
	}
	return a
}

func sortUnique(c *[]float64) {
	s := *c
	for i := 1; i < len(s); i++ { // insertion sort: fronts are small
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	*c = out
}

// psi returns ∫_{-∞}^{z} Φ((t-μ)/σ) dt and its derivatives in μ and σ.
func psi(z, mu, sd float64) (v, dmu, dsd float64) {
	if math.IsInf(z, -1) {
		return 0, 0, 0
	}
	t := (z - mu) / sd
	cdf := 0.5 * math.Erfc(-t/math.Sqrt2)
	pdf := math.Exp(-0.5*t*t) / math.Sqrt(2*math.Pi)
	return sd * (t*cdf + pdf), -cdf, pdf
}

// ehvi returns EHVI at the predictions (mu, sd) and, when grad is not nil,
// its derivatives: grad[2i] in mu[i], grad[2i+1] in sd[i].
func (a *moAcq) ehvi(mu, sd []float64, grad []float64) float64 {
	k := len(mu)
	// Each grid axis's interval terms Δψ and their derivatives.
	type term struct{ v, dmu, dsd float64 }
	iv := make([][]term, k-1)
	for i, c := range a.coord {
		iv[i] = make([]term, len(c)-1)
		lo, lm, ls := psi(c[0], mu[i], sd[i])
		for j := 1; j < len(c); j++ {
			hi, hm, hs := psi(c[j], mu[i], sd[i])
			iv[i][j-1] = term{hi - lo, hm - lm, hs - ls}
			lo, lm, ls = hi, hm, hs
		}
	}
	if grad != nil {
		clear(grad)
	}
	total := 0.0
	idx := make([]int, k-1)
	f := make([]term, k)
	for _, h := range a.top {
		v, dm, ds := psi(h, mu[k-1], sd[k-1])
		f[k-1] = term{v, dm, ds}
		prod := v
		for i, j := range idx {
			f[i] = iv[i][j]
			prod *= f[i].v
		}
		total += prod
		if grad != nil && (f[k-1].v != 0 || f[k-1].dmu != 0) {
			for i := range f {
				rest := 1.0
				for m := range f {
					if m != i {
						rest *= f[m].v
					}
				}
				grad[2*i] += rest * f[i].dmu
				grad[2*i+1] += rest * f[i].dsd
			}
		}
		for i := k - 2; i >= 0; i-- {
			if idx[i]++; idx[i] < len(a.coord[i])-1 {
				break
			}
			idx[i] = 0
		}
	}
	return total
}

// logFloor keeps log EHVI finite where EHVI underflows.
const logFloor = 1e-300

// score sets each candidate's log EHVI.
func (a *moAcq) score(cs []cand) {
	fs := make([][]float64, len(cs))
	for i := range cs {
		fs[i] = cs[i].f
	}
	k := len(a.objs)
	mus, sds := make([][]float64, k), make([][]float64, k)
	for i, p := range a.objs {
		mus[i], sds[i] = p.predict(fs)
	}
	mu, sd := make([]float64, k), make([]float64, k)
	for c := range cs {
		for i := range a.objs {
			mu[i], sd[i] = mus[i][c], sds[i][c]
		}
		cs[c].score = math.Log(math.Max(a.ehvi(mu, sd, nil), logFloor))
	}
}

// valueGrad returns log EHVI at x and its gradient in the features vars.
func (a *moAcq) valueGrad(x []float64, vars []int, grad []float64) float64 {
	k := len(a.objs)
	mu, sd := make([]float64, k), make([]float64, k)
	dmu, dsd := make([][]float64, k), make([][]float64, k)
	for i, p := range a.objs {
		dmu[i], dsd[i] = make([]float64, len(vars)), make([]float64, len(vars))
		mu[i], sd[i] = p.meanSDGrad(x, vars, dmu[i], dsd[i])
	}
	g := make([]float64, 2*k)
	e := a.ehvi(mu, sd, g)
	clear(grad)
	if e < logFloor {
		return math.Log(logFloor)
	}
	for v := range vars {
		for i := 0; i < k; i++ {
			grad[v] += (g[2*i]*dmu[i][v] + g[2*i+1]*dsd[i][v]) / e
		}
	}
	return math.Log(e)
}

// ehviPoint proposes one point by EHVI (h: the history, earlier points of
// the batch pending in it); nil when the front is too large for the grid.
func (s *Sampler) ehviPoint(space *search.Space, h *search.History, g goals, rng *rand.Rand) (search.Point, error) {
	lay := newLayout(space)
	trs := make([]*training, g.k)
	for i := range trs {
		trs[i] = prepare(space, lay, relabel(h, func(o *search.Observation) (float64, bool) {
			if len(o.Losses) != g.k {
				return 0, false
			}
			for _, v := range o.Losses { // the same trials in every objective's data
				if math.IsNaN(v) || math.IsInf(v, -1) {
					return 0, false
				}
			}
			return o.Losses[i], true
		}))
	}
	tr := trs[0]
	s.logDropped(tr.dropped)
	o := s.opts.withDefaults(space.Dim(), len(tr.loss))
	seen := make(map[string]bool, h.Len())
	for _, t := range h.Trials {
		seen[t.Point.Key()] = true
	}
	if h.Len() < o.NInit || len(tr.loss) < 2 {
		return s.designPoint(space, h.Len(), rng, seen), nil
	}
	objs := make([]*posterior, g.k)
	mean, sd := make([]float64, g.k), make([]float64, g.k)
	for i, t := range trs {
		var err error
		if objs[i], mean[i], sd[i], err = s.standardModel(lay, t, o, 0); err != nil {
			return nil, fmt.Errorf("gp: objective %d's model: %w", i+1, err)
		}
	}
	// The observed losses (imported results aside) and the pending
	// trials' predicted ones, in standardised units.
	var pts [][]float64
	var rows []int // pts[n]'s row in the data, for n < len(rows)
	for r := range tr.loss {
		if tr.imp[r] {
			continue
		}
		y := make([]float64, g.k)
		for i, t := range trs {
			y[i] = (t.loss[r] - mean[i]) / sd[i]
		}
		pts, rows = append(pts, y), append(rows, r)
	}
	if len(pts) == 0 {
		return nil, nil
	}
	lo, hi := make([]float64, g.k), make([]float64, g.k)
	for i := range lo {
		lo[i], hi[i] = math.Inf(1), math.Inf(-1)
		for _, y := range pts {
			lo[i] = math.Min(lo[i], y[i])
		}
	}
	if len(tr.pending) > 0 {
		mus := make([][]float64, g.k)
		for i, p := range objs {
			mus[i], _ = p.predict(tr.pending)
		}
		for c := range tr.pending {
			y := make([]float64, g.k)
			for i := range y {
				y[i] = mus[i][c]
			}
			pts = append(pts, y)
		}
	}
	fi, err := pareto.Front(pts, nil)
	if err != nil {
		return nil, err
	}
	front := make([][]float64, len(fi))
	for n, j := range fi {
		front[n] = pts[j]
		for i := range hi {
			hi[i] = math.Max(hi[i], pts[j][i])
		}
	}
	ref := make([]float64, g.k)
	for i := range ref {
		ref[i] = math.Max(hi[i], lo[i]) + (hvRef-1)*math.Max(hi[i]-lo[i], 1e-3)
	}
	mo := newMoAcq(objs, front, ref)
	if mo == nil {
		return nil, nil
	}
	// Local candidates around the front's points of largest contribution.
	ctr := *tr
	ctr.loss = make([]float64, len(tr.loss))
	for r := range ctr.loss {
		ctr.loss[r] = 1
	}
	if contrib, err := pareto.Contributions(front, ref); err == nil {
		for n, j := range fi {
			if j < len(rows) {
				ctr.loss[rows[j]] = -contrib[n]
			}
		}
	}
	p, _ := s.maximize(space, lay, &acquisition{obj: objs[0], mo: mo}, &ctr, o, rng, seen)
	return p, nil
}
