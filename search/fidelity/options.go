package fidelity

import (
	"errors"
	"fmt"
	"math"

	"automl/search"
)

// Options are the settings the rung searchers share, read from the space
// file's algorithm section over each algorithm's defaults.
type Options struct {
	// MinResource and MaxResource bound a trial's training in the study's
	// resource (epochs): the lowest rung and the full budget.
	MinResource, MaxResource float64
	// Eta is the reduction factor: each rung keeps the best 1/Eta.
	Eta int
	// Brackets is how many Hyperband brackets to run (hyperband, bohb: the
	// most exploratory first; asha: rung ladders starting at min*eta^b).
	// Zero means the algorithm's default.
	Brackets int
	// Sampler is the registered algorithm that proposes new configurations.
	Sampler string
	// MinPoints is how many results a budget needs before a model sampler
	// is fitted to it; zero means d+1 (Falkner et al.'s N_min).
	MinPoints int
	// RandomFraction is the share of new configurations drawn uniformly at
	// random even when the model is used (BOHB's rho).
	RandomFraction float64
	// Seed is the study's: samplers that fix a sequence from it (sobol,
	// grid, gp's initial design) get it.
	Seed uint64
}

// The option keys of the `algorithm:` section.
const (
	KeyMinResource    = "min_resource"
	KeyMaxResource    = "max_resource"
	KeyEta            = "reduction_factor"
	KeyBrackets       = "brackets"
	KeySampler        = "sampler"
	KeyMinPoints      = "min_points"
	KeyRandomFraction = "random_fraction"
)

var optionTable = map[string]search.Option{
	KeyMinResource:    {Kind: search.OptFloat, Min: new(0.0), Doc: "the lowest rung, in the study's resource (default 1)"},
	KeyMaxResource:    {Kind: search.OptFloat, Min: new(0.0), Doc: "the full training budget, in the study's resource (required)"},
	KeyEta:            {Kind: search.OptInt, Min: new(2.0), Doc: "each rung keeps the best 1/reduction_factor (default 3)"},
	KeyBrackets:       {Kind: search.OptInt, Min: new(1.0), Doc: "how many brackets (at most floor(log_eta(max/min)) + 1)"},
	KeySampler:        {Kind: search.OptString, Doc: "the algorithm that proposes new configurations: random, sobol, tpe, gp, ... (default: tpe for asha and bohb, random for hyperband)"},
	KeyMinPoints:      {Kind: search.OptInt, Min: new(1.0), Doc: "results a budget needs before a model sampler learns from it (default: parameters + 1)"},
	KeyRandomFraction: {Kind: search.OptFloat, Min: new(0.0), Doc: "share of new configurations drawn at random once the model is used, in [0, 1]"},
}

// OptionSpecs returns the named keys of the shared option table, merged
// with extra, for an AlgorithmSpec.
func OptionSpecs(extra map[string]search.Option, keys ...string) map[string]search.Option {
	out := make(map[string]search.Option, len(keys)+len(extra))
	for _, k := range keys {
		o, ok := optionTable[k]
		if !ok {
			panic("fidelity: unknown option key " + k) // a programming error, found at init
		}
		out[k] = o
	}
	for k, o := range extra {
		out[k] = o
	}
	return out
}

// Read reads the shared options from a study's settings over def, and
// checks them. needMax says max_resource is required (the rung searchers).
func Read(space *search.Space, set search.Settings, def Options, needMax bool) (Options, error) {
	o := def
	o.Seed = set.Seed
	if o.MinResource == 0 {
		o.MinResource = 1
	}
	if o.Eta == 0 {
		o.Eta = 3
	}
	if o.Sampler == "" {
		o.Sampler = "random"
	}
	opts := set.Options
	var errs []error
	num := func(key string, dst *float64) {
		if v, ok := opts[key]; ok {
			if x, ok := v.Float(); ok {
				*dst = x
			} else {
				errs = append(errs, optErr(key, "want a number, got %v", v))
			}
		}
	}
	integer := func(key string, dst *int) {
		if v, ok := opts[key]; ok {
			if n, ok := v.Int(); ok && n <= math.MaxInt32 {
				*dst = int(n)
			} else {
				errs = append(errs, optErr(key, "want a whole number, got %v", v))
			}
		}
	}
	num(KeyMinResource, &o.MinResource)
	num(KeyMaxResource, &o.MaxResource)
	integer(KeyEta, &o.Eta)
	integer(KeyBrackets, &o.Brackets)
	integer(KeyMinPoints, &o.MinPoints)
	num(KeyRandomFraction, &o.RandomFraction)
	if v, ok := opts[KeySampler]; ok {
		if s, ok := v.Str(); ok {
			o.Sampler = s
		} else {
			errs = append(errs, optErr(KeySampler, "want an algorithm name, got %v", v))
		}
	}
	if len(errs) > 0 {
		return o, errors.Join(errs...)
	}
	if o.MinPoints == 0 {
		o.MinPoints = space.Dim() + 1
	}
	return o, o.Check(needMax)
}

// Check reports settings that cannot work; needMax: max_resource is required.
func (o Options) Check(needMax bool) error {
	switch {
	case needMax && o.MaxResource == 0:
		return optErr(KeyMaxResource, "required: the full training budget in the study's resource (e.g. max_resource: 81 for 81 epochs)")
	case !(o.MinResource > 0) || math.IsInf(o.MinResource, 0):
		return optErr(KeyMinResource, "must be a positive number, got %v", o.MinResource)
	case o.MaxResource != 0 && (!(o.MaxResource >= o.MinResource) || math.IsInf(o.MaxResource, 0)):
		return optErr(KeyMaxResource, "must be a number >= min_resource (%v), got %v", o.MinResource, o.MaxResource)
	case o.Eta < 2:
		return optErr(KeyEta, "must be >= 2, got %d", o.Eta)
	case !(o.RandomFraction >= 0 && o.RandomFraction <= 1):
		return optErr(KeyRandomFraction, "must be in [0, 1], got %v", o.RandomFraction)
	case o.MinPoints < 1:
		return optErr(KeyMinPoints, "must be >= 1, got %d", o.MinPoints)
	}
	if needMax {
		smax := SMax(o.MinResource, o.MaxResource, o.Eta)
		if math.Pow(float64(o.Eta), float64(smax))*float64(smax+1) > 1e9 {
			return optErr(KeyEta, "reduction_factor %d over max/min = %v makes brackets of more than 10^9 configurations", o.Eta, o.MaxResource/o.MinResource)
		}
		if n := smax + 1; o.Brackets > n {
			return optErr(KeyBrackets, "at most %d for min_resource %v, max_resource %v and reduction_factor %d (floor(log_%d(max/min)) + 1), got %d",
				n, o.MinResource, o.MaxResource, o.Eta, o.Eta, o.Brackets)
		}
	}
	if o.Brackets < 0 {
		return optErr(KeyBrackets, "must be >= 1, got %d", o.Brackets)
	}
	return nil
}

func optErr(key, format string, args ...any) error {
	return &search.OptionError{Key: key, Msg: fmt.Sprintf(format, args...)}
}
