package scheduler

import (
	"context"
	"errors"
	"time"

	"automl/spacefile"
	"automl/trial"
)

// UserStopReason is the note of a trial, and the reason of a study, a user
// stopped (automl stop).
const UserStopReason = "stopped by the user"

// ErrNotRunning is returned by StopTrials and Edit when Run is not running.
var ErrNotRunning = errors.New("the scheduler is not running")

// StopResult says what a stop request did, trial by trial.
type StopResult struct {
	// Stopping: running trials asked to stop; they end stopped when their
	// worker answers. Stopped: pending or paused trials, stopped at once.
	Stopping []int `json:"stopping,omitempty"`
	Stopped  []int `json:"stopped,omitempty"`
	// Finished maps trials that had already ended to their state.
	Finished map[int]trial.State `json:"finished,omitempty"`
	// Unknown are ids the study does not have.
	Unknown []int `json:"unknown,omitempty"`
	// Draining is set when the request stopped the whole study.
	Draining bool `json:"draining,omitempty"`
}

// Edit is a user's change to a running study (package control decides
// what a change may be): the study's record, to change in place, and what
// the change reads. Trials, Counts and File are read only.
type Edit struct {
	Study  *Study
	Trials []*trial.Record // in id order
	Counts map[trial.State]int
	// Counted is how many trials count against the trial budget (failed
	// ones only with budget.count_failed); Elapsed the time the study ran.
	Counted int
	Elapsed time.Duration
	File    *spacefile.File
	Now     time.Time
	// Rerun, set by the change, are failed or stopped trials to run again
	// now, each as a new attempt with the same parameters, noted Note.
	Rerun []int
	Note  string
}

// request is a user's stop or edit waiting for the loop; answer its reply.
type request struct {
	stopIDs []int
	reason  string
	edit    func(*Edit) error
	reply   chan answer
}
type answer struct {
	stop StopResult
	err  error
}

// StopTrials is a user's abort, safe to call from any goroutine while Run
// runs: the trials with the given ids end in state Stopped (a running
// trial's worker is asked to stop it; it is never retried), or, with no
// ids, the whole study drains (no new trials; running ones finish; the
// study can be continued later). reason is recorded as the trials' note
// (default UserStopReason).
func (s *Scheduler) StopTrials(ctx context.Context, ids []int, reason string) (StopResult, error) {
	if reason == "" {
		reason = UserStopReason
	}
	a, err := s.ask(ctx, request{stopIDs: ids, reason: reason})
	return a.stop, err
}

// Edit runs change inside the loop of the running study, safe to call
// from any goroutine while Run runs, and returns once what it changed is
// committed (the study's record, the trials it reruns). A change that
// fails must leave the record as it was: its error is returned and
// nothing is committed.
func (s *Scheduler) Edit(ctx context.Context, change func(*Edit) error) error {
	_, err := s.ask(ctx, request{edit: change})
	return err
}

func (s *Scheduler) ask(ctx context.Context, r request) (answer, error) {
	r.reply = make(chan answer, 1)
	select {
	case s.requests <- r:
	case <-s.running:
		return answer{}, ErrNotRunning
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
	select {
	case a := <-r.reply:
		return a, a.err
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
}

// serve carries out a request inside the loop. An edit that fails is
// answered and the loop goes on; an error of the loop's own ends the run.
func (s *Scheduler) serve(ctx context.Context, r request) error {
	if r.edit == nil {
		res, err := s.userStop(ctx, r.stopIDs, r.reason)
		r.reply <- answer{stop: res, err: err}
		return err
	}
	e := &Edit{Study: s.study, Counts: s.ledger.counts, Counted: s.ledger.counted(s.budget.CountFailed),
		Elapsed: s.elapsed(), File: s.cfg.File, Now: s.cfg.Now()}
	for _, id := range s.ledger.order {
		e.Trials = append(e.Trials, s.ledger.records[id])
	}
	if err := r.edit(e); err != nil {
		r.reply <- answer{err: err}
		return nil
	}
	err := s.rerun(e.Rerun, e.Note)
	if err == nil {
		s.fails.limit = s.budget.FailedLimit(s.study.Trials)
		s.lastCommit = time.Time{} // the study's record changed
		err = s.commit(ctx)
	}
	r.reply <- answer{err: err}
	return err
}

// rerun gives failed or stopped trials a new attempt each, dispatched
// with the next step; others (rerun meanwhile) are left as they are.
func (s *Scheduler) rerun(ids []int, note string) error {
	for _, id := range ids {
		if rec, ok := s.ledger.get(id); ok && rerunnable(rec.State) {
			eff, err := s.ledger.rerun(id, note)
			if err == nil {
				err = s.carryOut(eff)
			}
			if err != nil {
				return err
			}
			s.log.Info("trial rerun", "study", s.study.Name, "trial", id, "attempt", rec.Attempt, "worker", rec.Worker)
		}
	}
	return nil
}

// userStop carries out a stop request inside the loop; the step that
// follows commits it and sends the stop requests.
func (s *Scheduler) userStop(ctx context.Context, ids []int, reason string) (StopResult, error) {
	var res StopResult
	if len(ids) == 0 {
		if !s.draining {
			s.startDrain(ctx, reason)
		}
		res.Draining = true
		return res, nil
	}
	for _, id := range ids {
		if rec, ok := s.ledger.get(id); ok && rec.State == trial.Pending {
			// No worker holds it (or one just took it): withdraw the job.
			if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
				s.log.Warn("withdraw stopped trial", "study", s.study.Name, "trial", id, "attempt", rec.Attempt, "worker", rec.Worker, "err", err)
			}
		}
		outcome, eff, err := s.ledger.stopByUser(id, reason)
		if err != nil {
			return res, err
		}
		rec := s.ledger.records[id] // nil for an unknown trial
		switch outcome {
		case stopUnknown:
			res.Unknown = append(res.Unknown, id)
		case stopFinished:
			if res.Finished == nil {
				res.Finished = map[int]trial.State{}
			}
			res.Finished[id] = rec.State
		case stopAsked:
			res.Stopping = append(res.Stopping, id)
			s.log.Info("stopping trial on the user's request", "study", s.study.Name, "trial", id, "attempt", rec.Attempt, "worker", rec.Worker)
		case stopDone:
			res.Stopped = append(res.Stopped, id)
			s.log.Info("trial stopped by the user", "study", s.study.Name, "trial", id, "attempt", rec.Attempt, "worker", rec.Worker)
		}
		if err := s.carryOut(eff); err != nil {
			return res, err
		}
	}
	return res, nil
}
