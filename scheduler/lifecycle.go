package scheduler

import (
	"context"
	"fmt"
	"time"

	"automl/trial"
)

func (s *Scheduler) elapsed() time.Duration {
	return s.baseElapsed + s.cfg.Now().Sub(s.runStart)
}

func (s *Scheduler) timedOut() bool {
	return s.study.Timeout > 0 && s.elapsed() >= s.study.Timeout
}

// checkTime ends a study whose time budget is used, which is wall time:
// no new trials; the running ones may finish within Config.TimeoutGrace,
// then they are stopped and queued again with a new attempt (they run
// when the study continues with a larger budget, from their checkpoint
// when they have one).
func (s *Scheduler) checkTime(ctx context.Context) error {
	if !s.timedOut() {
		return nil
	}
	now := s.cfg.Now()
	running := s.ledger.counts[trial.Running]
	if s.timeUp.IsZero() {
		s.timeUp = now
		why := fmt.Sprintf("time budget %s reached", s.study.Timeout)
		if s.baseElapsed >= s.study.Timeout {
			why = fmt.Sprintf("time budget %s used before this run (%s elapsed): raise it to continue the study", s.study.Timeout, s.baseElapsed.Round(time.Second))
			s.log.Warn(why, "study", s.study.Name)
		}
		if !s.draining {
			s.timeEnded = true
			s.startDrain(ctx, why)
		}
		if running > 0 {
			s.log.Info("running trials may finish within the grace; then they are stopped, and run again when the study continues", "grace", s.cfg.TimeoutGrace, "running", running)
		}
	}
	if s.timeStopped || running == 0 || now.Sub(s.timeUp) < s.cfg.TimeoutGrace {
		return nil
	}
	s.timeStopped = true
	note := fmt.Sprintf("stopped at the end of the time budget (%s) after the %s grace; runs again when the study continues", s.study.Timeout, s.cfg.TimeoutGrace)
	eff, queued, err := s.ledger.endRunning(note, now)
	if err != nil {
		return err
	}
	if err := s.carryOut(eff); err != nil {
		return err
	}
	why := fmt.Sprintf("time budget %s reached: %d running trial(s) stopped after the %s grace; they run again when the study continues with a larger time budget", s.study.Timeout, running, s.cfg.TimeoutGrace)
	s.log.Warn(why, "study", s.study.Name, "queued again", queued)
	if s.timeEnded {
		s.doneReason = why
	}
	return nil
}

// startDrain stops creating trials and withdraws the queued ones (they stay
// pending in the store and run when the study resumes).
func (s *Scheduler) startDrain(ctx context.Context, why string) {
	s.draining = true
	if s.doneReason == "" {
		s.doneReason = why
	}
	s.log.Info("draining: waiting for running trials", "study", s.study.Name, "why", why, "running", s.ledger.counts[trial.Running])
	s.buf.unsent = nil
	// Withdrawing is a courtesy (a job left queued runs, or is superseded
	// when the study resumes), so it may not hold up the drain: with the
	// transport gone every call would wait out its own timeout.
	ctx, cancel := context.WithTimeout(ctx, withdrawPatience)
	defer cancel()
	failed, last := 0, error(nil)
	for id := range s.ledger.inFlight {
		if rec := s.ledger.records[id]; rec.State == trial.Pending {
			if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
				failed, last = failed+1, err
			}
		}
	}
	if failed > 0 {
		s.log.Warn("withdraw queued trials: some stay queued", "failed", failed, "err", last)
	}
}

// withdrawPatience bounds the withdrawals of a drain.
const withdrawPatience = 5 * time.Second

// finished: nothing more will be created and nothing is running.
func (s *Scheduler) finished() bool {
	c := s.ledger.counts
	switch {
	case c[trial.Running] > 0:
		return false
	case s.draining:
		return true
	case c[trial.Pending] > 0:
		return false
	}
	return (s.searcherDone && len(s.study.Queue) == 0) || s.failedStudy != "" || s.idle || s.resourceSpent()
}

func (s *Scheduler) finish(ctx context.Context) (Summary, error) {
	if n := len(s.study.Queue); n > 0 && s.failedStudy == "" && !s.draining {
		s.log.Warn("queued configurations did not run", "study", s.study.Name, "waiting", n, "why", "the study's budget or algorithm ended it first; raise the budget (automl budget) and continue it")
	}
	switch {
	case s.failedStudy != "":
		s.study.Status, s.study.Reason = StudyFailed, s.failedStudy
	case s.draining && !s.timeEnded:
		s.study.Status, s.study.Reason = StudyInterrupted, s.doneReason
	default:
		s.study.Status = StudyDone
		switch {
		case s.doneReason != "":
			s.study.Reason = s.doneReason
		case s.resourceSpent():
			s.study.Reason = fmt.Sprintf("resource budget of %g %s used", s.maxResourceTotal, s.cfg.File.Resource)
		case s.study.Trials > 0 && s.ledger.counted(s.budget.CountFailed) >= s.study.Trials:
			s.study.Reason = fmt.Sprintf("trial budget of %d used", s.study.Trials)
		default:
			s.study.Reason = "the searcher has nothing more to run"
		}
		// The study is over: trials paused at a rung are final there.
		eff, err := s.ledger.endPaused()
		if err != nil {
			return s.summary(), err
		}
		s.buf.add(eff, s.spec)
		if s.ledger.counts[trial.Completed] == 0 {
			// Done is a study that found something: one whose every
			// trial failed (within max_failed) has failed.
			why := s.noneCompleted()
			if s.timeEnded {
				why = s.study.Reason + "; " + why
			}
			s.study.Status, s.study.Reason = StudyFailed, why
		}
	}
	s.lastCommit = time.Time{}
	if err := s.flush(ctx); err != nil {
		return s.summary(), err
	}
	s.clean(ctx)
	s.progress()
	return s.summary(), nil
}

// interrupt handles a cancelled run: running trials are asked to stop and
// stay recorded as running, so a resume re-runs them.
func (s *Scheduler) interrupt() (Summary, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range s.ledger.order {
		if rec := s.ledger.records[id]; rec.State == trial.Running {
			_ = s.cfg.Dispatcher.Stop(ctx, s.ledger.key(rec))
		}
	}
	s.study.Status, s.study.Reason = StudyInterrupted, "cancelled by the user"
	s.lastCommit = time.Time{}
	s.buf.acks = s.buf.acks[:0]
	if err := s.commit(ctx); err != nil {
		return s.summary(), err
	}
	return s.summary(), context.Canceled
}

func (s *Scheduler) summary() Summary {
	sum := Summary{Study: s.study.Name, Status: s.study.Status, Reason: s.study.Reason, Resumed: s.resumed, Counts: map[trial.State]int{}}
	for st, n := range s.ledger.counts {
		if n > 0 {
			sum.Counts[st] = n
		}
	}
	if best, ok := s.ledger.best(); ok {
		sum.Best, sum.HasBest = *best, true
	} else if s.ledger.goals.Multi() {
		sum.Front, sum.Hypervolume = s.ledger.front()
	}
	return sum
}

func (s *Scheduler) progress() {
	if s.cfg.Progress == nil {
		return
	}
	c := s.ledger.counts
	p := Progress{
		Study: s.study.Name, Created: s.ledger.created(), Budget: s.study.Trials,
		Completed: c[trial.Completed], Failed: c[trial.Failed],
		Pruned: c[trial.Pruned], Stopped: c[trial.Stopped], Paused: c[trial.Paused],
		Running: c[trial.Running], Queued: c[trial.Pending],
		Elapsed: s.elapsed(), Draining: s.draining, CountFailed: s.budget.CountFailed,
	}
	if b, ok := s.ledger.best(); ok {
		p.Best, p.BestID, p.HasBest = b.Value, b.ID, true
	} else if s.ledger.goals.Multi() {
		f, _ := s.ledger.front()
		p.Front = len(f)
	}
	s.cfg.Progress(p)
}
