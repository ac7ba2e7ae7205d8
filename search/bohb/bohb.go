// Package bohb is BOHB (Falkner et al. 2018, algorithm name "bohb"):
// Hyperband's brackets (search/hyperband) with new configurations drawn
// from a TPE model of one budget instead of uniformly at random.
//
// The model is fitted to the results at the largest budget (rung
// resource) where at least min_points trials have one, d+1 by default for
// d parameters (the paper's N_min); until some budget has that many, every
// configuration is random, and afterwards a share random_fraction (the
// paper's rho, default 1/3) still is. The model is a search.Sampler given
// a History of that budget only (fidelity.Ledger.ModelHistory), so
// `sampler: gp` gives GP + Hyperband the same way. The default sampler is
// TPE set up as BOHB's multivariate KDE (fidelity.ModelTPE). bohb is
// hyperband with `sampler: tpe` under its own name.
package bohb

import (
	"automl/search"
	"automl/search/fidelity"
	"automl/search/hyperband"
)

// Defaults are bohb's option defaults: hyperband's, with the TPE model and
// a third of the configurations random.
var Defaults = fidelity.Options{MinResource: 1, Eta: 3, Sampler: "tpe", RandomFraction: 1.0 / 3}

// New builds a BOHB searcher for a space.
func New(space *search.Space, set search.Settings) (*hyperband.Searcher, error) {
	cfg, err := hyperband.ConfigFrom(space, set, Defaults)
	if err != nil {
		return nil, err
	}
	cfg.Name = "bohb"
	return hyperband.New(cfg)
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name:           "bohb",
		Doc:            "BOHB (Falkner et al. 2018): Hyperband with a TPE model per budget for new configurations",
		MultiObjective: true, // rungs rank by Pareto rank and crowding (fidelity.Order)
		Options:        hyperband.OptionSpecs(),
		Validate:       func(s *search.Space, set search.Settings) []error { return hyperband.Validate(s, set, Defaults) },
		New:            func(s *search.Space, set search.Settings) (search.Searcher, error) { return New(s, set) },
	})
}
