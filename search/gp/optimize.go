package gp

import (
	"math"
	"math/rand/v2"
	"sort"

	"automl/search"
	"automl/search/sobol"
)

// cand is a candidate: the point, its encoding and features, its score.
type cand struct {
	p     search.Point
	u     []float64 // encoded (NaN where inactive)
	f     []float64
	score float64
}

// Acquisition search sizes.
const (
	nRefine    = 5  // best candidates refined locally
	nCenters   = 5  // best trials the local candidates are drawn around
	gradSteps  = 30 // gradient ascent iterations per refinement
	candBudget = 3e8
)

// maximize returns the point of best log EI that is not already taken.
func (s *Sampler) maximize(space *search.Space, lay *layout, a *acquisition, tr *training, o Options, rng *rand.Rand, seen map[string]bool) (search.Point, []float64) {
	nc := o.NCandidates
	// Each candidate costs O(n²) in the triangular solve; keep the total bounded.
	nc = max(256, min(nc, int(candBudget/float64(a.obj.n*a.obj.n+1))))
	cs := s.freshCandidates(space, lay, tr, nc, rng, seen)
	if len(cs) == 0 {
		return s.fallbackPoint(space, lay, rng, seen)
	}
	a.score(cs)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	best := cs[0]
	for i := 0; i < min(nRefine, len(cs)); i++ {
		c := refine(space, lay, a, cs[i], seen)
		if c.score > best.score {
			best = c
		}
	}
	return best.p, best.f
}

// freshCandidates draws nc candidates, rounded to real points of the
// space, without the points already taken (seen) or drawn twice.
func (s *Sampler) freshCandidates(space *search.Space, lay *layout, tr *training, nc int, rng *rand.Rand, seen map[string]bool) []cand {
	us := s.candidates(space, tr, nc, rng)
	cs := make([]cand, 0, len(us))
	local := map[string]bool{}
	for _, u := range us {
		p, ue := round(space, u)
		key := p.Key()
		if seen[key] || local[key] {
			continue
		}
		local[key] = true
		cs = append(cs, cand{p: p, u: ue, f: lay.features(ue, nil)})
	}
	return cs
}

// fallbackPoint is the point when every candidate is taken (a small
// discrete space): a fresh random point, or a repeat if the space is
// exhausted.
func (s *Sampler) fallbackPoint(space *search.Space, lay *layout, rng *rand.Rand, seen map[string]bool) (search.Point, []float64) {
	p := s.designPoint(space, -1, rng, seen)
	return p, lay.features(space.Encode(p), nil)
}

// candidates draws nc unit-cube vectors: half from a freshly scrambled
// Sobol sequence (global), half perturbations of the best observations
// (local, at random scales from 0.5% to 20% of each range, a few
// coordinates at a time in high dimensions).
func (s *Sampler) candidates(space *search.Space, tr *training, nc int, rng *rand.Rand) [][]float64 {
	d := space.Dim()
	out := make([][]float64, 0, nc)
	nGlobal := nc / 2
	seq, err := sobol.New(d, rng.Uint64(), true)
	for i := 0; i < nGlobal; i++ {
		u := make([]float64, d)
		if err == nil {
			seq.Cube(uint64(i), u)
		} else {
			for k := range u {
				u[k] = rng.Float64()
			}
		}
		out = append(out, u)
	}
	centers := bestEncoded(space, tr, nCenters)
	if len(centers) == 0 {
		return out
	}
	prob := math.Min(1, 20/float64(d))
	for len(out) < nc {
		// Half of the local candidates around the best trial, the rest spread over the next ones.
		c := centers[0]
		if rng.IntN(2) == 1 {
			c = centers[rng.IntN(len(centers))]
		}
		sc := math.Exp(math.Log(0.005) + rng.Float64()*math.Log(0.2/0.005))
		u := make([]float64, d)
		moved := false
		for k := range u {
			x := c[k]
			if math.IsNaN(x) {
				x = rng.Float64()
			}
			if rng.Float64() < prob {
				x += sc * rng.NormFloat64()
				moved = true
			}
			u[k] = math.Max(0, math.Min(1, x))
		}
		if !moved {
			k := rng.IntN(d)
			u[k] = math.Max(0, math.Min(1, u[k]+sc*rng.NormFloat64()))
		}
		out = append(out, u)
	}
	return out
}

// bestEncoded returns the encodings of the k best observations (under
// constraints, the feasible ones first, then the infeasible ones by
// violation).
func bestEncoded(space *search.Space, tr *training, k int) [][]float64 {
	idx := make([]int, len(tr.loss))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if tr.constrained && tr.feas[i] != tr.feas[j] {
			return tr.feas[i] // under constraints, the feasible ones first,
		}
		if tr.constrained && !tr.feas[i] && tr.viol[i] != tr.viol[j] {
			return tr.viol[i] < tr.viol[j] // the infeasible ones by violation
		}
		return tr.loss[i] < tr.loss[j]
	})
	out := make([][]float64, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, tr.u[i])
	}
	return out
}

// refine improves a candidate locally: projected gradient ascent of log EI
// over its active continuous parameters (steps scaled by each length
// scale), then one sweep over its discrete parameters trying other levels.
func refine(space *search.Space, lay *layout, a *acquisition, c cand, seen map[string]bool) cand {
	var params, vars []int
	for i, g := range lay.params {
		if g.continuous() && !math.IsNaN(c.u[i]) {
			params = append(params, i)
			vars = append(vars, g.off)
		}
	}
	if len(vars) > 0 {
		c = ascend(space, lay, a, c, params, vars, seen)
	}
	return sweep(space, lay, a, c, seen)
}

func ascend(space *search.Space, lay *layout, a *acquisition, c cand, params, vars []int, seen map[string]bool) cand {
	x := append([]float64(nil), c.f...)
	grad := make([]float64, len(vars))
	val := a.valueGrad(x, vars, grad)
	ls := make([]float64, len(vars))
	for v, f := range vars {
		ls[v] = 1 / math.Sqrt(a.obj.k.w[f])
	}
	step := 0.1
	trial := make([]float64, len(x))
	tg := make([]float64, len(vars))
	for it := 0; it < gradSteps && step > 1e-5; it++ {
		// Direction: the gradient scaled by ℓ², normalised to unit max-norm.
		dir := make([]float64, len(vars))
		m := 0.0
		for v := range vars {
			dir[v] = grad[v] * ls[v] * ls[v]
			m = math.Max(m, math.Abs(dir[v]))
		}
		if m == 0 || math.IsNaN(m) {
			break
		}
		copy(trial, x)
		for v, f := range vars {
			trial[f] = math.Max(0, math.Min(1, x[f]+step*dir[v]/m))
		}
		tv := a.valueGrad(trial, vars, tg)
		if tv > val {
			copy(x, trial)
			copy(grad, tg)
			val = tv
			step *= 1.5
		} else {
			step *= 0.3
		}
	}
	if val <= c.score {
		return c
	}
	u := append([]float64(nil), c.u...)
	for k, i := range params {
		u[i] = x[vars[k]]
	}
	p, ue := round(space, u)
	if seen[p.Key()] {
		return c
	}
	return cand{p: p, u: ue, f: lay.features(ue, nil), score: val}
}

// sweep tries, for each active discrete parameter in turn, other levels
// (all of them up to 16 levels, else neighbours at growing distances), and
// keeps any change that improves log EI.
func sweep(space *search.Space, lay *layout, a *acquisition, c cand, seen map[string]bool) cand {
	for i, g := range lay.params {
		if g.continuous() || math.IsNaN(c.u[i]) {
			continue
		}
		var alts []float64
		if g.levels <= 16 {
			for k := 0; k < g.levels; k++ {
				alts = append(alts, (float64(k)+0.5)/float64(g.levels))
			}
		} else {
			for _, off := range []float64{1, 2, 4, 8, 16, 32} {
				alts = append(alts, c.u[i]-off/float64(g.levels), c.u[i]+off/float64(g.levels))
			}
		}
		var cs []cand
		keys := map[string]bool{c.p.Key(): true}
		for _, a := range alts {
			if a < 0 || a > 1 {
				continue
			}
			u := append([]float64(nil), c.u...)
			u[i] = a
			p, ue := round(space, u)
			k := p.Key()
			if seen[k] || keys[k] {
				continue
			}
			keys[k] = true
			cs = append(cs, cand{p: p, u: ue, f: lay.features(ue, nil)})
		}
		if len(cs) == 0 {
			continue
		}
		a.score(cs)
		for _, a := range cs {
			if a.score > c.score {
				c = a
			}
		}
	}
	return c
}
