package scheduler

import (
	"fmt"
	"strings"

	"automl/internal/cause"
	"automl/trial"
)

// failures holds the study's failure budgets and what they have seen:
// max_failed (failed trials that end the study) and fail_fast (the first K
// trials of a run to end all failed with the same cause: the study stops
// at once rather than spend its budget on the same failure).
type failures struct {
	limit int // max_failed in force
	fastK int // fail_fast's K; 0: off
	// armed: fail_fast still watches, since no trial of this run has
	// worked (completed, paused at a rung, pruned after reporting) and
	// every failure so far had the first one's cause.
	armed    bool
	fast     int    // failed trials fail_fast counted
	firstKey string // their cause (cause.Key)
}

func newFailures(limit, fastK int) failures {
	return failures{limit: limit, fastK: fastK, armed: fastK > 0}
}

// failed counts a failed trial with its reason; failedNow is how many
// trials of the study have failed. It returns why the study fails ("":
// it goes on).
func (f *failures) failed(id int, reason string, failedNow int) string {
	if failedNow >= f.limit {
		return fmt.Sprintf("%d trials failed (limit %d); last: trial %d: %s", failedNow, f.limit, id, cause.Of(reason))
	}
	if !f.armed {
		return ""
	}
	key := cause.Key(reason)
	if f.fast > 0 && key != f.firstKey {
		f.armed = false
		return ""
	}
	f.fast, f.firstKey = f.fast+1, key
	if f.fast < f.fastK {
		return ""
	}
	return fmt.Sprintf("the first %d trials all failed with the same cause: %s; fix it and run the same command again (budget.fail_fast: %d; false to turn it off)",
		f.fast, cause.Of(reason), f.fastK)
}

// worked disarms fail_fast: a trial of this run completed, paused at a
// rung or was pruned after reporting, so the trainer can work.
func (f *failures) worked() { f.armed = false }

// room is how many trials may yet fail before a budget ends the study.
func (f *failures) room(failedNow int) int {
	r := f.limit - failedNow
	if f.armed {
		r = min(r, f.fastK-f.fast)
	}
	return r
}

// failureRoom bounds the jobs in flight by the failures still allowed, so
// that, should every trial fail, a failure budget ends the study with no
// more trials failed than it allows and the slots busy then: the jobs
// already taken by workers run on (and may fail) while the study drains;
// queued jobs beyond the failures allowed would run and fail too before
// the scheduler sees the last failure. A study that works keeps its queue:
// the bound is never less than the slots and Config.Lead (should every
// trial fail, the lead's trials may run too).
func (s *Scheduler) failureRoom() int {
	return max(s.cfg.Slots+s.lead(), s.fails.room(s.ledger.counts[trial.Failed]))
}

// noneCompleted is why a study that ended without a completed trial
// failed: how its trials ended, and the most common cause of its failures.
func (s *Scheduler) noneCompleted() string {
	c := s.ledger.counts
	var ended []string
	for _, st := range []trial.State{trial.Failed, trial.Pruned, trial.Stopped, trial.Pending, trial.Running} {
		if c[st] > 0 {
			ended = append(ended, fmt.Sprintf("%d %s", c[st], st))
		}
	}
	why := fmt.Sprintf("0 of %d trials completed", s.ledger.created())
	if len(ended) > 0 {
		why += " (" + strings.Join(ended, ", ") + ")"
	}
	var errs []string
	for _, id := range s.ledger.order {
		if rec := s.ledger.records[id]; rec.State == trial.Failed {
			errs = append(errs, rec.Error)
		}
	}
	// The most common cause, the first seen among equals.
	if text, n := cause.Commonest(errs); n > 0 {
		return fmt.Sprintf("%s: %s (%d of the failed trials)", why, text, n)
	}
	return why
}
