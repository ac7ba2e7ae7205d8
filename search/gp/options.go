package gp

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"automl/search"
)

// Options are the GP sampler's settings. Zero values mean "automatic".
type Options struct {
	// NInit is the size of the initial Sobol design (0: max(5, 2 × parameters)).
	NInit int
	// NCandidates is the number of points (half Sobol, half near the best
	// trials) on which the acquisition is evaluated before local refinement
	// (0: min(4000, max(1000, 100 × parameters)), fewer when the data is
	// large, as each costs O(n²)).
	NCandidates int
	// RefitEvery: hyperparameters are fitted to the first k⌊n/k⌋
	// observations, so they change every k trials and are cached in between
	// (0: k = max(1, n/20), i.e. every trial up to 40 observations, every
	// 5 at 100, every 50 at 1,000).
	RefitEvery int
	// FitMax caps the observations the hyperparameters are fitted on
	// (0: 160); MaxObservations caps those the posterior conditions on (0:
	// 1,000). Beyond a cap the best half by loss and an even spread of the
	// rest are kept.
	FitMax          int
	MaxObservations int
	// Warp is the output transform: "auto" (default: whichever of the
	// others explains the losses best), "standard", "sqrt", "fourth" or "log"
	// (Box-Cox with λ = 1, 1/2, 1/4, 0; see warp.go).
	Warp string
	// Batch is how a point is chosen while other trials are pending:
	// "thompson" (default: the minimiser of one joint draw from the
	// posterior, pending trials fantasised at their mean; see thompson.go)
	// or "believer" (log EI with the pending trials fantasised at their
	// mean, the Kriging believer). Without pending trials it is log EI;
	// with constraints it is always log EI times the probability of
	// feasibility.
	Batch string
	// Seed scrambles the initial Sobol design (the study's seed).
	Seed uint64
}

func (o Options) withDefaults(dim, n int) Options {
	if o.NInit == 0 {
		o.NInit = max(5, 2*dim)
	}
	if o.NCandidates == 0 {
		o.NCandidates = min(4000, max(1000, 100*dim))
	}
	if o.RefitEvery == 0 {
		o.RefitEvery = max(1, n/20)
	}
	if o.FitMax == 0 {
		o.FitMax = 160
	}
	if o.MaxObservations == 0 {
		o.MaxObservations = 1000
	}
	if o.Warp == "" {
		o.Warp = "auto"
	}
	if o.Batch == "" {
		o.Batch = "thompson"
	}
	return o
}

var optionSpecs = map[string]search.Option{
	"n_init":           {Kind: search.OptInt, Min: new(1.0), Doc: "initial Sobol design size (default max(5, 2 x parameters))"},
	"n_candidates":     {Kind: search.OptInt, Min: new(16.0), Doc: "acquisition candidates per suggestion (default min(4000, max(1000, 100 x parameters)))"},
	"refit_every":      {Kind: search.OptInt, Min: new(1.0), Doc: "refit hyperparameters every k trials (default max(1, n/20))"},
	"fit_max":          {Kind: search.OptInt, Min: new(10.0), Doc: "observations the hyperparameters are fitted on, at most (default 160)"},
	"max_observations": {Kind: search.OptInt, Min: new(10.0), Doc: "observations the model conditions on, at most (default 1000)"},
	"warp":             {Kind: search.OptString, Choices: warpChoices(), Doc: "output transform: auto, standard, sqrt, fourth or log (default auto)"},
	"lead":             {Kind: search.OptInt, Min: new(0.0), Doc: "trials suggested ahead of the free slots, so a freed slot takes one while the next is computed (at most 4096; default 1 from 4 slots on while runs last under 10 s, none below; set here, it applies to runs of any length; 0: none)"},
	"batch":            {Kind: search.OptString, Choices: batchChoices, Doc: "the choice while other trials are pending: thompson (a posterior draw's minimiser) or believer (log EI, pending trials fantasised at their mean) (default thompson)"},
}

var batchChoices = []string{"believer", "thompson"}

func warpChoices() []string {
	out := make([]string, 0, len(warpNames))
	for k := range warpNames {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OptionsFrom reads a study's algorithm settings.
func OptionsFrom(_ *search.Space, set search.Settings) (Options, error) {
	o := Options{Seed: set.Seed}
	for k, v := range set.Options {
		n, isInt := v.Int()
		switch k {
		case "n_init":
			o.NInit = int(n)
		case "n_candidates":
			o.NCandidates = int(n)
		case "refit_every":
			o.RefitEvery = int(n)
		case "fit_max":
			o.FitMax = int(n)
		case "max_observations":
			o.MaxObservations = int(n)
		case "lead": // read by the scheduler (scheduler.DefaultLead)
			if n > 4096 {
				return o, fmt.Errorf("gp: lead must be 0 to 4096, got %d", n)
			}
		case "warp":
			str, _ := v.Str()
			o.Warp, isInt = str, true
		case "batch":
			str, _ := v.Str()
			o.Batch, isInt = str, true
		default:
			return o, fmt.Errorf("gp: unknown option %q", k)
		}
		if !isInt {
			return o, fmt.Errorf("gp: option %s: unexpected value %v", k, v)
		}
	}
	return o, o.Check()
}

// Check reports settings that cannot work.
func (o Options) Check() error {
	switch {
	case o.NInit < 0:
		return fmt.Errorf("gp: n_init must be >= 1, got %d", o.NInit)
	case o.NCandidates < 0 || o.NCandidates > 0 && o.NCandidates < 16:
		return fmt.Errorf("gp: n_candidates must be >= 16, got %d", o.NCandidates)
	case o.RefitEvery < 0:
		return fmt.Errorf("gp: refit_every must be >= 1, got %d", o.RefitEvery)
	case o.FitMax < 0 || o.FitMax > 0 && o.FitMax < 10:
		return fmt.Errorf("gp: fit_max must be >= 10, got %d", o.FitMax)
	case o.MaxObservations < 0 || o.MaxObservations > 0 && o.MaxObservations < 10:
		return fmt.Errorf("gp: max_observations must be >= 10, got %d", o.MaxObservations)
	}
	if o.Batch != "" && !slices.Contains(batchChoices, o.Batch) {
		return fmt.Errorf("gp: batch must be one of %s, got %q", strings.Join(batchChoices, ", "), o.Batch)
	}
	if _, ok := warpNames[o.Warp]; o.Warp != "" && !ok {
		return fmt.Errorf("gp: warp must be one of %s, got %q", strings.Join(warpChoices(), ", "), o.Warp)
	}
	return nil
}
