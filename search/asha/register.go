package asha

import (
	"automl/search"
	"automl/search/fidelity"
)

// Defaults are asha's option defaults (min_resource 1, reduction factor
// 3, one bracket, BOHB's TPE for new configurations with a third of them
// random, as in bohb); max_resource is required.
var Defaults = fidelity.Options{MinResource: 1, Eta: 3, Brackets: 1, Sampler: "tpe", RandomFraction: 1.0 / 3}

// ConfigFrom reads a space's algorithm section.
func ConfigFrom(space *search.Space) (Config, error) {
	o, err := fidelity.Read(space, Defaults, true)
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
		Name: "asha",
		Doc:  "asynchronous successive halving (Li et al. 2020): trials pause at rungs and the top 1/eta are promoted, resuming from their checkpoints",
		Options: fidelity.OptionSpecs(nil, fidelity.KeyMinResource, fidelity.KeyMaxResource, fidelity.KeyEta,
			fidelity.KeyBrackets, fidelity.KeySampler, fidelity.KeyMinPoints, fidelity.KeyRandomFraction),
		Validate: func(s *search.Space) []error {
			o, err := fidelity.Read(s, Defaults, true)
			if err != nil {
				return []error{err}
			}
			return fidelity.ValidateSampler(s, o.Sampler)
		},
		New: func(s *search.Space) (search.Searcher, error) {
			cfg, err := ConfigFrom(s)
			if err != nil {
				return nil, err
			}
			return New(cfg)
		},
	})
}
