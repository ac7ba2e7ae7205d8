package cmaes

import (
	"fmt"
	"math"

	"automl/search"
)

// Options are the sampler's settings, named after Optuna's CmaEsSampler
// where it has them. Start from DefaultOptions.
type Options struct {
	// Sigma0 is the initial step size in the unit cube (0: 1/6, Optuna's
	// min(range)/6 over a cube whose every range is 1).
	Sigma0 float64
	// Popsize is the first run's population λ (0: 4 + ⌊3 ln n⌋ for n
	// coordinates).
	Popsize int
	// Restart is "ipop" (a run that stops, by the cmaes package's
	// criteria, restarts from a random mean with twice the population) or
	// "none" (it goes on).
	Restart string
	// NStartupTrials: the first so many trials the study proposes are
	// drawn by the independent sampler and belong to no generation.
	// Optuna counts finished trials instead, which a replay cannot know
	// (which had finished when a trial was proposed); with one slot the
	// two agree.
	NStartupTrials int
	// WithMargin keeps every discrete coordinate from freezing (margin.go).
	WithMargin bool
	// Independent names the sampler of the parameters CMA-ES does not
	// model (categorical and conditional ones): "random" or "tpe".
	Independent string
	// X0 is the first run's mean (nil: the centre of the cube, or the best
	// imported result when the study starts with some). Go callers only:
	// the space file has no mapping options.
	X0 search.Point
	// Seed makes the draws of each trial (and each restart's mean).
	Seed uint64
}

// DefaultOptions are Optuna 3.1's CmaEsSampler defaults, with margin
// (Optuna's with_margin=True) and IPOP restarts (restart_strategy="ipop").
func DefaultOptions() Options {
	return Options{Restart: "ipop", NStartupTrials: 1, WithMargin: true, Independent: "random"}
}

// Option keys of the `algorithm:` section.
const (
	KeySigma0      = "sigma0"
	KeyPopsize     = "popsize"
	KeyRestart     = "restart"
	KeyStartup     = "n_startup_trials"
	KeyMargin      = "with_margin"
	KeyIndependent = "independent_sampler"
)

var optionSpecs = map[string]search.Option{
	KeySigma0:      {Kind: search.OptFloat, Min: new(0.0), Doc: "initial step size in the unit cube, in (0, 1] (default 1/6)"},
	KeyPopsize:     {Kind: search.OptInt, Min: new(2.0), Doc: "population of the first run (default 4 + floor(3 ln n) for n numeric parameters)"},
	KeyRestart:     {Kind: search.OptString, Choices: []string{"ipop", "none"}, Doc: "ipop: restart with twice the population when a run stops (default); none"},
	KeyStartup:     {Kind: search.OptInt, Min: new(0.0), Doc: "first trials drawn by the independent sampler (default 1)"},
	KeyMargin:      {Kind: search.OptBool, Doc: "keep int and stepped parameters from freezing on one value (default true)"},
	KeyIndependent: {Kind: search.OptString, Choices: []string{"random", "tpe"}, Doc: "sampler of categorical and conditional parameters: random (default) or tpe"},
}

// OptionsFrom reads a study's algorithm settings over the defaults. A bad
// value is a *search.OptionError naming its key (the space file places it
// there).
func OptionsFrom(_ *search.Space, set search.Settings) (Options, error) {
	o := DefaultOptions()
	o.Seed = set.Seed
	for k, v := range set.Options {
		var ok bool
		switch k {
		case KeySigma0:
			o.Sigma0, ok = v.Float()
		case KeyPopsize:
			var n int64
			n, ok = v.Int()
			o.Popsize = int(n)
		case KeyRestart:
			o.Restart, ok = v.Str()
		case KeyStartup:
			var n int64
			n, ok = v.Int()
			o.NStartupTrials = int(n)
		case KeyMargin:
			o.WithMargin, ok = v.BoolVal()
		case KeyIndependent:
			o.Independent, ok = v.Str()
		default:
			return o, &search.OptionError{Key: k, Msg: "unknown option of cmaes"}
		}
		if !ok {
			return o, &search.OptionError{Key: k, Msg: fmt.Sprintf("unexpected value %v", v)}
		}
	}
	return o, o.Check()
}

// Check reports settings that cannot work, as a *search.OptionError.
func (o Options) Check() error {
	bad := func(key, format string, args ...any) error {
		return &search.OptionError{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case o.Sigma0 < 0 || o.Sigma0 > 1 || math.IsNaN(o.Sigma0):
		return bad(KeySigma0, "must be in (0, 1] (a share of each parameter's range), got %v", o.Sigma0)
	case o.Popsize == 1 || o.Popsize < 0:
		return bad(KeyPopsize, "must be >= 2, got %d", o.Popsize)
	case o.Restart != "ipop" && o.Restart != "none":
		return bad(KeyRestart, "must be ipop or none, got %q", o.Restart)
	case o.NStartupTrials < 0:
		return bad(KeyStartup, "must be >= 0, got %d", o.NStartupTrials)
	case o.Independent != "random" && o.Independent != "tpe":
		return bad(KeyIndependent, "must be random or tpe, got %q", o.Independent)
	}
	return nil
}

// checked is OptionsFrom with sigma0: 0 refused: the option's Min lets 0
// through, and the zero value means "default" only to Go callers.
func checked(space *search.Space, set search.Settings) (Options, error) {
	o, err := OptionsFrom(space, set)
	if err != nil {
		return o, err
	}
	if v, ok := set.Options[KeySigma0]; ok {
		if x, _ := v.Float(); x <= 0 {
			return o, &search.OptionError{Key: KeySigma0, Msg: fmt.Sprintf("must be in (0, 1] (a share of each parameter's range), got %v", x)}
		}
	}
	return o, nil
}
