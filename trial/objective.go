package trial

import (
	"fmt"
	"math"
)

// Direction says whether an objective is minimised or maximised.
type Direction uint8

const (
	Minimize Direction = iota + 1
	Maximize
)

func (d Direction) String() string {
	if d == Maximize {
		return "maximize"
	}
	return "minimize"
}

// parseDirection reads "minimize" or "maximize" (Direction's
// UnmarshalText for callers outside).
func parseDirection(s string) (Direction, error) {
	switch s {
	case "minimize":
		return Minimize, nil
	case "maximize":
		return Maximize, nil
	}
	return 0, fmt.Errorf("direction must be minimize or maximize, got %q", s)
}

func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Direction) UnmarshalText(b []byte) error {
	v, err := parseDirection(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Objective names the metric a study optimises and its direction. It is
// the one objective type: the space file's, a job's and a stored study's.
type Objective struct {
	Metric    string    `json:"metric"`
	Direction Direction `json:"direction"`
}

// Loss turns an objective value into a loss (lower is better), so search
// code never branches on the direction.
func (o Objective) Loss(v float64) float64 {
	if o.Direction == Maximize {
		return -v
	}
	return v
}

// Better reports whether value a beats value b under the objective.
func (o Objective) Better(a, b float64) bool { return o.Loss(a) < o.Loss(b) }

// Value is the objective's value among metrics, when it is there and a
// finite number (NaN and infinities are never a trial's value).
func (o Objective) Value(m Metrics) (float64, bool) {
	if v, ok := m[o.Metric]; ok && finite(v) {
		return v, true
	}
	return 0, false
}

// finite reports whether x is a number a metric may take: neither NaN nor
// an infinity.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
