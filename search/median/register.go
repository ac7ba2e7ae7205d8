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

// ConfigFrom reads a study's algorithm settings.
func ConfigFrom(space *search.Space, set search.Settings) (Config, error) {
	o, err := fidelity.Read(space, set, readDefaults, false)
	if err != nil {
		return Config{}, err
	}
	smp, _, err := fidelity.NamedSampler(space, o.Sampler, o.Seed)
	if err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig(smp)
	cfg.MaxResource = o.MaxResource
	opts := set.Options
	for _, f := range []struct {
		key string
		dst *int
	}{{KeyStartupTrials, &cfg.StartupTrials}, {KeyMinTrials, &cfg.MinTrials}} {
		key, dst := f.key, f.dst
		if v, ok := opts[key]; ok {
			n, ok := v.Int()
			if !ok || n < 0 || n > 1<<31 {
				return Config{}, &search.OptionError{Key: key, Msg: fmt.Sprintf("want a whole number >= 0, got %v", v)}
			}
			*dst = int(n)
		}
	}
	if v, ok := opts[KeyWarmupSteps]; ok {
		x, ok := v.Float()
		if !ok || x < 0 {
			return Config{}, &search.OptionError{Key: KeyWarmupSteps, Msg: fmt.Sprintf("want a number >= 0, got %v", v)}
		}
		cfg.WarmupSteps = x
	}
	if cfg.MinTrials < 1 {
		return Config{}, &search.OptionError{Key: KeyMinTrials, Msg: fmt.Sprintf("must be >= 1, got %d", cfg.MinTrials)}
	}
	return cfg, nil
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name: "median",
		Doc:  "median stopping rule: stop a trial whose best intermediate value is worse than the median of completed trials at the same step",
		Options: fidelity.OptionSpecs(map[string]search.Option{
			KeyStartupTrials: {Kind: search.OptInt, Min: new(0.0), Doc: "completed trials before any trial is stopped (default 5)"},
			KeyWarmupSteps:   {Kind: search.OptFloat, Min: new(0.0), Doc: "no trial is stopped at a step below this (default 0)"},
			KeyMinTrials:     {Kind: search.OptInt, Min: new(1.0), Doc: "completed trials that must have reported at a step to judge there (default 1)"},
		}, fidelity.KeySampler, fidelity.KeyMaxResource),
		Validate: func(s *search.Space, set search.Settings) []error {
			o, err := fidelity.Read(s, set, readDefaults, false)
			if err != nil {
				return []error{err}
			}
			if errs := fidelity.ValidateSampler(s, o.Sampler, o.Seed); len(errs) > 0 {
				return errs
			}
			if _, err := ConfigFrom(s, set); err != nil {
				return []error{err}
			}
			return nil
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
