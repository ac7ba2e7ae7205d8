package scheduler

import (
	"testing"
	"time"

	"automl/search"
	"automl/trial"
	"automl/trial/goal"
)

// noFailureBudget keeps the failure budgets out of the way of the jobs in
// flight (failureRoom), for tests of the other bounds.
var noFailureBudget = newFailures(1<<30, 0)

// seenBusy is a load that has seen n slots busy over the last second.
func seenBusy(n int) load {
	t0 := time.Unix(1000, 0)
	return load{start: t0, now: t0, prev: time.Duration(n) * loadWindow, prevSpan: loadWindow}
}

// The slots seen busy are the running trials, or the run time of the
// attempts that ended lately over the time they ended in if more; a run
// counts for at most loadWindow, however long it ran.
func TestLoadSeesBusySlots(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var l load
	l.roll(t0)
	// Two slots run 10 ms trials back to back for two seconds, none of
	// them seen running (their start comes with their end).
	for ms := 10; ms <= 2000; ms += 10 {
		l.roll(t0.Add(time.Duration(ms) * time.Millisecond))
		l.ended(10 * time.Millisecond)
		l.ended(10 * time.Millisecond)
	}
	if b := l.busy(0); b < 1.9 || b > 2.1 {
		t.Errorf("two slots of short trials: %.2f busy, want 2", b)
	}
	// Seen running too (a dispatcher that reports starts at once): the
	// same slots, not twice as many.
	if b := l.busy(2); b < 1.9 || b > 2.1 {
		t.Errorf("two slots of short trials seen running: %.2f busy, want 2", b)
	}
	// A week-long trial that ends weighs one slot at most.
	l = load{}
	l.roll(t0)
	l.roll(t0.Add(1500 * time.Millisecond))
	l.ended(7 * 24 * time.Hour)
	if b := l.busy(0); b <= 0 || b > 1 {
		t.Errorf("one long trial ended: %.2f busy, want at most 1", b)
	}
	// Quiet for longer than two windows: only the running trials count.
	l.roll(t0.Add(5 * time.Second))
	l.roll(t0.Add(7 * time.Second))
	if b := l.busy(1); b != 1 {
		t.Errorf("after a quiet spell: %.2f busy, want the 1 running", b)
	}
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
