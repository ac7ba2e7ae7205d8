package scheduler

import (
	"context"
	"errors"

	"automl/trial"
)

// UserStopReason is the note of a trial, and the reason of a study, a user
// stopped (automl stop).
const UserStopReason = "stopped by the user"

// ErrNotRunning is returned by StopTrials when Run is not running.
var ErrNotRunning = errors.New("the scheduler is not running")

// StopResult says what a stop request did, trial by trial.
type StopResult struct {
	// Stopping: running trials asked to stop; they end stopped when their
	// worker answers. Stopped: pending or paused trials, stopped at once.
	Stopping, Stopped []int
	// Finished maps trials that had already ended to their state.
	Finished map[int]trial.State
	// Unknown are ids the study does not have.
	Unknown []int
	// Draining is set when the request stopped the whole study.
	Draining bool
}

type stopRequest struct {
	ids    []int
	reason string
	reply  chan StopResult
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
	r := stopRequest{ids: ids, reason: reason, reply: make(chan StopResult, 1)}
	select {
	case s.requests <- r:
	case <-s.running:
		return StopResult{}, ErrNotRunning
	case <-ctx.Done():
		return StopResult{}, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res, nil
	case <-ctx.Done():
		return StopResult{}, ctx.Err()
	}
}

// userStop carries out a stop request inside the loop; the step that
// follows commits it and sends the stop requests.
func (s *Scheduler) userStop(ctx context.Context, r stopRequest) (StopResult, error) {
	var res StopResult
	if len(r.ids) == 0 {
		if !s.draining {
			s.startDrain(ctx, r.reason)
		}
		res.Draining = true
		return res, nil
	}
	for _, id := range r.ids {
		if rec, ok := s.ledger.get(id); ok && rec.State == trial.Pending {
			// No worker holds it (or one just took it): withdraw the job.
			if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
				s.log.Warn("withdraw stopped trial", "trial", id, "err", err)
			}
		}
		outcome, eff, err := s.ledger.stopByUser(id, r.reason)
		if err != nil {
			return res, err
		}
		switch outcome {
		case stopUnknown:
			res.Unknown = append(res.Unknown, id)
		case stopFinished:
			if res.Finished == nil {
				res.Finished = map[int]trial.State{}
			}
			rec, _ := s.ledger.get(id)
			res.Finished[id] = rec.State
		case stopAsked:
			res.Stopping = append(res.Stopping, id)
			s.log.Info("stopping trial on the user's request", "trial", id)
		case stopDone:
			res.Stopped = append(res.Stopped, id)
			s.log.Info("trial stopped by the user", "trial", id)
		}
		if err := s.carryOut(eff); err != nil {
			return res, err
		}
	}
	return res, nil
}
