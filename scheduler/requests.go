package scheduler

import (
	"context"
	"errors"
	"time"

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

// controlCall is a request waiting for the loop, with where to answer.
type controlCall struct {
	req   ControlRequest
	reply chan controlAnswer
}

type controlAnswer struct {
	rep ControlReply
	err error
}

// StopTrials is a user's abort, safe to call from any goroutine while Run
// runs: the trials with the given ids end in state Stopped (a running
// trial's worker is asked to stop it; it is never retried), or, with no
// ids, the whole study drains (no new trials; running ones finish; the
// study can be continued later). reason is recorded as the trials' note
// (default UserStopReason).
func (s *Scheduler) StopTrials(ctx context.Context, ids []int, reason string) (StopResult, error) {
	rep, err := s.Control(ctx, ControlRequest{Op: "stop", IDs: ids, Reason: reason})
	return rep.Stop, err
}

// Control carries out a user's request (ControlRequest) on the running
// study, safe to call from any goroutine while Run runs: it returns once
// the change is committed. A request that cannot be carried out as asked
// fails with an error wrapping ErrBadRequest and changes nothing.
func (s *Scheduler) Control(ctx context.Context, req ControlRequest) (ControlReply, error) {
	c := controlCall{req: req, reply: make(chan controlAnswer, 1)}
	select {
	case s.requests <- c:
	case <-s.running:
		return ControlReply{}, ErrNotRunning
	case <-ctx.Done():
		return ControlReply{}, ctx.Err()
	}
	select {
	case a := <-c.reply:
		return a.rep, a.err
	case <-ctx.Done():
		return ControlReply{}, ctx.Err()
	}
}

// control carries out a request inside the loop and commits it. A bad
// request is answered and the loop goes on; any other error ends the run.
func (s *Scheduler) control(ctx context.Context, c controlCall) error {
	rep, err := s.apply(ctx, c.req)
	if err == nil {
		s.lastCommit = time.Time{} // the study record changed
		err = s.commit(ctx)
	}
	c.reply <- controlAnswer{rep, err}
	if errors.Is(err, ErrBadRequest) {
		return nil
	}
	return err
}

func (s *Scheduler) apply(ctx context.Context, req ControlRequest) (ControlReply, error) {
	var rep ControlReply
	var err error
	a := s.amendment()
	switch req.Op {
	case "stop":
		if req.Reason == "" {
			req.Reason = UserStopReason
		}
		rep.Stop, err = s.userStop(ctx, req.IDs, req.Reason)
		if err == nil && req.By != "" {
			what := "the whole study"
			if len(req.IDs) > 0 {
				what = "trial(s) " + joinIDs(req.IDs)
			}
			a.note("stop", req, "stop "+what)
		}
	case "budget":
		if rep.Done, err = a.budget(req); err == nil {
			s.failedLimit = s.budget.FailedLimit(s.study.Trials)
			if s.study.Timeout > 0 && !s.timedOut() {
				s.log.Info("time budget changed", "study", s.study.Name, "timeout", s.study.Timeout)
			}
		}
	case "enqueue":
		rep.Done, rep.Queued, err = a.enqueue(req)
	case "retry":
		var ids []int
		if ids, err = a.reruns(req); err != nil {
			break
		}
		if err = s.rerun(ids, "rerun by "+orUser(req.By)+" (automl retry)"); err != nil {
			break
		}
		rep.Rerun = ids
		if len(ids) > 0 {
			what := "rerun trial(s) " + joinIDs(ids)
			a.note("retry", req, what)
			rep.Done = []string{what + ": each runs again as a new attempt"}
		}
	default:
		err = badRequest("unknown request %q", req.Op)
	}
	return rep, err
}

func orUser(by string) string {
	if by == "" {
		return "the user"
	}
	return by
}

// amendment is the running study as a change sees it.
func (s *Scheduler) amendment() *amendment {
	a := &amendment{study: s.study, file: s.cfg.File, counted: s.ledger.counted(s.budget.CountFailed), counts: s.ledger.counts, elapsed: s.elapsed(), now: s.cfg.Now()}
	for _, id := range s.ledger.order {
		a.records = append(a.records, s.ledger.records[id])
	}
	return a
}

// rerun gives the trials a new attempt each, dispatched with the next step.
func (s *Scheduler) rerun(ids []int, note string) error {
	for _, id := range ids {
		eff, err := s.ledger.rerun(id, note)
		if err != nil {
			return err
		}
		if err := s.carryOut(eff); err != nil {
			return err
		}
		s.log.Info("trial rerun", "trial", id, "attempt", s.ledger.records[id].Attempt)
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
				s.log.Warn("withdraw stopped trial", "trial", id, "err", err)
			}
		}
		outcome, eff, err := s.ledger.stopByUser(id, reason)
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
