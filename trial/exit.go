package trial

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"automl/internal/cause"
)

// The exit policy: how a run that ended becomes a trial's next state. It
// is written once, as two pure functions: Ended.Classify on the worker (how
// the run ended: done, crashed, lost, aborted) and Decide in the scheduler
// (what the trial does next: complete, pause, fail, or run again within
// its retry budget). Every dispatcher and the scheduler use these, so a
// trial fails, retries or completes the same way whatever runs it.

// Ended is how a run ended on its worker: what the runner returned and
// what happened around it.
type Ended struct {
	// Result and Err are what the runner returned. Err wraps ErrLost for a
	// failure of the infrastructure rather than of the training code.
	Result Result
	Err    error
	// Stopped: the scheduler asked for the stop (a prune, a user's stop).
	Stopped bool
	// Cancelled: the worker cancelled the run itself (it is shutting down).
	Cancelled bool
	// TimedOut is the cause when the trial's timeout cut the run short.
	TimedOut error
	// Failure is a reported metric that failed the trial (NaN): the
	// trainer was told to stop.
	Failure error
	// Lost is an infrastructure failure the worker met while the run went
	// on (an event it could not store).
	Lost error
	// Stalled is the progress timeout (Trainer.ProgressLimit) when the
	// worker stopped the run because the trainer reported nothing for that
	// long: a stopped, deadlocked or hung process. The run is lost, not
	// failed: the trial runs again within its max_lost budget.
	Stalled time.Duration
}

// Classify says how the run ended. The first that applies wins: a stop asked
// for, an infrastructure failure, a reported metric that fails the trial,
// the trial timeout, a stall (no report within the progress timeout: lost),
// the worker's own cancel, the runner's error; else
// the runner's result (done unless it says otherwise), which fails when
// a final metric is not a finite number. Errors name the attempt.
func (e Ended) Classify(key Key) Result {
	res := e.Result
	fail := func(o Outcome, err error) Result {
		return Result{Outcome: o, Error: fmt.Sprintf("trial %v: %v", key, err), Metrics: res.Metrics}
	}
	switch {
	case e.Stopped:
		res.Outcome, res.Error = ExitAborted, fmt.Sprintf("trial %v: stopped by request", key)
	case e.Lost != nil:
		return fail(ExitLost, e.Lost)
	case e.Failure != nil:
		return fail(ExitCrashed, e.Failure)
	case e.TimedOut != nil:
		return fail(ExitCrashed, e.TimedOut)
	case e.Stalled > 0:
		return fail(ExitLost, fmt.Errorf("the trainer reported nothing for %v (trainer.progress_timeout); the worker stopped it, and the run counts as lost (retried within budget.max_lost)", e.Stalled))
	case e.Cancelled:
		return fail(ExitAborted, errors.New("the worker stopped under it"))
	case e.Err != nil && errors.Is(e.Err, ErrLost):
		return fail(ExitLost, e.Err)
	case e.Err != nil:
		return fail(ExitCrashed, e.Err)
	default:
		if res.Outcome == 0 {
			res.Outcome = ExitDone
		}
		if name, ok := res.Metrics.Finite(); !ok {
			res.Outcome = ExitCrashed
			res.Error = fmt.Sprintf("trial %v: final metric %q is %v", key, name, res.Metrics[name])
		}
	}
	return res
}

// PanicError is a runner that panicked (see RunSafely).
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("runner panicked: %v", e.Value) }

// RunSafely runs the runner, turning a panic of its goroutine into a
// *PanicError, so the slot keeps working. (A panic on a goroutine the
// runner starts itself still ends the process: trainers run in plugin
// processes for that reason.)
func RunSafely(ctx context.Context, r Runner, spec Spec, rep Reporter) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return r.Run(ctx, spec, rep)
}

// CheckReport returns the error that fails a trial reporting these
// metrics at step: one that is NaN or infinite.
func CheckReport(step float64, m Metrics) error {
	if name, ok := m.Finite(); !ok {
		return fmt.Errorf("metric %q is %v at step %v: metrics must be finite numbers", name, m[name], step)
	}
	return nil
}

// Retry is a trial's retry budget: how often it runs again after its code
// failed (Retries), and after the infrastructure lost a run (MaxLost; not
// failures of the trial).
type Retry struct {
	Retries, MaxLost int
}

// StopAsk is a stop the scheduler sent to a running trial: by the
// searcher (the trial ends pruned) or by the user (it ends stopped).
type StopAsk struct {
	Reason string
	User   bool
}

// Exit is what the scheduler makes of an attempt that ended.
type Exit struct {
	// State is the trial's next state; Pending runs it again, as a new
	// attempt.
	State State
	// Value is the objective's value, when the attempt gave one (HasValue).
	Value    float64
	HasValue bool
	// Error is the trial's error after the attempt ("": none).
	Error string
	// Note replaces the trial's note when not empty.
	Note string
	// Failures and Lost are the trial's counts after the attempt.
	Failures, Lost int
}

// Decide is the exit policy: what an attempt's result means for its trial.
//
//   - done (or paused at its rung, pruned): the trial completes (pauses,
//     is pruned) with the objective's value; a value that is missing or
//     not finite fails it (a pruned trial may have none);
//   - crashed (the code failed, or timed out): run again while failures
//     stay within retry.Retries, else failed;
//   - lost or aborted without a stop asked for (the infrastructure failed
//     under it): run again while lost runs stay within retry.MaxLost
//     (these are not failures), else failed;
//   - a stop the user asked for ends the trial stopped, whatever the
//     worker reports, unless it had finished (done) anyway; one the
//     searcher asked for ends an aborted run pruned.
//
// pause says the job was to end at a rung (multi-fidelity); stop is the
// stop asked for the trial, if any. A nil res is a run that exited
// without a result (lost).
func Decide(rec Record, res *Result, obj Objective, retry Retry, pause bool, stop *StopAsk) Exit {
	if res == nil {
		res = &Result{Outcome: ExitLost, Error: "exited without a result"}
	}
	e := Exit{Failures: rec.Failures, Lost: rec.Lost}
	e.Value, e.HasValue = obj.Value(res.Metrics)
	outcome := res.Outcome
	if outcome == ExitDone && pause {
		outcome = ExitPaused // the job reached its rung: the trial waits there
	}
	if stop != nil {
		switch {
		case stop.User && outcome != ExitDone:
			e.State, e.Note = Stopped, stop.Reason
			return e
		case !stop.User && (outcome == ExitAborted || outcome == ExitPruned):
			e.Note, outcome = stop.Reason, ExitPruned
		}
	}
	failed := func(msg string) Exit {
		e.State, e.Error, e.Value, e.HasValue = Failed, msg, 0, false
		return e
	}
	switch outcome {
	case ExitDone, ExitPaused, ExitPruned:
		if !e.HasValue && outcome != ExitPruned {
			v, reported := res.Metrics[obj.Metric]
			if !reported {
				return failed(fmt.Sprintf("the trainer did not report the objective metric %q (it reported: %s)", obj.Metric, metricNames(res.Metrics)))
			}
			return failed(fmt.Sprintf("objective metric %q is %v", obj.Metric, v))
		}
		e.State = map[Outcome]State{ExitDone: Completed, ExitPaused: Paused, ExitPruned: Pruned}[outcome]
	case ExitCrashed:
		e.Failures++
		if e.Failures > retry.Retries {
			return failed(res.Error)
		}
		e.State, e.Error, e.Value, e.HasValue = Pending, res.Error, 0, false
		e.Note = fmt.Sprintf("retry %d of %d after: %s", e.Failures, retry.Retries, cause.Of(res.Error))
	case ExitLost, ExitAborted:
		// Aborted without a stop asked for: the worker shut down under it.
		e.Lost++
		if e.Lost > retry.MaxLost {
			return failed(fmt.Sprintf("lost %d times; last: %s", e.Lost, res.Error))
		}
		e.State, e.Error, e.Value, e.HasValue = Pending, res.Error, 0, false
		e.Note = fmt.Sprintf("re-queued (infrastructure, %d of %d): %s", e.Lost, retry.MaxLost, cause.Of(res.Error))
	default:
		return failed(fmt.Sprintf("unknown outcome %v", outcome))
	}
	return e
}

func metricNames(m Metrics) string {
	if len(m) == 0 {
		return "nothing"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
