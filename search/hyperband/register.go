package hyperband

import (
	"fmt"

	"automl/search"
	"automl/search/fidelity"
)

// Defaults are hyperband's option defaults (min_resource 1, reduction
// factor 3, every bracket, random sampling; with a model sampler, a third
// of the configurations stay random, as in bohb); max_resource is required.
var Defaults = fidelity.Options{MinResource: 1, Eta: 3, Sampler: "random", RandomFraction: 1.0 / 3}

// KeyCycles is the option that bounds the passes over the brackets.
const KeyCycles = "cycles"

// OptionSpecs is the `algorithm:` table of hyperband and bohb.
func OptionSpecs() map[string]search.Option {
	return fidelity.OptionSpecs(map[string]search.Option{
		KeyCycles: {Kind: search.OptInt, Min: new(0.0), Doc: "passes over the brackets; 0 repeats until the budget ends the study (default 0)"},
	}, fidelity.KeyMinResource, fidelity.KeyMaxResource, fidelity.KeyEta, fidelity.KeyBrackets,
		fidelity.KeySampler, fidelity.KeyMinPoints, fidelity.KeyRandomFraction)
}

// ConfigFrom reads a space's algorithm section over def.
func ConfigFrom(space *search.Space, set search.Settings, def fidelity.Options) (Config, error) {
	o, err := fidelity.Read(space, set, def, true)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Options: o}
	if v, ok := set.Options[KeyCycles]; ok {
		n, ok := v.Int()
		if !ok || n < 0 {
			return Config{}, &search.OptionError{Key: KeyCycles, Msg: fmt.Sprintf("want a whole number >= 0, got %v", v)}
		}
		cfg.Cycles = int(n)
	}
	if cfg.Proposer, err = fidelity.ProposerFor(space, o); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks hyperband's options for a space (bohb's too, with its
// defaults).
func Validate(space *search.Space, set search.Settings, def fidelity.Options) []error {
	o, err := fidelity.Read(space, set, def, true)
	if err != nil {
		return []error{err}
	}
	if errs := fidelity.ValidateSampler(space, o.Sampler, o.Seed); len(errs) > 0 {
		return errs
	}
	if _, err := ConfigFrom(space, set, def); err != nil {
		return []error{err}
	}
	return nil
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name:           "hyperband",
		Doc:            "Hyperband (Li et al. 2018): synchronous successive halving in brackets; promoted trials resume from their checkpoints",
		MultiObjective: true, // rungs rank by Pareto rank and crowding (fidelity.Order)
		Options:        OptionSpecs(),
		Validate:       func(s *search.Space, set search.Settings) []error { return Validate(s, set, Defaults) },
		New: func(s *search.Space, set search.Settings) (search.Searcher, error) {
			cfg, err := ConfigFrom(s, set, Defaults)
			if err != nil {
				return nil, err
			}
			return New(cfg)
		},
	})
}
