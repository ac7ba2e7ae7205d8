package scheduler

import (
	"fmt"
	"strings"

	"automl/trial"
)

// rerun is a user's retry (automl retry) of a trial that failed or was
// stopped: a new attempt of the same trial, with its parameters and span,
// its failure budgets afresh; the attempt that ended joins its earlier
// ones. It counts in the trial budget again.
func (l *ledger) rerun(id int, note string) (effects, error) {
	rec, ok := l.records[id]
	if !ok || !rerunnable(rec.State) {
		return effects{}, fmt.Errorf("trial %d cannot be rerun", id)
	}
	outcome := trial.ExitCrashed
	if rec.State == trial.Stopped {
		outcome = trial.ExitAborted
	} else if strings.HasPrefix(rec.Error, "lost ") { // out of max_lost (trial.Decide)
		outcome = trial.ExitLost
	}
	supersede(rec, outcome, rec.Error)
	l.counts[rec.State]--
	rec.State, rec.Failures, rec.Lost, rec.Error = trial.Pending, 0, 0, ""
	l.counts[trial.Pending]++
	l.inFlight[id] = true
	rec.Value, rec.HasValue, rec.Metrics, rec.Resource = 0, false, nil, rec.From
	if o, ok := l.history.Get(id); ok {
		l.observation(o, rec)
		o.Curve = nil
	}
	return l.again(rec, note)
}

// rerunnable: the states a user may rerun a trial from.
func rerunnable(s trial.State) bool { return s == trial.Failed || s == trial.Stopped }

// supersede notes a trial's current attempt among its earlier ones before
// it runs again: it ended with outcome, err saying why (its first 2 KiB).
// The record keeps the 20 latest.
func supersede(rec *trial.Record, outcome trial.Outcome, err string) {
	const maxErr, maxEarlier = 2048, 20
	if len(err) > maxErr {
		err = strings.ToValidUTF8(err[:maxErr], "") + " …"
	}
	rec.Earlier = append(rec.Earlier, trial.Attempt{Attempt: rec.Attempt, Outcome: outcome, Error: err, Note: rec.Note,
		Worker: rec.Worker, Started: rec.Started, Finished: rec.Finished})
	if n := len(rec.Earlier); n > maxEarlier {
		rec.Earlier = append(rec.Earlier[:0], rec.Earlier[n-maxEarlier:]...)
	}
}

// counted is how many trials count against the trial budget: every trial
// created (imported results are not), but failed ones only with
// budget.count_failed.
func (l *ledger) counted(countFailed bool) int {
	if countFailed {
		return l.created()
	}
	return l.created() - l.counts[trial.Failed]
}
