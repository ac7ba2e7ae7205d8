package gp

import (
	"math"
	"math/rand/v2"

	"automl/search"
	"automl/search/pareto"
)

// Several objectives and constraints.
//
// Three or more objectives without constraints: expected hypervolume
// improvement, one GP per objective (ehvi.go). Otherwise ParEGO (Knowles
// 2006): each suggestion draws a fresh weight vector w from the study's
// rng, and the GP models the augmented Chebyshev scalarisation of the
// losses,
//
//	s(f) = max_i w_i (f'_i - z) + ρ Σ_i w_i (f'_i - z),  ρ = 0.05,
//
// where f'_i is objective i normalised to [0, 1]; the acquisition is log
// EI of s, as for one objective. Over many suggestions the weights sweep
// the whole front. With two objectives this is ParEGO as published: w
// uniform on the simplex, z = 0 (the observed ideal point) and f'
// normalised over the range observed so far. With three or more (under
// constraints, or a front too large for EHVI's grid), it is the
// hypervolume scalarisation of Golovin and Zhang (2020): λ uniform on
// the positive unit sphere and w_i ∝ 1/λ_i, so that s's minimiser along
// each draw is where the ray from the reference point z = 1.1 in direction
// -λ meets the front (the mean over λ of its k-th power, maximised, is
// the hypervolume, which is what makes the draws spread as it rewards);
// f' is normalised from the observed ideal (0) to the current Pareto
// front's nadir (1), so z is the front's nadir plus 10%. On DTLZ2 (3
// objectives) it left 0.67x ParEGO's hypervolume regret at 100 trials,
// and EHVI about half of its own (bench/multiobjective/RESULTS.md); on
// two-objective ZDT1 the scalarisation was level with ParEGO (3 seeds),
// and ParEGO already leaves a few percent of Optuna's regret on every
// two-objective problem, so two objectives keep ParEGO. The
// hyperparameters are fitted to the equal-weight scalarisation (and
// cached, keyed by its data, refitted every k trials as for one
// objective), and each suggestion's model conditions on its own
// scalarisation with them, so a suggestion costs one factorisation, not
// one fit.
//
// Constraints: one GP per constraint, on its slack (search.Observation's
// Slacks, the distance inside its bound; a failed trial counts as the
// least feasible one seen), with standardised outputs. The acquisition
// adds to log EI the log probability that every slack is >= 0 under these
// independent GPs (the constrained EI of Gardner et al. 2014, in logs);
// EI's incumbent is the best feasible observation, and while none is
// feasible the acquisition is the log probability of feasibility alone.
// Pending trials are fantasies in every GP.

// rho is ParEGO's augmentation weight.
const rho = 0.05

// hvFrom is the number of objectives from which the hypervolume
// scalarisation replaces ParEGO's; hvRef is its reference point in the
// normalised losses (the front's nadir plus 10%).
const (
	hvFrom = 3
	hvRef  = 1.1
)

// goals is what the history says of the study's goals: how many
// objectives (k) and constraints (nc) its completed trials carry, and the
// range each objective is normalised over (for k >= 2): the observed one,
// or with k >= hvFrom (hv) from the observed minimum to the Pareto
// front's maximum.
type goals struct {
	k, nc  int
	lo, hi []float64
	hv     bool
}

func goalsOf(h *search.History) goals {
	var g goals
	for _, o := range h.Trials {
		if o.Status == search.Complete && o.HasLoss {
			g.k, g.nc = max(g.k, len(o.Losses)), max(g.nc, len(o.Slacks))
		}
	}
	if g.k < 2 {
		return g
	}
	g.hv = g.k >= hvFrom
	g.lo, g.hi = make([]float64, g.k), make([]float64, g.k)
	for i := range g.lo {
		g.lo[i], g.hi[i] = math.Inf(1), math.Inf(-1)
	}
	var finite [][]float64 // trials with every objective finite
	for _, o := range h.Trials {
		if o.Status != search.Complete || len(o.Losses) != g.k {
			continue
		}
		ok := true
		for i, v := range o.Losses {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				g.lo[i], g.hi[i] = math.Min(g.lo[i], v), math.Max(g.hi[i], v)
			} else {
				ok = false
			}
		}
		if ok {
			finite = append(finite, o.Losses)
		}
	}
	if !g.hv {
		return g
	}
	if front, err := pareto.Front(finite, nil); err == nil && len(front) > 1 {
		for i := range g.hi {
			g.hi[i] = math.Inf(-1)
			for _, j := range front {
				g.hi[i] = math.Max(g.hi[i], finite[j][i])
			}
		}
	}
	return g
}

// weights draws a weight vector: uniformly from the simplex (ParEGO), or
// with hv 1/λ for λ uniform on the positive unit sphere (normalised to sum
// 1 as well; λ_i is kept off 0 so that w stays finite).
func (g goals) weights(rng *rand.Rand) []float64 {
	w := make([]float64, g.k)
	sum := 0.0
	if g.hv {
		norm := 0.0
		for i := range w {
			w[i] = math.Abs(rng.NormFloat64())
			norm += w[i] * w[i]
		}
		norm = math.Sqrt(norm)
		for i := range w {
			w[i] = 1 / math.Max(w[i]/norm, 1e-6)
		}
	} else {
		for i := range w {
			w[i] = rng.ExpFloat64()
		}
	}
	for i := range w {
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// equal is the equal-weight vector the hyperparameters are fitted with.
func (g goals) equal() []float64 {
	w := make([]float64, g.k)
	for i := range w {
		w[i] = 1 / float64(g.k)
	}
	return w
}

// chebyshev is the augmented Chebyshev scalarisation of losses (centred
// on the reference point hvRef with hv).
func (g goals) chebyshev(losses, w []float64) float64 {
	worst, sum := math.Inf(-1), 0.0
	for i, v := range losses {
		if span := g.hi[i] - g.lo[i]; span > 0 {
			v = (v - g.lo[i]) / span
		} else {
			v = 0
		}
		if g.hv {
			v -= hvRef
		}
		worst = math.Max(worst, w[i]*v)
		sum += w[i] * v
	}
	return worst + rho*sum
}

// relabel is a copy of h whose completed trials carry loss(o) (ok false:
// no usable value; prepare then treats the trial as it treats one without
// a loss).
func relabel(h *search.History, loss func(o *search.Observation) (float64, bool)) *search.History {
	out := &search.History{Trials: make([]search.Observation, len(h.Trials))}
	copy(out.Trials, h.Trials)
	for i := range out.Trials {
		o := &out.Trials[i]
		if o.Status == search.Pending {
			continue
		}
		v, ok := loss(o)
		o.Loss, o.HasLoss = v, ok
		if !ok {
			o.Loss = math.NaN()
		}
	}
	return out
}

// scalarised is h with every trial's losses scalarised with weights w.
func (g goals) scalarised(h *search.History, w []float64) *search.History {
	return relabel(h, func(o *search.Observation) (float64, bool) {
		if len(o.Losses) != g.k {
			return 0, false
		}
		return g.chebyshev(o.Losses, w), true
	})
}

// slack is h with constraint j's negated slack as each trial's loss
// (<= 0: the constraint holds).
func slack(h *search.History, j int) *search.History {
	return relabel(h, func(o *search.Observation) (float64, bool) {
		if len(o.Slacks) <= j || math.IsNaN(o.Slacks[j]) {
			return 0, false
		}
		return -o.Slacks[j], true
	})
}

// trainings prepares the model's data for the goals: the objective's (for
// several objectives, scalarised by w, with the equal-weight one to fit
// the hyperparameters on), and each constraint's.
func (g goals) trainings(space *search.Space, lay *layout, h *search.History, w []float64) *training {
	var tr *training
	if g.k >= 2 {
		tr = prepare(space, lay, g.scalarised(h, w))
		tr.fit = prepare(space, lay, g.scalarised(h, g.equal()))
	} else {
		tr = prepare(space, lay, h)
	}
	if g.nc > 0 {
		tr.constrained = true
		for j := 0; j < g.nc; j++ {
			tr.cons = append(tr.cons, prepare(space, lay, slack(h, j)))
		}
	}
	return tr
}

// constraintModel is constraint j's GP (standardised outputs, fitted as
// the objective's) and the standardised threshold below which the
// constraint holds; nil with fewer than two observations.
func (s *Sampler) constraintModel(lay *layout, tc *training, o Options, extra int) (*posterior, float64, error) {
	if len(tc.loss) < 2 {
		return nil, 0, nil
	}
	post, mean, sd, err := s.standardModel(lay, tc, o, extra)
	if err != nil {
		return nil, 0, err
	}
	return post, -mean / sd, nil
}

// standardModel is a GP on t's standardised losses (hyperparameters fitted
// as the objective's, without output warp), with room for extra fantasies
// beyond t's pending trials, which it is conditioned on; it returns the
// mean and scale it standardised by. Constraints and, with three or more
// objectives, each objective are modelled so.
func (s *Sampler) standardModel(lay *layout, t *training, o Options, extra int) (*posterior, float64, float64, error) {
	o.Warp = "standard"
	fit := s.hyperFor(lay, t, o)
	x, loss, imp := t.rows(subset(t.loss, o.MaxObservations))
	mean := 0.0
	for _, v := range loss {
		mean += v
	}
	mean /= float64(len(loss))
	y := append([]float64(nil), loss...)
	sd := standardizeSD(y)
	post, err := newPosteriorImported(newKernel(lay, fit.hyper), x, y, imp, len(t.pending)+extra)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, f := range t.pending {
		post.addFantasy(f)
	}
	return post, mean, sd, nil
}
