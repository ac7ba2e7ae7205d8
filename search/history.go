package search

// Status is what search code knows of a trial: enough to model it.
type Status uint8

const (
	// Pending: created and not finished (queued or running). Samplers must
	// treat pending points as taken, so free slots never get copies of one point.
	Pending Status = iota + 1
	// Complete: finished with an objective value.
	Complete
	// Pruned: stopped early by a searcher; Loss holds its last intermediate value if any.
	Pruned
	// Failed: ended without a usable value.
	Failed
)

func (s Status) String() string {
	switch s {
	case Pending:
		return "pending"
	case Complete:
		return "complete"
	case Pruned:
		return "pruned"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Observation is one trial as samplers see it.
type Observation struct {
	ID     int
	Point  Point
	Status Status
	// Loss is the objective turned into a loss (lower is better, see
	// Objective.Loss); valid when HasLoss.
	Loss    float64
	HasLoss bool
	// Losses are every objective of the study as losses, in the space
	// file's order (the first is Loss), and Violation the trial's total
	// constraint violation (0: feasible): set with HasLoss when every
	// objective was reported (nil otherwise). Samplers of one objective
	// read Loss; those of several (later) and constraint-aware ones these.
	Losses    []float64
	Violation float64
	// Slacks are each constraint's slack, in the space file's order, set
	// with Losses: how far its metric is inside its bound (max - value, or
	// value - min), negative by how far it is outside, NaN when the metric
	// was not reported. Samplers that model each constraint read them.
	Slacks []float64
	// Resource is how far the trial trained (the fidelity of Loss).
	Resource float64
	// Curve is the trial's learning curve: the objective (as a loss) at
	// each reported step, in report order.
	Curve []CurvePoint
	// Imported marks a result the study did not propose: brought in from
	// another study or an export (warm start). It is Complete with a loss,
	// never pending, and no event ever names it; Resource is how far it
	// was trained (0: unknown, taken as the full budget). Searchers learn
	// from it as from their own trials where they model results, and
	// never stop or continue it.
	Imported bool
}

// CurvePoint is one intermediate value of a learning curve.
type CurvePoint struct {
	Step, Loss float64
}

// History is every trial of a study, in creation order, including pending
// ones. Samplers read it and never modify it; the scheduler owns it.
type History struct {
	Trials []Observation
	byID   map[int]int
	// imported counts the imported trials among the first scanned ones
	// (Proposed counts on from there: trials are appended, or cut back).
	imported, scanned int
}

// Len is the number of trials created so far.
func (h *History) Len() int {
	if h == nil {
		return 0
	}
	return len(h.Trials)
}

// Proposed is the number of trials the study proposed itself: every trial
// but the imported ones. Sequence samplers (Sobol, grid) index by it, so
// imported results neither skip points nor use up a grid.
func (h *History) Proposed() int {
	if h == nil {
		return 0
	}
	if h.scanned > len(h.Trials) { // cut back (SampleN's pending points): count again
		h.imported, h.scanned = 0, 0
	}
	for ; h.scanned < len(h.Trials); h.scanned++ {
		if h.Trials[h.scanned].Imported {
			h.imported++
		}
	}
	return len(h.Trials) - h.imported
}

// Add appends a trial.
func (h *History) Add(o Observation) {
	if h.byID == nil {
		h.byID = make(map[int]int)
	}
	h.byID[o.ID] = len(h.Trials)
	h.Trials = append(h.Trials, o)
}

// Get returns the trial with the given id.
func (h *History) Get(id int) (*Observation, bool) {
	if h == nil {
		return nil, false
	}
	if h.byID == nil || len(h.byID) != len(h.Trials) {
		h.reindex()
	}
	i, ok := h.byID[id]
	if !ok {
		return nil, false
	}
	return &h.Trials[i], true
}

func (h *History) reindex() {
	h.byID = make(map[int]int, len(h.Trials))
	for i, o := range h.Trials {
		h.byID[o.ID] = i
	}
}

// WithPending returns a view of h with extra pending points appended, for
// samplers that propose several points in one call. h itself is unchanged.
func (h *History) WithPending(points ...Point) *History {
	n := h.Len()
	out := &History{Trials: make([]Observation, n, n+len(points))}
	if n > 0 {
		copy(out.Trials, h.Trials)
	}
	for i, p := range points {
		out.Trials = append(out.Trials, Observation{ID: -1 - i, Point: p, Status: Pending})
	}
	return out
}

// Completed returns the trials with a loss, for model fitting.
func (h *History) Completed() []Observation {
	var out []Observation
	if h == nil {
		return out
	}
	for _, o := range h.Trials {
		if o.Status == Complete && o.HasLoss {
			out = append(out, o)
		}
	}
	return out
}

// Best returns the complete trial with the lowest loss.
func (h *History) Best() (Observation, bool) {
	var best Observation
	found := false
	if h == nil {
		return best, false
	}
	for _, o := range h.Trials {
		if o.Status == Complete && o.HasLoss && (!found || o.Loss < best.Loss) {
			best, found = o, true
		}
	}
	return best, found
}
