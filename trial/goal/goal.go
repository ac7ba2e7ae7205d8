// Package goal is what a study asks of its trials beyond one number: its
// objectives (one, or several for a multi-objective study) and its
// constraints on reported metrics. It turns a completed trial's metrics
// into a loss vector and a total constraint violation, and ranks trials
// by them with search/pareto: feasible trials first, by Pareto rank (by
// loss for one objective), then infeasible ones by total violation.
package goal

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"automl/trial"
)

// Constraint bounds one reported metric: at most Max or at least Min
// (exactly one is set, and finite). A trial is feasible when every
// constraint of its study holds.
type Constraint struct {
	Metric string   `json:"metric"`
	Max    *float64 `json:"max,omitempty"`
	Min    *float64 `json:"min,omitempty"`
}

// String writes the constraint as a bound: "latency_ms <= 5".
func (c Constraint) String() string {
	if c.Max != nil {
		return c.Metric + " <= " + strconv.FormatFloat(*c.Max, 'g', -1, 64)
	}
	if c.Min != nil {
		return c.Metric + " >= " + strconv.FormatFloat(*c.Min, 'g', -1, 64)
	}
	return c.Metric
}

// Excess is how far v is beyond the bound: 0 when the constraint holds.
func (c Constraint) Excess(v float64) float64 {
	switch {
	case c.Max != nil && v > *c.Max:
		return v - *c.Max
	case c.Min != nil && v < *c.Min:
		return *c.Min - v
	}
	return 0
}

// Set is a study's objectives (at least one) and constraints (maybe none).
type Set struct {
	Objectives  []trial.Objective `json:"objectives"`
	Constraints []Constraint      `json:"constraints,omitempty"`
}

// Of is the set of a study's objectives (several, else its one) and
// constraints.
func Of(one trial.Objective, several []trial.Objective, cons []Constraint) Set {
	if len(several) == 0 {
		several = []trial.Objective{one}
	}
	return Set{Objectives: several, Constraints: cons}
}

// Multi reports whether the study has several objectives.
func (s Set) Multi() bool { return len(s.Objectives) > 1 }

// Constrained reports whether the study has constraints.
func (s Set) Constrained() bool { return len(s.Constraints) > 0 }

// Losses is the objectives' values among metrics turned into losses
// (lower is better, see trial.Objective.Loss), in the objectives' order.
// When one is missing or not a finite number, ok is false and missing
// names its metric.
func (s Set) Losses(m trial.Metrics) (losses []float64, missing string, ok bool) {
	losses = make([]float64, len(s.Objectives))
	for i, o := range s.Objectives {
		v, ok := o.Value(m)
		if !ok {
			return nil, o.Metric, false
		}
		losses[i] = o.Loss(v)
	}
	return losses, "", true
}

// Violation is the total violation of the constraints by metrics: the sum
// of how far each bound is exceeded, 0 when the trial is feasible. A
// constraint whose metric was not reported (or is not a finite number)
// makes the trial infeasible with an infinite violation; why then says
// which, for the trial's note ("" otherwise).
func (s Set) Violation(m trial.Metrics) (total float64, why string) {
	var missing []string
	for _, c := range s.Constraints {
		v, ok := m[c.Metric]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			missing = append(missing, c.Metric)
			continue
		}
		total += c.Excess(v)
	}
	if len(missing) > 0 {
		return math.Inf(1), fmt.Sprintf("infeasible: constraint metric %s not reported", quoteAll(missing))
	}
	return total, ""
}

// Slack is how far v is inside the bound: the bound minus v for a max,
// v minus the bound for a min; negative outside it.
func (c Constraint) Slack(v float64) float64 {
	if c.Max != nil {
		return *c.Max - v
	}
	if c.Min != nil {
		return v - *c.Min
	}
	return 0
}

// Slacks is each constraint's slack (Constraint.Slack) among metrics, in
// the constraints' order, NaN for a metric not reported or not a finite
// number; nil without constraints.
func (s Set) Slacks(m trial.Metrics) []float64 {
	if len(s.Constraints) == 0 {
		return nil
	}
	out := make([]float64, len(s.Constraints))
	for i, c := range s.Constraints {
		v, ok := m[c.Metric]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			out[i] = math.NaN()
			continue
		}
		out[i] = c.Slack(v)
	}
	return out
}

// Feasible reports whether a violation is that of a feasible trial.
func Feasible(violation float64) bool { return violation <= 0 }

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
