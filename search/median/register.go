package median

import (
	"fmt"
	"math"

	"automl/search"
	"automl/search/fidelity"
)

// Option keys besides sampler and max_resource, named as Optuna's.
const (
	KeyStartupTrials = "n_startup_trials"
	KeyWarmupSteps   = "n_warmup_steps"
	KeyMinTrials     = "n_min_trials"
)

// readDefaults: median has no min_resource; any positive max_resource goes.
var readDefaults = fidelity.Options{MinResource: math.SmallestNonzeroFloat64, Sampler: "random"}

// ConfigFrom reads a space's algorithm section.
func ConfigFrom(space *search.Space) (Config, error) {
	o, err := fidelity.Read(space, readDefaults, false)
	if err != nil {
		return Config{}, err
	}
	smp, _, err := fidelity.NamedSampler(space, o.Sampler)
	if err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig(smp)
	cfg.MaxResource = o.MaxResource
	opts := space.Algorithm.Options
	for _, f := range []struct {
		key string
		dst *int
	}{{KeyStartupTrials, &cfg.StartupTrials}, {KeyMinTrials, &cfg.MinTrials}} {
		key, dst := f.key, f.dst
		if v, ok := opts[key]; ok {
			n, ok := v.Int()
			if !ok || n < 0 || n > 1<<31 {
				return Config{}, &fidelity.OptionError{Key: key, Msg: fmt.Sprintf("want a whole number >= 0, got %v", v)}
			}
			*dst = int(n)
		}
	}
	if v, ok := opts[KeyWarmupSteps]; ok {
		x, ok := v.Float()
		if !ok || x < 0 {
			return Config{}, &fidelity.OptionError{Key: KeyWarmupSteps, Msg: fmt.Sprintf("want a number >= 0, got %v", v)}
		}
		cfg.WarmupSteps = x
	}
	if cfg.MinTrials < 1 {
		return Config{}, &fidelity.OptionError{Key: KeyMinTrials, Msg: fmt.Sprintf("must be >= 1, got %d", cfg.MinTrials)}
	}
	return cfg, nil
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name: "median",
		Doc:  "median stopping rule: stop a trial whose best intermediate value is worse than the median of completed trials at the same step",
		Options: fidelity.OptionSpecs(map[string]search.Option{
			KeyStartupTrials: {Kind: search.OptInt, Min: 0, HasMin: true, Doc: "completed trials before any trial is stopped (default 5)"},
			KeyWarmupSteps:   {Kind: search.OptFloat, Min: 0, HasMin: true, Doc: "no trial is stopped at a step below this (default 0)"},
			KeyMinTrials:     {Kind: search.OptInt, Min: 1, HasMin: true, Doc: "completed trials that must have reported at a step to judge there (default 1)"},
		}, fidelity.KeySampler, fidelity.KeyMaxResource),
		Validate: func(s *search.Space) []error {
			o, err := fidelity.Read(s, readDefaults, false)
			if err != nil {
				return []error{err}
			}
			if errs := fidelity.ValidateSampler(s, o.Sampler); len(errs) > 0 {
				return errs
			}
			if _, err := ConfigFrom(s); err != nil {
				return []error{err}
			}
			return nil
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
