package scheduler

import (
	"math"

	"automl/trial"
)

// MaxSlots bounds Config.Slots and Config.Queue. A study with 4,096 trials
// running at once is past any fleet one study is run on; a larger number
// is a typo (or 10^6, as in the report that made this limit), and every
// job in flight is a record held here and a message held by the queue.
const MaxSlots = 4096

// rampFloor is how many jobs may be in flight whatever the slots seen: a
// large machine's slots (64) and as many queued. Runs of microseconds are
// never seen busy, yet 64 slots of them need 128 jobs in flight for the
// scheduler to refill in batches (BenchmarkSimulated64: 10% fewer trials a
// second with 64).
const rampFloor = 128

// inFlightLimit bounds the jobs queued or running: what Config.Slots,
// Queue and Lead allow, and no more than twice the slots seen busy (rampFloor at
// least). Jobs are created as slots take them, never far ahead: a study
// told it has 4,096 slots and run by two keeps a backlog for two, and one
// that has them fills them within a few doublings.
func (s *Scheduler) inFlightLimit() int {
	ramp := max(rampFloor, int(math.Ceil(2*s.load.Busy(s.ledger.counts[trial.Running]))))
	return min(s.cfg.Slots+s.cfg.Queue+s.lead(), ramp)
}

// jobs is how many jobs of any kind (new trials, promotions) fit now: free
// slots (plus the queue) within the failures still allowed (failureRoom),
// none once the resource budget is spoken for.
func (s *Scheduler) jobs() int {
	if (s.searcherDone && len(s.study.Queue) == 0) || s.draining || s.failedStudy != "" || s.resourceSpent() {
		return 0
	}
	ramp, room := s.inFlightLimit(), s.failureRoom()
	limit := min(ramp, room)
	free := limit - len(s.ledger.inFlight)
	// The queue's share of the limit: all of it when the slots are
	// known, half of it while the limit ramps up with the slots seen.
	queue := min(s.cfg.Queue, max(limit-s.cfg.Slots-s.lead(), limit/2))
	if s.cfg.Queue > 0 && room >= ramp && free < (queue+1)/2 {
		// Refill the queue in halves, not a job per finished trial: the
		// workers still have queued jobs, and each refill is a commit.
		// Counted over pending and running together: a worker may report
		// a short trial's start only with its end (natsbus), so a trial
		// seen pending may well be running. Not when the failures allowed
		// bound the jobs (to the slots, at 32 slots and 100 trials): freed
		// slots would wait, idle, for half a queue that is not there.
		free = 0
	}
	return max(free, 0)
}

// want is how many new trials fit now: jobs within the trial budget.
func (s *Scheduler) want() int {
	free := s.jobs()
	if s.study.Trials > 0 {
		free = min(free, s.study.Trials-s.ledger.counted(s.budget.CountFailed))
	}
	return max(free, 0)
}

// lead is Config.Lead, none while runs are known to last LeadRuns or
// more (worker clocks: the same events give the same jobs).
func (s *Scheduler) lead() int {
	if s.cfg.LeadRuns > 0 && !s.load.RunsUnder(s.cfg.LeadRuns) {
		return 0
	}
	return s.cfg.Lead
}
