// Package gp is Bayesian optimisation with a Gaussian process (algorithm
// name "gp", alias "bayes").
//
// The model: a GP on the unit-cube transform of the space with a Matérn-5/2
// kernel and one length scale per parameter; categoricals are one-hot
// (sharing their parameter's length scale); an inactive conditional
// parameter takes a fixed imputed value, so the kernel compares like with
// like. Losses go through a monotone output transform (Box-Cox with λ in
// {1, 1/2, 1/4, 0} on the shifted loss, the one whose model gives the
// losses the largest marginal likelihood) and are standardised.
// Imported results (a warm start from a related study) are data of a
// related function: the study's scaled by a correlation plus a smooth
// discrepancy, both fitted with the other hyperparameters (hyper.go):
// where the study's own results agree with them, they count fully; where
// they disagree, the fit widens the discrepancy or lowers the correlation
// and the study's own results prevail.
// Hyperparameters (length scales, signal and noise variance) are fitted by
// maximum a posteriori with dimension-scaled priors, by L-BFGS from fixed
// starting points; the Cholesky factorisation retries with growing jitter.
//
// The acquisition is log expected improvement, evaluated on Sobol and local
// candidates that are first rounded to real points of the space (integers,
// steps, categoricals, `when`), then refined: gradient ascent on the
// continuous parameters, a sweep of the discrete ones. The first n_init
// trials follow a scrambled Sobol design seeded by the study seed.
//
// Several objectives (three or more: expected hypervolume improvement with
// a GP per objective, ehvi.go; two, or under constraints: ParEGO, a random
// augmented Chebyshev scalarisation per suggestion) and constraints (a GP
// per constraint, log EI plus the log probability of feasibility): see
// goals.go.
//
// Parallel slots: pending trials are fantasised at the posterior mean
// (Kriging believer), and SampleBatch adds each new point as a fantasy
// before choosing the next. While any trial is pending, the point is the
// minimiser of one joint draw from that posterior (Thompson sampling,
// thompson.go) rather than the maximiser of log EI: on eight asynchronous
// slots it lost far less to the parallelism (bench/bayes/RESULTS.md);
// `batch: believer` keeps log EI.
// See data.go for how failed, pruned and non-finite trials are used.
//
// Cost: hyperparameters are refitted every k trials (k = n/20 by default)
// on at most fit_max observations and cached, keyed by the exact data they
// were fitted to; the posterior conditions on at most max_observations.
// While trials are pending, the fit a suggestion uses lags one settled
// observation behind and the next one is fitted ahead in a background
// goroutine (fitahead.go), so a freed slot does not wait for a refit.
// The sampler is a pure function of (space, history, rng): the cache and
// the fits ahead only save work, since a refit on the same data gives the
// same bits, so a restarted study makes the same suggestions as an
// uninterrupted one with the plain sampler searcher's snapshot.
package gp

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"

	"automl/search"
	"automl/search/sobol"
)

// Sampler is the GP sampler. It is safe for concurrent use.
type Sampler struct {
	opts Options
	// Log receives a line per trial left out of the model (nil: slog.Default()).
	Log *slog.Logger

	mu     sync.Mutex
	hypers map[uint64]fitted
	order  []uint64 // cache keys, oldest first
	// Fits ahead (fitahead.go): the queue, what is queued or being
	// fitted (closed when done), and whether the fitter runs.
	fitting  map[uint64]chan struct{}
	queue    []fitJob
	fitterOn bool
	logged   map[int]bool
	design   struct {
		space *search.Space
		seq   *sobol.Sampler
	}
}

// New returns a GP sampler.
func New(o Options) (*Sampler, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	return &Sampler{opts: o}, nil
}

// Sample proposes one point.
func (s *Sampler) Sample(space *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	ps, err := s.SampleBatch(space, h, rng, 1)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// SampleBatch proposes q points for q free slots at once.
func (s *Sampler) SampleBatch(space *search.Space, h *search.History, rng *rand.Rand, q int) ([]search.Point, error) {
	if space == nil || space.Dim() == 0 {
		return nil, fmt.Errorf("gp: empty search space")
	}
	if h == nil {
		h = &search.History{}
	}
	g := goalsOf(h)
	if g.k < 2 {
		return s.batch(space, h, g, nil, rng, q)
	}
	// EHVI or ParEGO (a fresh scalarisation, so a fresh model, per
	// suggestion); the batch's earlier points are pending for the later ones.
	out := make([]search.Point, 0, q)
	for j := 0; j < q; j++ {
		hj := h
		if j > 0 {
			hj = h.WithPending(out...)
		}
		if g.hv && g.nc == 0 {
			p, err := s.ehviPoint(space, hj, g, rng)
			if err != nil {
				return nil, err
			}
			if p != nil {
				out = append(out, p)
				continue
			}
		}
		ps, err := s.batch(space, hj, g, g.weights(rng), rng, 1)
		if err != nil {
			return nil, err
		}
		out = append(out, ps[0])
	}
	return out, nil
}

// batch proposes q points with the model of the goals g (w: the
// scalarisation's weights for several objectives).
func (s *Sampler) batch(space *search.Space, h *search.History, g goals, w []float64, rng *rand.Rand, q int) ([]search.Point, error) {
	lay := newLayout(space)
	tr := g.trainings(space, lay, h, w)
	s.logDropped(tr.dropped)
	o := s.opts.withDefaults(space.Dim(), len(tr.loss))
	seen := make(map[string]bool, h.Len()+q)
	for _, t := range h.Trials {
		seen[t.Point.Key()] = true
	}
	out := make([]search.Point, 0, q)
	var added [][]float64 // features of this batch's points
	var post *acquisition
	for j := 0; j < q; j++ {
		var p search.Point
		var f []float64
		if h.Len()+j < o.NInit || len(tr.loss) < 2 {
			p = s.designPoint(space, h.Len()+j, rng, seen)
			f = lay.features(space.Encode(p), nil)
			if post != nil {
				post.addFantasy(f)
			}
		} else {
			if post == nil {
				var err error
				if post, err = s.model(space, lay, tr, o, q-j); err != nil {
					return nil, err
				}
				for _, a := range added {
					post.addFantasy(a)
				}
			}
			// Constraints keep log EI times the probability of feasibility.
			if o.Batch == "thompson" && len(tr.pending)+j > 0 && len(post.cons) == 0 && !post.noEI {
				p, f = s.thompson(space, lay, post.obj, tr, o, rng, seen)
			} else {
				p, f = s.maximize(space, lay, post, tr, o, rng, seen)
			}
			post.addFantasy(f)
		}
		seen[p.Key()] = true
		added = append(added, f)
		out = append(out, p)
	}
	return out, nil
}

// designPoint is point i of the study's scrambled Sobol sequence (seeded
// by the study seed, so it is the same sequence on every call), or a
// random point when that one is taken (or i < 0).
func (s *Sampler) designPoint(space *search.Space, i int, rng *rand.Rand, seen map[string]bool) search.Point {
	u := make([]float64, space.Dim())
	if seq := s.sequence(space); seq != nil && i >= 0 {
		seq.Cube(uint64(i), u)
		if p := space.Decode(u); !seen[p.Key()] {
			return p
		}
	}
	var p search.Point
	for try := 0; try < 64; try++ {
		for k := range u {
			u[k] = rng.Float64()
		}
		if p = space.Decode(u); !seen[p.Key()] {
			break
		}
	}
	return p
}

func (s *Sampler) sequence(space *search.Space) *sobol.Sampler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.design.space != space {
		seq, err := sobol.New(space.Dim(), s.opts.Seed, true)
		if err != nil {
			seq = nil // more parameters than the table: random design
		}
		s.design.space, s.design.seq = space, seq
	}
	return s.design.seq
}

// model fits (or recalls) the hyperparameters and conditions the GP on the
// data and on the pending trials as fantasies, with room for q more.
func (s *Sampler) model(space *search.Space, lay *layout, tr *training, o Options, q int) (*acquisition, error) {
	fit := s.hyperFor(lay, tr.fitOn(), o)
	idx := subset(tr.loss, o.MaxObservations)
	x, loss, imp := tr.rows(idx)
	y, _ := warp(fit.warp, loss)
	post, err := newPosteriorImported(newKernel(lay, fit.hyper), x, y, imp, len(tr.pending)+q)
	if err != nil {
		return nil, fmt.Errorf("gp: condition on %d observations: %w", len(x), err)
	}
	a := &acquisition{obj: post}
	if tr.constrained {
		best := math.Inf(1)
		for k, i := range idx {
			if tr.feas[i] {
				best = math.Min(best, y[k])
			}
		}
		post.best, a.noEI = best, math.IsInf(best, 1)
		for j, tc := range tr.cons {
			c, thr, err := s.constraintModel(lay, tc, o, q)
			if err != nil {
				return nil, fmt.Errorf("gp: constraint %d's model: %w", j+1, err)
			}
			if c != nil {
				a.cons, a.thr = append(a.cons, c), append(a.thr, thr)
			}
		}
	}
	for _, f := range tr.pending {
		post.addFantasy(f)
	}
	return a, nil
}

// fitted is a cached fit: the hyperparameters and the output transform
// they go with.
type fitted struct {
	hyper
	warp warpKind
}

func fingerprint(x [][]float64, y []float64, imp []bool, kinds []warpKind) uint64 {
	h := fnv.New64a()
	for _, k := range kinds {
		h.Write([]byte{byte(k)})
	}
	for _, b := range imp {
		if b {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	var b [8]byte
	put := func(v float64) {
		u := math.Float64bits(v)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	for i := range x {
		for _, v := range x[i] {
			put(v)
		}
		put(y[i])
	}
	return h.Sum64()
}

func (s *Sampler) logDropped(ds []droppedTrial) {
	if len(ds) == 0 {
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
	for _, d := range ds {
		if !s.logged[d.id] {
			s.logged[d.id] = true
			log.Warn("gp: trial left out of the model", "trial", d.id, "reason", d.reason)
		}
	}
}

func init() {
	search.RegisterSampler(search.AlgorithmSpec{
		Name:    "gp",
		Aliases: []string{"bayes"},
		Doc:     "Bayesian optimisation: Gaussian process (Matérn-5/2, ARD) with log expected improvement; several objectives by EHVI (three or more) or ParEGO, constraints by a GP each",
		Options: optionSpecs,
		// Several objectives and constraints: goals.go.
		MultiObjective: true,
	}, OptionsFrom, func(o Options) (search.Sampler, error) { return New(o) })
}
