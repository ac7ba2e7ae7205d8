package scheduler

import (
	"time"

	"automl/trial"
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

// Progress is the stored study's progress, as Run reports it.
func (st StudyState) Progress() Progress {
	counts := map[trial.State]int{}
	var best *trial.Record
	for i := range st.Trials {
		r := &st.Trials[i]
		counts[r.State]++
		if isBetter(st.Study.Objective, r, best) {
			best = r
		}
	}
	return newProgress(st.Study, counts, len(st.Trials), best, st.Study.Elapsed)
}

func newProgress(study *Study, c map[trial.State]int, created int, best *trial.Record, elapsed time.Duration) Progress {
	p := Progress{
		Study: study.Name, Created: created, Budget: study.Trials,
		Completed: c[trial.Completed], Failed: c[trial.Failed],
		Pruned: c[trial.Pruned] + c[trial.Stopped], Paused: c[trial.Paused],
		Running: c[trial.Running], Queued: c[trial.Pending], Elapsed: elapsed,
	}
	if best != nil {
		p.Best, p.BestID, p.HasBest = best.Value, best.ID, true
	}
	return p
}

// isBetter reports whether rec is a better best trial than best (nil:
// none yet): a trial completed at the full budget, with a value, better
// than best's (ties keep the lower id). Trials that ended at a lower rung
// of a multi-fidelity study are never the best, as on the leaderboard.
func isBetter(obj trial.Objective, rec, best *trial.Record) bool {
	if rec.State != trial.Completed || !rec.HasValue || rec.Pause {
		return false
	}
	if best == nil || obj.Better(rec.Value, best.Value) {
		return true
	}
	return rec.Value == best.Value && rec.ID < best.ID
}
