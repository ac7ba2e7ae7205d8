package scheduler

import (
	"math"
	"time"
)

// Progress is a study's state for progress displays: trial counts by
// state, the best trial, the time used.
type Progress struct {
	Study                                      string
	Created, Budget                            int
	Completed, Failed, Pruned, Stopped, Paused int
	Running, Queued                            int
	Best                                       float64
	BestID                                     int
	HasBest                                    bool
	Front                                      int // the front's size, for several objectives (no best)
	Elapsed                                    time.Duration
	Draining                                   bool
	CountFailed                                bool // budget.count_failed
}

// Finished is the number of trials that reached a terminal state and
// count against the trial budget: failed ones only with CountFailed (else
// other trials take their place).
func (p Progress) Finished() int {
	if p.CountFailed {
		return p.Completed + p.Failed + p.Pruned + p.Stopped
	}
	return p.Completed + p.Pruned + p.Stopped
}

// ETA estimates the time left from the pace so far (trial budget only).
func (p Progress) ETA() (time.Duration, bool) {
	done := p.Finished()
	if p.Budget <= 0 || done == 0 || done >= p.Budget {
		return 0, false
	}
	// In floating point: a pace of seconds a trial times a billion trials
	// left overflows a Duration (292 years).
	eta := float64(p.Elapsed) / float64(done) * float64(p.Budget-done)
	if eta >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(eta), true
}
