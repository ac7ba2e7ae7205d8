package mlp

import "math"

// early is the early-stopping state: the best monitored value, when it
// was reached and how many epochs have passed without improving on it.
// Fields are exported for the checkpoint.
type early struct {
	On        bool
	Monitor   string
	Higher    bool
	Patience  int
	MinDelta  float64
	Best      float64
	BestEpoch int
	Bad       int
}

func newEarly(s *Settings, hasVal bool) early {
	on := s.Patience > 0 && hasVal
	return early{On: on, Monitor: s.Monitor, Higher: higherIsBetter(s.Monitor), Patience: s.Patience, MinDelta: s.MinDelta, Best: math.NaN()}
}

// observe records an epoch's value and reports whether it is a new best
// and whether patience ran out.
func (e *early) observe(epoch int, v float64) (improved, stop bool) {
	if !e.On || math.IsNaN(v) {
		return false, false
	}
	better := math.IsNaN(e.Best)
	if !better {
		if e.Higher {
			better = v > e.Best+e.MinDelta
		} else {
			better = v < e.Best-e.MinDelta
		}
	}
	if better {
		e.Best, e.BestEpoch, e.Bad = v, epoch, 0
		return true, false
	}
	e.Bad++
	return false, e.Bad >= e.Patience
}
