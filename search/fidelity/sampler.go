package fidelity

import (
	"errors"
	"fmt"

	"automl/search"
	"automl/search/random"
	"automl/search/tpe"
	"automl/search/value"
)

// NamedSampler builds the Sampler of a registered single-fidelity
// algorithm (random, sobol, grid, tpe, gp, cmaes, ...) with that algorithm's
// default options, for `sampler: NAME`. model reports whether it learns
// from results (its AlgorithmSpec has no Prefetch): a model sampler is fed
// one budget's results (see Proposer); the others see the whole history.
//
// It builds the algorithm's searcher and unwraps its sampler, so
// any algorithm registered the usual way qualifies. A registry field
// (AlgorithmSpec.Sampler) would make this direct; see the package doc.
func NamedSampler(space *search.Space, name string, seed uint64) (s search.Sampler, model bool, err error) {
	spec, set, err := samplerSettings(name, seed)
	if err != nil {
		return nil, false, err
	}
	notSampler := func(why string) error {
		return &search.OptionError{Key: KeySampler, Msg: fmt.Sprintf("%q is not a sampler (%s); use a single-fidelity algorithm such as random, sobol, tpe, gp or cmaes", name, why)}
	}
	se, err := spec.New(space, set)
	if err != nil {
		return nil, false, notSampler(err.Error())
	}
	smp, ok := search.SamplerOf(se)
	if !ok {
		return nil, false, notSampler("it decides trials itself")
	}
	return smp, !spec.Prefetch, nil
}

// ValidateSampler checks `sampler: NAME` for a space: the algorithm exists,
// accepts the space (grid needs finite domains) and is a sampler.
func ValidateSampler(space *search.Space, name string, seed uint64) []error {
	spec, set, err := samplerSettings(name, seed)
	if err != nil {
		return []error{err}
	}
	if spec.Validate != nil {
		if errs := spec.Validate(space, set); len(errs) > 0 {
			return errs
		}
	}
	if _, _, err := NamedSampler(space, name, seed); err != nil {
		return []error{err}
	}
	return nil
}

// samplerSettings are the named algorithm's settings as a sub-sampler:
// the study's seed and no options.
func samplerSettings(name string, seed uint64) (*search.AlgorithmSpec, search.Settings, error) {
	spec, ok := search.Lookup(name)
	if !ok {
		return nil, search.Settings{}, &search.OptionError{Key: KeySampler, Msg: fmt.Sprintf("unknown algorithm %q; one of the single-fidelity algorithms (random, sobol, grid, tpe, gp, cmaes, ...)", name)}
	}
	if _, ok := spec.Options[KeySampler]; ok {
		return nil, search.Settings{}, &search.OptionError{Key: KeySampler, Msg: fmt.Sprintf("%q is not a sampler (it takes a sampler itself); use a single-fidelity algorithm such as random, sobol, tpe, gp or cmaes", name)}
	}
	return spec, search.Settings{Name: spec.Name, Seed: seed, Options: map[string]value.Value{}}, nil
}

// Proposer draws new configurations for a rung searcher.
//
// A model sampler (Model) learns from one budget at a time, as in BOHB
// (Falkner et al. 2018): it is given the results at the largest budget
// where at least MinPoints trials have one (Ledger.ModelHistory; imported
// results count too, see imported.go), and
// until some budget has that many, configurations are drawn uniformly at
// random. Even then, a share RandomFraction of them is drawn at random,
// which keeps BOHB's convergence guarantee. Any other sampler (random,
// sobol, grid) sees the scheduler's whole history, which sequence-based
// samplers index into.
type Proposer struct {
	Sampler        search.Sampler
	Model          bool
	MinPoints      int
	RandomFraction float64
	// Top is the full budget (max_resource): imported results of unknown
	// or larger resource count there (see imported.go).
	Top float64
}

// Propose gives n points: the configurations users queued first
// (search.TakeQueued), then drawn ones. On search.ErrExhausted (a
// finished grid) it returns the points it got and the error.
func (p Proposer) Propose(c search.Context, l *Ledger, n int) ([]search.Point, error) {
	queued, h := search.TakeQueued(c, n)
	c.History = h
	drawn, err := p.draw(c, l, n-len(queued))
	return append(queued, drawn...), err
}

// draw draws n points from the sampler, or at random (see Proposer).
func (p Proposer) draw(c search.Context, l *Ledger, n int) ([]search.Point, error) {
	if n <= 0 {
		return nil, nil
	}
	if !p.Model {
		return search.SampleN(p.Sampler, c.Space, c.History, c.Rng, n)
	}
	budget, ok := p.modelBudget(c.History, l)
	useModel := make([]bool, n)
	m := 0
	for i := range useModel {
		useModel[i] = ok && (p.RandomFraction == 0 || c.Rng.Float64() >= p.RandomFraction)
		if useModel[i] {
			m++
		}
	}
	var fromModel []search.Point
	if m > 0 {
		var err error
		fromModel, err = search.SampleN(p.Sampler, c.Space, p.modelHistory(c.History, l, budget), c.Rng, m)
		if err != nil && !errors.Is(err, search.ErrExhausted) {
			return nil, fmt.Errorf("model sampler at budget %g: %w", budget, err)
		}
	}
	fromRandom, err := search.SampleN(random.Sampler{}, c.Space, c.History, c.Rng, n-m)
	if err != nil {
		return nil, err
	}
	out := make([]search.Point, 0, n)
	for _, model := range useModel {
		switch {
		case model && len(fromModel) > 0:
			out, fromModel = append(out, fromModel[0]), fromModel[1:]
		case model: // the model ran dry: fill with random points
			p, err := random.Sampler{}.Sample(c.Space, c.History, c.Rng)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		default:
			out, fromRandom = append(out, fromRandom[0]), fromRandom[1:]
		}
	}
	return out, nil
}

// ModelTPE are the settings of `sampler: tpe` in every rung searcher:
// BOHB's multivariate KDE (Falkner et al. 2018). Every parameter is
// modelled jointly, the best 15% are the good group, 64 candidates per
// proposal, and there is no startup of its own: min_points decides when
// the model starts. The single-fidelity defaults (univariate, 10 random
// startup trials counted over one budget's results) learn too slowly from
// the few results a rung has.
func ModelTPE() tpe.Options {
	o := tpe.DefaultOptions()
	o.NStartupTrials = 0
	o.Multivariate = true
	o.Gamma = 0.15
	o.NEICandidates = 64
	return o
}

// RungSampler builds the sampler a rung searcher draws new configurations
// from, for `sampler: NAME`: TPE with ModelTPE's settings for tpe, any
// other registered algorithm as NamedSampler builds it.
func RungSampler(space *search.Space, name string, seed uint64) (s search.Sampler, model bool, err error) {
	if name != "tpe" {
		return NamedSampler(space, name, seed)
	}
	t, err := tpe.New(ModelTPE())
	return t, true, err
}

// ProposerFor builds the Proposer the options ask for.
func ProposerFor(space *search.Space, o Options) (Proposer, error) {
	smp, model, err := RungSampler(space, o.Sampler, o.Seed)
	if err != nil {
		return Proposer{}, err
	}
	return Proposer{Sampler: smp, Model: model, MinPoints: o.MinPoints, RandomFraction: o.RandomFraction, Top: o.MaxResource}, nil
}
