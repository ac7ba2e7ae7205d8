package asha

import (
	"automl/search"
	"automl/search/fidelity"
)

// Defaults are asha's option defaults (min_resource 1, reduction factor
// 3, one bracket, BOHB's TPE for new configurations with a third of them
// random, as in bohb); max_resource is required.
var Defaults = fidelity.Options{MinResource: 1, Eta: 3, Brackets: 1, Sampler: "tpe", RandomFraction: 1.0 / 3}

// ConfigFrom reads a study's algorithm settings.
func ConfigFrom(space *search.Space, set search.Settings) (Config, error) {
	o, err := fidelity.Read(space, set, Defaults, true)
	if err != nil {
		return Config{}, err
	}
	p, err := fidelity.ProposerFor(space, o)
	if err != nil {
		return Config{}, err
	}
	return Config{Options: o, Proposer: p}, nil
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name:           "asha",
		Doc:            "asynchronous successive halving (Li et al. 2020): trials pause at rungs and the top 1/eta are promoted, resuming from their checkpoints",
		MultiObjective: true, // rungs rank by Pareto rank and crowding (fidelity.Order)
		Options: fidelity.OptionSpecs(nil, fidelity.KeyMinResource, fidelity.KeyMaxResource, fidelity.KeyEta,
			fidelity.KeyBrackets, fidelity.KeySampler, fidelity.KeyMinPoints, fidelity.KeyRandomFraction),
		Validate: func(s *search.Space, set search.Settings) []error {
			o, err := fidelity.Read(s, set, Defaults, true)
			if err != nil {
				return []error{err}
			}
			return fidelity.ValidateSampler(s, o.Sampler, o.Seed)
		},
		New: func(s *search.Space, set search.Settings) (search.Searcher, error) {
			cfg, err := ConfigFrom(s, set)
			if err != nil {
				return nil, err
			}
			return New(cfg)
		},
	})
}
