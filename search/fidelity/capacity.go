package fidelity

import "automl/search"

// Capacity is what a searcher may start in one call.
type Capacity struct {
	// Jobs is how many jobs of any kind (new trials and promotions of
	// paused ones) fit now: the free worker slots.
	Jobs int
	// New is how many of them may be new trials (the trial budget left);
	// New <= Jobs.
	New int
}

// CapacityOf reads a searcher call's capacity from its Context: Jobs are
// the free slots (within the resource budget), New the trial budget left.
// A Context built without Jobs (tests, older callers) gives Jobs = Want.
func CapacityOf(c search.Context) Capacity {
	return Capacity{Jobs: max(c.Jobs, c.Want), New: c.Want}
}

// Exhausted says no new trial may start although jobs can: the trial
// budget is used, so the searcher should finish what it started.
func (k Capacity) Exhausted() bool { return k.New <= 0 && k.Jobs > 0 }

// Stepper is a searcher whose calls can be given their capacity
// explicitly. Its Start, Observe and Next are Step with CapacityOf(c) (ev
// is nil for Start and Next); simulations and a scheduler that knows the
// free slots and the trial budget apart call Step directly.
type Stepper interface {
	search.Searcher
	Step(c search.Context, k Capacity, ev *search.Event) ([]search.Action, error)
}
