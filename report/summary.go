package report

import (
	"time"

	"automl/scheduler"
	"automl/trial"
)

// States lists trial states in the order summaries show them.
var States = []trial.State{trial.Completed, trial.Running, trial.Pending, trial.Paused, trial.Pruned, trial.Stopped, trial.Failed}

// Summary is the study at a glance.
type Summary struct {
	Trials int
	Counts map[trial.State]int
	// Wall is the study's running time over all its runs (the scheduler's
	// account), or the span of its trials when that is unknown.
	Wall time.Duration
	// Busy is the wall time trials ran on workers, summed.
	Busy time.Duration
	// GPUHours is Busy weighted by the GPUs each trial held.
	GPUHours float64
	// Slots is the number of timeline lanes (worker slots seen);
	// Utilisation the busy share of their time over the timeline's span.
	Slots       int
	Utilisation float64
	// Reasons groups why trials did not complete, most frequent first, at
	// most maxReasons of them; MoreReasons more, holding MoreTrials trials
	// (see Reasons).
	Reasons                 []Reason
	MoreReasons, MoreTrials int
}

// maxReasons bounds the reasons kept: error texts that differ in every
// trial (addresses, names) must not make a reason per trial.
const maxReasons = 50

func summarise(st *scheduler.Study, rows []Row, lanes []Lane, start, now time.Time) Summary {
	s := Summary{Trials: len(rows), Counts: map[trial.State]int{}, Wall: st.Elapsed, Slots: len(lanes)}
	for i := range rows {
		r := &rows[i].Record
		s.Counts[r.State]++
		s.Busy += r.Busy
		s.GPUHours += r.Busy.Hours() * float64(len(r.GPUs))
	}
	s.Reasons, s.MoreReasons, s.MoreTrials = Reasons(rows)
	if s.Wall == 0 {
		s.Wall = now.Sub(start)
	}
	if span := now.Sub(start); span > 0 && len(lanes) > 0 {
		var used time.Duration
		for _, l := range lanes {
			used += l.Busy
		}
		s.Utilisation = float64(used) / (float64(span) * float64(len(lanes)))
	}
	return s
}
