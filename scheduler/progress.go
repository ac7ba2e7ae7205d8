package scheduler

import (
	"time"
)

// Progress is a study's state for progress displays: trial counts by
// state (stopped trials count as pruned), the best trial, the time used.
type Progress struct {
	Study                             string
	Created, Budget                   int
	Completed, Failed, Pruned, Paused int
	Running, Queued                   int
	Best                              float64
	BestID                            int
	HasBest                           bool
	Elapsed                           time.Duration
	Draining                          bool
}

// Finished is the number of trials that reached a terminal state.
func (p Progress) Finished() int { return p.Completed + p.Failed + p.Pruned }

// ETA estimates the time left from the pace so far (trial budget only).
func (p Progress) ETA() (time.Duration, bool) {
	done := p.Finished()
	if p.Budget <= 0 || done == 0 || done >= p.Budget {
		return 0, false
	}
	per := p.Elapsed / time.Duration(done)
	return per * time.Duration(p.Budget-done), true
}
