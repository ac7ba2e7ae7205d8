package scheduler

import (
	"testing"

	"automl/search"
	"automl/trial"
)

// The queue is refilled in halves, counting pending and running jobs
// together: a worker may report a short trial's start only with its end,
// so trials seen pending may all be running, and a rule on pending alone
// would leave slots idle until the queue ran nearly dry.
func TestJobsRefillInHalves(t *testing.T) {
	for _, c := range []struct {
		slots, queue, pending, running, want int
	}{
		{64, 64, 0, 0, 128},
		{64, 64, 128, 0, 0},  // all seen pending (their start not yet reported)
		{64, 64, 97, 0, 0},   // 31 free: less than half the queue
		{64, 64, 96, 0, 32},  // half the queue free: refill
		{64, 64, 64, 32, 32}, // the same, some seen running
		{64, 64, 0, 64, 64},
		{4, 0, 3, 0, 1}, // no queue: every free slot
		{4, 1, 4, 0, 1},
		{4, 1, 5, 0, 0},
	} {
		l := newLedger("s", &search.Space{}, trial.Objective{}, trial.Retry{}, "epochs")
		for i := range c.pending + c.running {
			l.inFlight[i] = true
		}
		l.counts[trial.Pending], l.counts[trial.Running] = c.pending, c.running
		s := &Scheduler{cfg: Config{Slots: c.slots, Queue: c.queue}, ledger: l}
		if got := s.jobs(); got != c.want {
			t.Errorf("slots %d queue %d pending %d running %d: %d jobs, want %d", c.slots, c.queue, c.pending, c.running, got, c.want)
		}
	}
}
