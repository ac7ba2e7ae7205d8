package tpe

import (
	"fmt"
	"math"

	"automl/search"
	"automl/search/value"
)

// Options are TPE's settings, named as in Optuna's TPESampler so users can
// carry their settings over. The zero value is not valid: start from
// DefaultOptions.
type Options struct {
	// NStartupTrials: finished trials (complete or pruned) sampled at random
	// before the model takes over.
	NStartupTrials int
	// NEICandidates: points drawn from l(x) per decision; the one with the
	// best l(x)/g(x) wins.
	NEICandidates int
	// Gamma is the fraction of finished trials in the "good" group, capped
	// at GammaMax trials: n_below = min(ceil(Gamma*n), GammaMax).
	Gamma    float64
	GammaMax int
	// PriorWeight is the weight of the flat prior kernel in each estimator.
	PriorWeight float64
	// ConsiderEndpoints lets the bandwidth of the outermost kernels reach
	// the bounds; ConsiderMagicClip floors bandwidths at range/min(100, n+1).
	ConsiderEndpoints bool
	ConsiderMagicClip bool
	// Multivariate models parameters jointly (one kernel index for all);
	// Group splits a conditional space into groups of parameters that are
	// active together and models each group jointly.
	Multivariate bool
	Group        bool
	// ConstantLiar counts pending trials among the bad ones, so parallel
	// slots are pushed apart.
	ConstantLiar bool
}

// DefaultOptions are Optuna's TPESampler defaults, except ConstantLiar,
// which is on because automl studies run slots in parallel.
func DefaultOptions() Options {
	return Options{
		NStartupTrials:    10,
		NEICandidates:     24,
		Gamma:             0.1,
		GammaMax:          25,
		PriorWeight:       1.0,
		ConsiderMagicClip: true,
		ConstantLiar:      true,
	}
}

// optionSpecs is the `algorithm:` table the space file is checked against.
var optionSpecs = map[string]search.Option{
	"n_startup_trials":    {Kind: search.OptInt, Min: new(0.0), Doc: "trials sampled at random before the model is used (default 10)"},
	"n_ei_candidates":     {Kind: search.OptInt, Min: new(1.0), Doc: "candidates drawn from l(x) per suggestion (default 24)"},
	"gamma":               {Kind: search.OptFloat, Min: new(0.0), Doc: "fraction of trials in the good group, in (0, 1] (default 0.1)"},
	"gamma_max":           {Kind: search.OptInt, Min: new(1.0), Doc: "cap on the good group's size (default 25)"},
	"prior_weight":        {Kind: search.OptFloat, Min: new(0.0), Doc: "weight of the prior kernel, > 0 (default 1.0)"},
	"consider_endpoints":  {Kind: search.OptBool, Doc: "let the outermost kernels' bandwidth reach the bounds (default false)"},
	"consider_magic_clip": {Kind: search.OptBool, Doc: "floor kernel bandwidths (default true)"},
	"multivariate":        {Kind: search.OptBool, Doc: "model parameters jointly (default false)"},
	"group":               {Kind: search.OptBool, Doc: "with multivariate: model each group of co-active parameters jointly (default false)"},
	"constant_liar":       {Kind: search.OptBool, Doc: "treat pending trials as bad ones so parallel slots differ (default true)"},
}

// OptionsFrom reads the algorithm options of a study over the defaults.
func OptionsFrom(_ *search.Space, set search.Settings) (Options, error) {
	o := DefaultOptions()
	for k, v := range set.Options {
		var ok bool
		switch k {
		case "n_startup_trials":
			o.NStartupTrials, ok = intOpt(v)
		case "n_ei_candidates":
			o.NEICandidates, ok = intOpt(v)
		case "gamma":
			o.Gamma, ok = v.Float()
		case "gamma_max":
			o.GammaMax, ok = intOpt(v)
		case "prior_weight":
			o.PriorWeight, ok = v.Float()
		case "consider_endpoints":
			o.ConsiderEndpoints, ok = v.BoolVal()
		case "consider_magic_clip":
			o.ConsiderMagicClip, ok = v.BoolVal()
		case "multivariate":
			o.Multivariate, ok = v.BoolVal()
		case "group":
			o.Group, ok = v.BoolVal()
		case "constant_liar":
			o.ConstantLiar, ok = v.BoolVal()
		default:
			return o, fmt.Errorf("tpe: unknown option %q", k)
		}
		if !ok {
			return o, fmt.Errorf("tpe: option %s: unexpected value %v", k, v)
		}
	}
	return o, o.Check()
}

func intOpt(v value.Value) (int, bool) {
	n, ok := v.Int()
	return int(n), ok
}

// Check reports settings that cannot work.
func (o Options) Check() error {
	switch {
	case o.NStartupTrials < 0:
		return fmt.Errorf("tpe: n_startup_trials must be >= 0, got %d", o.NStartupTrials)
	case o.NEICandidates < 1:
		return fmt.Errorf("tpe: n_ei_candidates must be >= 1, got %d", o.NEICandidates)
	case !(o.Gamma > 0 && o.Gamma <= 1):
		return fmt.Errorf("tpe: gamma must be in (0, 1], got %v", o.Gamma)
	case o.GammaMax < 1:
		return fmt.Errorf("tpe: gamma_max must be >= 1, got %d", o.GammaMax)
	case !(o.PriorWeight > 0) || math.IsInf(o.PriorWeight, 0):
		return fmt.Errorf("tpe: prior_weight must be a positive number, got %v", o.PriorWeight)
	case o.Group && !o.Multivariate:
		return fmt.Errorf("tpe: group: true needs multivariate: true")
	}
	return nil
}

// nBelow is the size of the good group among n finished trials.
func (o Options) nBelow(n int) int {
	k := int(math.Ceil(o.Gamma * float64(n)))
	return min(k, o.GammaMax, n)
}
