package auto

import (
	"fmt"

	"automl/search"
)

// Options are the auto sampler's settings. Start from DefaultOptions.
type Options struct {
	// SwitchAfter: a numeric study of one objective goes from gp to cmaes
	// once this many of its own trials have completed.
	SwitchAfter int
	// Seed is the study's seed (gp's Sobol design, cmaes's draws).
	Seed uint64
}

// DefaultSwitchAfter is switch_after's default (README: the measurement).
const DefaultSwitchAfter = 300

// DefaultOptions are the defaults.
func DefaultOptions() Options { return Options{SwitchAfter: DefaultSwitchAfter} }

// KeySwitchAfter is the option's key in the `algorithm:` section.
const KeySwitchAfter = "switch_after"

var optionSpecs = map[string]search.Option{
	KeySwitchAfter: {Kind: search.OptInt, Min: new(1.0), Doc: fmt.Sprintf("completed trials after which a numeric study of one objective goes from gp to cmaes (default %d)", DefaultSwitchAfter)},
}

// OptionsFrom reads a study's algorithm settings over the defaults. A bad
// value is a *search.OptionError naming its key.
func OptionsFrom(_ *search.Space, set search.Settings) (Options, error) {
	o := DefaultOptions()
	o.Seed = set.Seed
	for k, v := range set.Options {
		switch k {
		case KeySwitchAfter:
			n, ok := v.Int()
			if !ok {
				return o, &search.OptionError{Key: k, Msg: fmt.Sprintf("unexpected value %v", v)}
			}
			o.SwitchAfter = int(n)
		default:
			return o, &search.OptionError{Key: k, Msg: "unknown option of auto"}
		}
	}
	return o, o.Check()
}

// Check reports settings that cannot work, as a *search.OptionError.
func (o Options) Check() error {
	if o.SwitchAfter < 1 {
		return &search.OptionError{Key: KeySwitchAfter, Msg: fmt.Sprintf("must be >= 1, got %d", o.SwitchAfter)}
	}
	return nil
}
