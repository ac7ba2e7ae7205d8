package plugins

import (
	"errors"
	"fmt"

	"automl/plugins/internal/trainerpb"
	"automl/trial"
)

var outcomes = map[trial.Outcome]trainerpb.Outcome{
	trial.ExitDone:    trainerpb.Outcome_OUTCOME_DONE,
	trial.ExitCrashed: trainerpb.Outcome_OUTCOME_CRASHED,
	trial.ExitPruned:  trainerpb.Outcome_OUTCOME_PRUNED,
	trial.ExitAborted: trainerpb.Outcome_OUTCOME_ABORTED,
	trial.ExitLost:    trainerpb.Outcome_OUTCOME_LOST,
	trial.ExitPaused:  trainerpb.Outcome_OUTCOME_PAUSED,
}

// resultToProto encodes what a runner returned, its error included.
func resultToProto(res trial.Result, err error) *trainerpb.Result {
	out := &trainerpb.Result{
		Outcome:    outcomes[res.Outcome],
		Metrics:    res.Metrics,
		Step:       res.Step,
		Checkpoint: res.Checkpoint,
		Error:      res.Error,
	}
	if err != nil {
		out.RunError = err.Error()
		switch {
		case errors.Is(err, trial.ErrLost):
			out.ErrorKind = trainerpb.ErrorKind_ERROR_KIND_LOST
		case errors.Is(err, trial.ErrNoMetrics):
			out.ErrorKind = trainerpb.ErrorKind_ERROR_KIND_NO_METRICS
		}
	}
	return out
}

// resultFromProto decodes a plugin's result; the runner's error comes back
// wrapping the same sentinel it wrapped in the plugin.
func resultFromProto(r *trainerpb.Result) (trial.Result, error) {
	res := trial.Result{
		Metrics:    trial.Metrics(r.GetMetrics()),
		Step:       r.GetStep(),
		Checkpoint: r.GetCheckpoint(),
		Error:      r.GetError(),
	}
	for o, p := range outcomes {
		if p == r.GetOutcome() {
			res.Outcome = o
		}
	}
	if len(res.Metrics) == 0 {
		res.Metrics = nil
	}
	if r.GetRunError() == "" {
		return res, nil
	}
	msg := r.GetRunError()
	switch r.GetErrorKind() {
	case trainerpb.ErrorKind_ERROR_KIND_LOST:
		return res, &remoteError{msg: msg, kind: trial.ErrLost}
	case trainerpb.ErrorKind_ERROR_KIND_NO_METRICS:
		return res, &remoteError{msg: msg, kind: trial.ErrNoMetrics}
	}
	return res, &remoteError{msg: msg}
}

// remoteError is a runner's error as the plugin reported it: the same
// text, and errors.Is still finds the sentinel it wrapped.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

// checkFinite rejects NaN and infinite metrics, which no store or searcher
// can use. The message is for the trainer's author, in the SDK's terms:
// what was reported (Reporter.Report) or returned (the Result of Run), and
// what to do instead when training diverged.
func checkFinite(plugin, how string, step float64, m trial.Metrics) error {
	name, ok := m.Finite()
	if ok {
		return nil
	}
	where := "with Reporter.Report"
	if how == "returned" {
		where = "in the Result of Run"
	}
	return fmt.Errorf("%w: trainer %s %s metric %q = %v at step %v %s; metrics must be finite numbers: when training diverges, return an error from Run that says so (e.g. \"loss diverged at step %v; try a lower learning rate\")",
		ErrNotFinite, plugin, how, name, m[name], step, where, step)
}
