package scheduler

import (
	"testing"
	"time"

	"automl/internal/slotload"
	"automl/search"
	"automl/trial"
	"automl/trial/goal"
)

// noFailureBudget keeps the failure budgets out of the way of the jobs in
// flight (failureRoom), for tests of the other bounds.
var noFailureBudget = newFailures(1<<30, 0)

// seenBusy is a load that has seen n slots busy over the last second.
func seenBusy(n int) slotload.Load {
	var l slotload.Load
	t0 := time.Unix(1000, 0)
	l.Roll(t0)
	for range n {
		l.Ended(slotload.Window)
	}
	l.Roll(t0.Add(slotload.Window))
	return l
}

// Jobs in flight are bounded by twice the slots seen busy (rampFloor at
// least), whatever Slots and Queue say: a study told of 4096 slots that
// two slots run keeps a backlog for two.
func TestJobsRampWithTheSlotsSeen(t *testing.T) {
	for _, c := range []struct {
		name                                 string
		slots, queue, seen, pending, running int
		want                                 int
	}{
		{"nothing seen yet", MaxSlots, MaxSlots, 0, 0, 0, rampFloor},
		{"two slots busy, backlog full", MaxSlots, MaxSlots, 0, rampFloor - 2, 2, 0},
		{"two slots busy, half the backlog taken", MaxSlots, MaxSlots, 0, rampFloor/2 - 2, 2, rampFloor / 2},
		{"short trials on two slots", MaxSlots, MaxSlots, 2, rampFloor - 2, 0, 0},
		{"a fleet of 1000 seen", MaxSlots, MaxSlots, 0, 0, 1000, 1000},
		{"1000 seen, 3000 told", 3000, 0, 1000, 0, 0, 2000},
		{"the slots told bound it", 2, 32, 1000, 0, 2, 32},
		{"no queue: a free slot", 4, 0, 0, 3, 0, 1},
	} {
		l := newLedger("s", "", &search.Space{}, goal.Of(trial.Objective{}, nil, nil), trial.Retry{}, "epochs")
		for i := range c.pending + c.running {
			l.inFlight[i] = true
		}
		l.counts[trial.Pending], l.counts[trial.Running] = c.pending, c.running
		s := &Scheduler{cfg: Config{Slots: c.slots, Queue: c.queue}, ledger: l, load: seenBusy(c.seen), fails: noFailureBudget}
		if got := s.jobs(); got != c.want {
			t.Errorf("%s: %d jobs, want %d", c.name, got, c.want)
		}
		if n := len(l.inFlight) + s.jobs(); n > max(rampFloor, 2*max(c.seen, c.running)) {
			t.Errorf("%s: %d in flight, more than twice the %d slots seen", c.name, n, max(c.seen, c.running))
		}
	}
}

// A lead (gp's trials suggested ahead) is kept beyond the slots even where
// the failures allowed bound the jobs to the slots, and refilled a trial
// per exit, never in halves.
func TestJobsKeepTheLead(t *testing.T) {
	for _, c := range []struct {
		maxFailed, inFlight, want int
	}{
		{10, 32, 4},
		{10, 35, 1}, // one freed slot took a trial of the lead: refilled at once
		{10, 36, 0},
		{1 << 30, 35, 1},
		{1 << 30, 20, 16},
	} {
		l := newLedger("s", "", &search.Space{}, goal.Of(trial.Objective{}, nil, nil), trial.Retry{}, "epochs")
		for i := range c.inFlight {
			l.inFlight[i] = true
		}
		l.counts[trial.Running] = min(c.inFlight, 32)
		s := &Scheduler{cfg: Config{Slots: 32, Lead: 4}, ledger: l, load: seenBusy(32), fails: newFailures(c.maxFailed, 0)}
		if got := s.jobs(); got != c.want {
			t.Errorf("max_failed %d, %d in flight on 32 slots and a lead of 4: %d jobs, want %d", c.maxFailed, c.inFlight, got, c.want)
		}
	}
}
