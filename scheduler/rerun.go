package scheduler

import (
	"fmt"
	"strings"

	"automl/trial"
)

// rerun is a user's retry (automl retry) of a trial that failed or was
// stopped: a new attempt of the same trial, pending, with its parameters
// and span. The attempt that ended goes to the trial's earlier attempts;
// the trial's failure budgets start afresh, and it counts in the trial
// budget again.
func (l *ledger) rerun(id int, note string) (effects, error) {
	rec, ok := l.records[id]
	if !ok || !rerunnable(rec.State) {
		return effects{}, fmt.Errorf("trial %d cannot be rerun", id)
	}
	outcome := trial.ExitCrashed
	switch {
	case rec.State == trial.Stopped:
		outcome = trial.ExitAborted
	case lostOut(rec):
		outcome = trial.ExitLost
	}
	supersede(rec, outcome, rec.Error)
	l.counts[rec.State]--
	rec.State = trial.Pending
	l.counts[trial.Pending]++
	l.inFlight[id] = true
	rec.Failures, rec.Lost, rec.Error = 0, 0, ""
	rec.Value, rec.HasValue, rec.Metrics = 0, false, nil
	rec.Resource = rec.From
	if o, ok := l.history.Get(id); ok {
		l.observation(o, rec)
		o.Curve = nil
	}
	return l.again(rec, note)
}

// rerunnable: the states a user may rerun a trial from.
func rerunnable(s trial.State) bool { return s == trial.Failed || s == trial.Stopped }

// lostOut reports whether a trial failed because its runs were lost
// (trial.Decide: out of budget.max_lost), not because its code failed.
func lostOut(rec *trial.Record) bool {
	return rec.State == trial.Failed && rec.Lost > 0 && strings.HasPrefix(rec.Error, "lost ")
}

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
// created, but failed ones only with budget.count_failed.
func (l *ledger) counted(countFailed bool) int {
	if countFailed {
		return len(l.order)
	}
	return len(l.order) - l.counts[trial.Failed]
}
