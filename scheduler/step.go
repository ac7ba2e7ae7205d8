package scheduler

import (
	"slices"
	"time"

	"automl/trial"
	"automl/trial/triallog"
)

// step is the unit of work of one scheduler step: what the events and the
// searcher's actions changed, gathered until they are committed as one
// Change, and what to dispatch once they are. Jobs and stop requests go
// out only after their commit.
type step struct {
	dirty   map[int]bool
	reports []Report
	logs    []triallog.Part
	toSend  []trial.Spec
	toStop  []trial.Key
	toClean []int        // trials now final whose checkpoints can go
	unsent  []trial.Spec // a dispatch that failed, tried again after the next commit
	acks    []func()     // of the events applied, called after the commit
	// pendingSince is when the first change of a deferred commit was made
	// (zero: nothing waits).
	pendingSince time.Time
}

func newStep() *step { return &step{dirty: map[int]bool{}} }

// add takes a ledger change's effects; spec makes the job of a trial to
// send.
func (b *step) add(eff effects, spec func(id int) trial.Spec) {
	for _, id := range eff.changed {
		b.dirty[id] = true
	}
	b.reports = append(b.reports, eff.reports...)
	b.logs = append(b.logs, eff.logs...)
	for _, id := range eff.send {
		b.toSend = append(b.toSend, spec(id))
	}
	b.toStop = append(b.toStop, eff.stop...)
	b.toClean = append(b.toClean, eff.clean...)
}

// urgent reports whether the step has something to dispatch or stop, so
// its commit may not wait.
func (b *step) urgent() bool {
	return len(b.toSend) > 0 || len(b.toStop) > 0 || len(b.unsent) > 0
}

// holds reports whether the step has anything to commit or acknowledge.
func (b *step) holds() bool {
	return len(b.dirty) > 0 || len(b.reports) > 0 || len(b.logs) > 0 || len(b.acks) > 0
}

// change is the one Change to commit: the dirty records, in id order, found
// without walking every trial of the study (a commit's cost must not grow
// with the study), and the step's reports.
func (b *step) change(study *Study, snap *Snapshot, record func(id int) trial.Record) Change {
	ids := make([]int, 0, len(b.dirty))
	for id := range b.dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	c := Change{Study: study, Snapshot: snap, Reports: b.reports, Logs: b.logs, Trials: make([]trial.Record, len(ids))}
	for i, id := range ids {
		c.Trials[i] = record(id)
	}
	return c
}

// committed clears what was committed.
func (b *step) committed() {
	clear(b.dirty)
	b.reports = b.reports[:0]
	b.logs = b.logs[:0]
}

// acknowledge calls the acks of the committed events.
func (b *step) acknowledge() {
	for _, ack := range b.acks {
		if ack != nil {
			ack()
		}
	}
	b.acks = b.acks[:0]
	b.pendingSince = time.Time{}
}

// jobs takes the jobs to dispatch now: those that failed before, then the
// step's new ones.
func (b *step) jobs() []trial.Spec {
	specs := append(b.unsent, b.toSend...)
	b.toSend, b.unsent = b.toSend[:0], nil
	return specs
}

// stops takes the stop requests to send.
func (b *step) stops() []trial.Key {
	s := slices.Clone(b.toStop)
	b.toStop = b.toStop[:0]
	return s
}

// cleanups takes the trials whose checkpoints can go.
func (b *step) cleanups() []int {
	c := slices.Clone(b.toClean)
	b.toClean = b.toClean[:0]
	return c
}
