// Package mlprun is what the bench tools that train the mlp trainer
// directly (bench/mlp/quality, bench/models/ablate) share: repeatable
// key=value flags, values typed as a space file would type them, a
// reporter that lets every epoch run, and the median of their results.
package mlprun

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"automl/search/median"
	"automl/trial"
)

// ListFlag is a repeatable string flag.
type ListFlag []string

func (l *ListFlag) String() string     { return strings.Join(*l, ",") }
func (l *ListFlag) Set(s string) error { *l = append(*l, s); return nil }

// NopReporter takes every report and never stops the training.
type NopReporter struct{}

func (NopReporter) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

// Value types a flag's value for a trainer config: an int, else a float,
// else a bool, else the string.
func Value(v string) any {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v
}

// Median of the values in any order (a sorted copy; even counts average
// the middle pair).
func Median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return median.Median(s)
}
