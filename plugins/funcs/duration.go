package funcs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"automl/trial"
)

// Duration draws each trial's simulated training time from a log-normal
// distribution: median x exp(sigma x z), z standard normal, seeded by the
// trial's seed and id, so a trial (and each of its attempts) always takes
// the same time and a study's sequence of durations is reproducible. The
// config form is `duration: {median: 1s, sigma: 0.5}`.
type Duration struct {
	Median time.Duration
	Sigma  float64
}

// durationStream keeps the duration draw apart from the noise draw (both
// are seeded by the trial), so adding `duration` leaves a study's noisy
// values as they were.
const durationStream = 0x6475726174696f6e // "duration"

// Draw is the trial's duration.
func (d Duration) Draw(spec trial.Spec) time.Duration {
	rng := rand.New(rand.NewPCG(spec.Seed^durationStream, uint64(spec.Key.ID)))
	return time.Duration(float64(d.Median) * math.Exp(d.Sigma*rng.NormFloat64()))
}

func parseDuration(v any) (*Duration, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("duration: want {median: 1s, sigma: 0.5} (a log-normal trial time), got %v", v)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := &Duration{Sigma: -1}
	for _, k := range keys {
		switch k {
		case "median":
			s, _ := m[k].(string)
			x, err := time.ParseDuration(s)
			if err != nil || x <= 0 {
				return nil, fmt.Errorf("duration: median: want a duration > 0 such as 1s, got %v", m[k])
			}
			d.Median = x
		case "sigma":
			x, ok := number(m[k])
			if !ok || x < 0 || x > 5 {
				return nil, fmt.Errorf("duration: sigma: want a number in [0, 5] (the log-normal's shape; 0: every trial takes the median), got %v", m[k])
			}
			d.Sigma = x
		default:
			return nil, fmt.Errorf("duration: %s: unknown key; duration takes median, sigma", k)
		}
	}
	var missing []string
	if d.Median == 0 {
		missing = append(missing, "median")
	}
	if d.Sigma < 0 {
		missing = append(missing, "sigma")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("duration: missing %s; e.g. {median: 1s, sigma: 0.5}", strings.Join(missing, " and "))
	}
	return d, nil
}

// trialSleep is the wall time the trial takes: the fixed sleep, or its
// draw from duration.
func (c Config) trialSleep(spec trial.Spec) time.Duration {
	if c.Duration != nil {
		return c.Duration.Draw(spec)
	}
	return c.Sleep
}
