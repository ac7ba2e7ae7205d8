// Package tpe is the Tree-structured Parzen Estimator sampler (algorithm
// name "tpe"), after Bergstra et al. (2011) and Optuna's TPESampler, whose
// options and defaults it keeps (gamma, prior_weight, n_ei_candidates,
// consider_endpoints, multivariate, group, n_startup_trials).
//
// Finished trials are split into the best few (below) and the rest
// (above); a Parzen estimator is fitted to each, candidates are drawn from
// the good one, l(x), and the candidate maximising l(x)/g(x) is proposed.
// It works on the unit-cube transform: floats and log-scale ints as
// continuous coordinates, other ints, stepped floats and grids as ordered
// levels, categoricals as choices; an inactive (conditional) parameter is
// simply absent from its estimators, so conditional spaces need no special
// case beyond the optional group decomposition.
//
// Trials feed the model as follows: complete trials by loss; pruned ones
// rank after every complete trial (further-trained first); in a study with
// constraints, complete trials that violate them rank after those, by
// total violation; with several objectives, complete feasible trials rank
// by non-dominated front, and the front the good group takes in part gives
// it the members adding the most hypervolume (MOTPE, multi.go); failed
// trials and NaN losses are left out (logged once each); pending trials
// count as bad ones (the constant liar, on by default), so parallel slots
// asking at once, in one SampleBatch call or several Sample calls, get
// different points. Imported results (a warm start) rank with the study's own
// trials, and their kernels weigh h/(h + n) of an own trial's after n
// own finished trials (h = 50, importedWeight): they lead a warm study's
// first trials and give way as its own results accumulate. The sampler
// keeps no state between calls beyond caches, so a study resumes exactly
// from its history and rng.
package tpe

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"

	"automl/search"
)

// Sampler is a TPE sampler. It is safe for concurrent use.
type Sampler struct {
	opts Options
	// Log receives a line per trial left out of the model (nil: slog.Default()).
	Log *slog.Logger

	// hvWeights weighs the good group's kernels by hypervolume
	// contribution, as Optuna's MOTPE (see multi.go); off: equal weights.
	hvWeights bool

	mu     sync.Mutex
	space  *search.Space // the space dims was computed for
	dims   []dim
	logged map[int]bool
}

// New returns a sampler with the given options.
func New(o Options) (*Sampler, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	return &Sampler{opts: o}, nil
}

// Options returns the sampler's settings.
func (s *Sampler) Options() Options { return s.opts }

// Sample proposes one point.
func (s *Sampler) Sample(space *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	ps, err := s.SampleBatch(space, h, rng, 1)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// maxRetries bounds the attempts to avoid proposing a point that is already
// in the history (only likely in small discrete spaces).
const maxRetries = 8

// SampleBatch proposes n points for n free slots: each is proposed with
// the ones before it counted as pending.
func (s *Sampler) SampleBatch(space *search.Space, h *search.History, rng *rand.Rand, n int) ([]search.Point, error) {
	if space == nil || space.Dim() == 0 {
		return nil, fmt.Errorf("tpe: empty search space")
	}
	dims := s.dimsOf(space)
	rs, dropped := rows(space, dims, h)
	s.logDropped(dropped)
	var trials []search.Observation
	if h != nil {
		trials = h.Trials
	}
	out := make([]search.Point, 0, n)
	taken := func(p search.Point) bool {
		for i := range trials {
			if trials[i].Point.Equal(p) {
				return true
			}
		}
		for _, q := range out {
			if q.Equal(p) {
				return true
			}
		}
		return false
	}
	for len(out) < n {
		var p search.Point
		for try := 0; try <= maxRetries; try++ {
			if try < maxRetries {
				p = s.propose(space, dims, rs, rng)
			} else {
				p = randomPoint(space, rng) // the model keeps repeating itself
			}
			if !taken(p) {
				break
			}
		}
		out = append(out, p)
		rs = append(rs, trialRow{x: encode(space, dims, p), pending: true, class: math.Inf(1), loss: math.Inf(1)})
	}
	return out, nil
}

// propose draws one point from the model, or at random during startup.
func (s *Sampler) propose(space *search.Space, dims []dim, rs []trialRow, rng *rand.Rand) search.Point {
	o := &s.opts
	finished := 0
	for i := range rs {
		if !rs[i].pending {
			finished++
		}
	}
	if finished == 0 || finished < o.NStartupTrials {
		return randomPoint(space, rng)
	}
	below, above := split(rs, o.nBelow(finished), o.ConstantLiar)
	lambda := importedWeight(rs, finished)
	var wBelow []float64 // nil: the usual weights
	if s.hvWeights {
		wBelow = belowWeights(rs, below)
	}
	u := make([]float64, space.Dim())
	var pos []int32
	for _, g := range groups(o, rs, space.Dim()) {
		gd := make([]*dim, len(g))
		for c, i := range g {
			gd[c] = &dims[i]
		}
		var lr, gr []int32
		if d := g[0]; len(g) == 1 && dims[d].kind != categorical {
			if pos == nil {
				pos = make([]int32, len(rs))
				for i := range pos {
					pos[i] = -1
				}
			}
			order := sortedRows(rs, d)
			active := func(r int) bool { return !math.IsNaN(rs[r].x[d]) }
			lr, gr = subsetRanks(order, below, pos, active), subsetRanks(order, above, pos, active)
		}
		lo, lw := projectWeighted(rs, below, g, lambda, wBelow)
		gmo, gw := projectWeighted(rs, above, g, lambda, nil)
		l := newParzenWeighted(gd, lo, o, lr, lw)
		gm := newParzenWeighted(gd, gmo, o, gr, gw)
		cands := l.sample(rng, o.NEICandidates)
		ll, lg := l.logPDF(cands), gm.logPDF(cands)
		best, bestScore := 0, math.Inf(-1)
		for j := range cands {
			if sc := ll[j] - lg[j]; sc > bestScore {
				best, bestScore = j, sc
			}
		}
		for c, i := range g {
			u[i] = dims[i].toUnit(cands[best][c])
		}
	}
	return space.Decode(u)
}

// project returns the coordinates in g of the rows idx where all of g is active.
func project(rs []trialRow, idx []int, g []int) [][]float64 {
	out := make([][]float64, 0, len(idx))
	buf := make([]float64, len(idx)*len(g))
	for k, r := range idx {
		row := buf[k*len(g) : (k+1)*len(g) : (k+1)*len(g)]
		ok := true
		for c, i := range g {
			row[c] = rs[r].x[i]
			ok = ok && !math.IsNaN(row[c])
		}
		if ok {
			out = append(out, row)
		}
	}
	return out
}

// importHalfLife is the number of the study's own finished trials after
// which an imported result's kernel weighs half as much as one of the
// study's own (bench/warmstart: 25 and 50 both beat no decay; 5 and a
// linear decay to zero did not).
const importHalfLife = 50

// importedWeight is the weight of an imported result's kernel relative to
// one of the study's own trials, given the rows and the finished ones
// among them: h/(h + n) after n own finished trials (h = importHalfLife).
// An imported result is of a related study, not this one: it leads the
// first trials (a warm start needs no random startup) and gives way as
// the study's own results accumulate. It is 1 when nothing is imported,
// so a study without imports is modelled exactly as before.
func importedWeight(rs []trialRow, finished int) float64 {
	own := finished
	for i := range rs {
		if rs[i].imp {
			own--
		}
	}
	if own == finished {
		return 1
	}
	return importHalfLife / float64(importHalfLife+own)
}

// projectWeighted is project with the kernel weight of each row kept:
// base[k] for row idx[k] (nil: defaultWeights of the rows kept), times
// lambda for an imported row. nil when every weight is the default.
func projectWeighted(rs []trialRow, idx []int, g []int, lambda float64, base []float64) ([][]float64, []float64) {
	obs := project(rs, idx, g)
	if lambda == 1 && base == nil {
		return obs, nil
	}
	def := defaultWeights(len(obs))
	w := make([]float64, 0, len(obs)+1)
	for k, r := range idx {
		ok := true
		for _, i := range g {
			ok = ok && !math.IsNaN(rs[r].x[i])
		}
		if !ok {
			continue
		}
		var x float64
		if base != nil {
			x = base[k]
		} else {
			x = def[len(w)]
		}
		if rs[r].imp {
			x *= lambda
		}
		w = append(w, x)
	}
	return obs, w
}

func randomPoint(space *search.Space, rng *rand.Rand) search.Point {
	u := make([]float64, space.Dim())
	for i := range u {
		u[i] = rng.Float64()
	}
	return space.Decode(u)
}

// dimsOf caches the per-parameter view of the last space seen (a space is
// immutable, so its pointer identifies it).
func (s *Sampler) dimsOf(space *search.Space) []dim {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.space != space {
		s.space, s.dims = space, dimsOf(space)
	}
	return s.dims
}

func (s *Sampler) logDropped(ids []dropout) {
	if len(ids) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logged == nil {
		s.logged = map[int]bool{}
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	for _, d := range ids {
		if !s.logged[d.id] {
			s.logged[d.id] = true
			log.Warn("tpe: trial left out of the model: "+d.why, "trial", d.id)
		}
	}
}

func init() {
	search.RegisterSampler(search.AlgorithmSpec{
		Name:    "tpe",
		Doc:     "Tree-structured Parzen Estimator (Optuna's options and defaults); several objectives as MOTPE",
		Options: optionSpecs, MultiObjective: true,
	}, OptionsFrom, func(o Options) (search.Sampler, error) { return New(o) })
}
