// Package nsga2 is NSGA-II (Deb et al., 2002) as a sampler (algorithm name
// "nsga2"): a genetic algorithm for several objectives, with constraint
// domination (Deb's rule: feasible before infeasible, infeasible by total
// violation), on the unit-cube transform every sampler shares, so it
// handles floats, ints, log scales, categoricals and conditional spaces.
// With one objective it is a plain (μ+λ) genetic algorithm.
//
// The sampler keeps no state between calls: a proposal is a function of
// the history and the rng, so a study resumes from its trials.
//
//   - Until population (default 50) trials have completed, points are drawn
//     uniformly, as random search does.
//   - Then the completed trials, in creation order (imported results
//     included), are ranked by constraint domination into non-dominated
//     fronts and, in each front, by crowding distance; the elite is the
//     best population of them: NSGA-II's (μ+λ) survivor selection applied
//     to everything completed so far, so each completion updates it.
//   - Each parent is the winner of a binary tournament over the elite:
//     the lower rank wins, then the larger crowding distance, then the
//     first drawn.
//   - The child: with probability 0.9 crossover, else a copy of the first
//     parent; then mutation. Numeric coordinates (floats, ints, stepped
//     floats, grids, in the cube) take simulated binary crossover (SBX,
//     eta 15, each coordinate with probability 0.5) and polynomial
//     mutation (eta 20, probability 1/d for d parameters); categorical
//     ones take uniform crossover and, with probability 1/d, a choice
//     drawn anew. A coordinate active in one parent only is taken from
//     either parent with equal chance, so the child inherits the parents'
//     activity pattern coordinate by coordinate; a coordinate that the
//     child's own values activate and that neither parent gave is drawn
//     uniformly.
//   - Pending trials: a child that repeats a point already in the history
//     (pending, complete or failed) is drawn again (a few times), and
//     every call draws from the rng, so parallel slots get different
//     children of the same elite; pending trials join the elite once they
//     complete.
//
// Trials whose objectives were not all reported (no Losses of the study's
// length), failed and pruned trials are left out of the elite.
package nsga2

import (
	"fmt"
	"math/rand/v2"

	"automl/search"
)

// Options are NSGA-II's settings; the operators' constants are fixed
// (Deb's defaults, as Optuna's NSGAIISampler has them).
type Options struct {
	// Population is the elite's size, and the number of completed trials
	// sampled uniformly before the first generation.
	Population int
}

// DefaultOptions are population 50 (Optuna's default).
func DefaultOptions() Options { return Options{Population: 50} }

// The operators' constants.
const (
	crossoverProb = 0.9 // a child is a crossover of two parents (else a copy of one)
	swapProb      = 0.5 // SBX crosses each numeric coordinate with this probability
	etaCrossover  = 15  // SBX's distribution index
	etaMutation   = 20  // polynomial mutation's distribution index
	retries       = 8   // draws of a child that repeats a known point
)

// KeyPopulation is the option that sets Options.Population.
const KeyPopulation = "population"

var optionSpecs = map[string]search.Option{
	KeyPopulation: {Kind: search.OptInt, Min: new(2.0), Doc: "size of the elite, and completed trials sampled uniformly before the first generation (default 50)"},
}

// OptionsFrom reads a study's algorithm options over the defaults.
func OptionsFrom(_ *search.Space, set search.Settings) (Options, error) {
	o := DefaultOptions()
	for k, v := range set.Options {
		switch k {
		case KeyPopulation:
			n, ok := v.Int()
			if !ok || n < 2 || n > 1<<20 {
				return o, &search.OptionError{Key: k, Msg: fmt.Sprintf("want a whole number from 2 to %d, got %v", 1<<20, v)}
			}
			o.Population = int(n)
		default:
			return o, &search.OptionError{Key: k, Msg: "nsga2 has no such option; it takes " + KeyPopulation}
		}
	}
	return o, nil
}

// Sampler is the NSGA-II sampler. It is stateless and safe for concurrent use.
type Sampler struct{ opts Options }

// New returns a sampler with the given options.
func New(o Options) (*Sampler, error) {
	if o.Population < 2 {
		return nil, fmt.Errorf("nsga2: population must be >= 2, got %d", o.Population)
	}
	return &Sampler{opts: o}, nil
}

// Sample proposes one point.
func (s *Sampler) Sample(space *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	if space == nil || space.Dim() == 0 {
		return nil, fmt.Errorf("nsga2: empty search space")
	}
	elite, err := selectElite(space, h, s.opts.Population)
	if err != nil {
		return nil, err
	}
	if elite == nil {
		return uniform(space, rng), nil
	}
	kinds := kindsOf(space)
	var p search.Point
	for range retries {
		a, b := elite.tournament(rng), elite.tournament(rng)
		p = space.Decode(child(space, kinds, a.u, b.u, rng))
		if !known(h, p) {
			return p, nil
		}
	}
	return p, nil
}

// known reports whether p is the point of a trial in h (pending, complete
// or failed).
func known(h *search.History, p search.Point) bool {
	for i := range h.Trials {
		if h.Trials[i].Point.Equal(p) {
			return true
		}
	}
	return false
}

func uniform(space *search.Space, rng *rand.Rand) search.Point {
	u := make([]float64, space.Dim())
	for i := range u {
		u[i] = rng.Float64()
	}
	return space.Decode(u)
}

func init() {
	search.RegisterSampler(search.AlgorithmSpec{
		Name:           "nsga2",
		Doc:            "NSGA-II: a genetic algorithm for several objectives and constraints (population: 50)",
		Options:        optionSpecs,
		MultiObjective: true,
	}, OptionsFrom, func(o Options) (search.Sampler, error) { return New(o) })
}
