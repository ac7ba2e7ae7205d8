package trial

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var key = Key{Study: "s", ID: 3, Attempt: 2}

// TestClassify: every way a run can end on its worker maps to one outcome,
// with an error that names the attempt; what comes first wins.
func TestClassify(t *testing.T) {
	done := Result{Metrics: Metrics{"loss": 0.5}, Step: 4, Checkpoint: "c"}
	for _, tc := range []struct {
		name    string
		end     Ended
		outcome Outcome
		errHas  string // "" : no error
	}{
		{"completed", Ended{Result: done}, ExitDone, ""},
		{"paused, as the runner says", Ended{Result: Result{Outcome: ExitPaused, Metrics: Metrics{"loss": 1}}}, ExitPaused, ""},
		{"crashed", Ended{Err: errors.New("exit status 3")}, ExitCrashed, "exit status 3"},
		{"lost, by the runner", Ended{Err: fmt.Errorf("plugin did not start: %w", ErrLost)}, ExitLost, "plugin did not start"},
		{"lost, by the worker", Ended{Result: done, Lost: errors.New("events stream unavailable")}, ExitLost, "events stream unavailable"},
		{"a NaN report", Ended{Result: done, Failure: errors.New(`metric "loss" is NaN`)}, ExitCrashed, `metric "loss" is NaN`},
		{"a final metric not finite", Ended{Result: Result{Metrics: Metrics{"acc": math.Inf(1)}}}, ExitCrashed, `final metric "acc" is +Inf`},
		{"timed out", Ended{Err: context.DeadlineExceeded, TimedOut: errors.New("timed out after 1s")}, ExitCrashed, "timed out after 1s"},
		{"stopped", Ended{Result: done, Err: context.Canceled, Stopped: true}, ExitAborted, "stopped by request"},
		{"stopped wins over a loss", Ended{Stopped: true, Lost: errors.New("x")}, ExitAborted, "stopped by request"},
		{"the worker stopping", Ended{Err: context.Canceled, Cancelled: true}, ExitAborted, "the worker stopped under it"},
		{"stalled: lost, naming the timeout", Ended{Result: Result{Outcome: ExitAborted}, Stalled: 90 * time.Second}, ExitLost, "reported nothing for 1m30s (trainer.progress_timeout)"},
		{"a stall wins over the runner's error", Ended{Err: errors.New("plugin was killed"), Stalled: time.Minute}, ExitLost, "trainer.progress_timeout"},
		{"a timeout wins over a stall", Ended{TimedOut: errors.New("timed out after 1s"), Stalled: time.Minute}, ExitCrashed, "timed out after 1s"},
		{"a stop asked for wins over a stall", Ended{Stopped: true, Stalled: time.Minute}, ExitAborted, "stopped by request"},
		{"panicked", Ended{Err: &PanicError{Value: "boom"}}, ExitCrashed, "runner panicked: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.end.Classify(key)
			if res.Outcome != tc.outcome {
				t.Errorf("outcome %v, want %v (error %q)", res.Outcome, tc.outcome, res.Error)
			}
			switch {
			case tc.errHas == "" && res.Error != "":
				t.Errorf("error %q, want none", res.Error)
			case tc.errHas != "" && (!strings.Contains(res.Error, tc.errHas) || !strings.HasPrefix(res.Error, "trial "+key.String()+": ")):
				t.Errorf("error %q, want it to name %v and say %q", res.Error, key, tc.errHas)
			}
		})
	}
	if res := (Ended{Result: done}).Classify(key); res.Step != 4 || res.Checkpoint != "c" || res.Metrics["loss"] != 0.5 {
		t.Errorf("a completed run lost its result: %+v", res)
	}
	if res := (Ended{Result: done, Stopped: true}).Classify(key); res.Checkpoint != "c" || res.Metrics["loss"] != 0.5 {
		t.Errorf("a stopped run lost what it reported: %+v", res)
	}
}

func TestRunSafely(t *testing.T) {
	res, err := RunSafely(context.Background(), RunnerFunc(func(context.Context, Spec, Reporter) (Result, error) {
		panic("at the trainer")
	}), Spec{}, nil)
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "at the trainer" || len(pe.Stack) == 0 || res.Outcome != 0 {
		t.Fatalf("RunSafely = %+v, %v; want a PanicError with its stack", res, err)
	}
	res, err = RunSafely(context.Background(), RunnerFunc(func(context.Context, Spec, Reporter) (Result, error) {
		return Result{Outcome: ExitDone}, nil
	}), Spec{}, nil)
	if err != nil || res.Outcome != ExitDone {
		t.Fatalf("RunSafely of a runner that returns = %+v, %v", res, err)
	}
}

// TestDecide is the exit policy's table: every outcome, the retry budgets,
// and the stops asked for by the searcher and by the user.
func TestDecide(t *testing.T) {
	obj := Objective{Metric: "loss", Direction: Minimize}
	retry := Retry{Retries: 1, MaxLost: 2}
	fresh := Record{ID: 3, State: Running, Attempt: 2}
	used := Record{ID: 3, State: Running, Attempt: 4, Failures: 1, Lost: 2}
	withValue := Record{ID: 3, State: Running, Attempt: 2, Value: 0.9, HasValue: true}
	ok := &Result{Outcome: ExitDone, Metrics: Metrics{"loss": 0.25}}
	searcher := &StopAsk{Reason: "pruned by asha at rung 1"}
	user := &StopAsk{Reason: "stopped by the user", User: true}
	for _, tc := range []struct {
		name  string
		rec   Record
		res   *Result
		pause bool
		stop  *StopAsk
		want  Exit
		// errHas / noteHas: the error and note contain these ("": empty).
		errHas, noteHas string
	}{
		{name: "completed", rec: fresh, res: ok,
			want: Exit{State: Completed, Value: 0.25, HasValue: true}},
		{name: "completed at its rung: paused", rec: fresh, res: ok, pause: true,
			want: Exit{State: Paused, Value: 0.25, HasValue: true}},
		{name: "paused by the trainer", rec: fresh, res: &Result{Outcome: ExitPaused, Metrics: Metrics{"loss": 1}},
			want: Exit{State: Paused, Value: 1, HasValue: true}},
		{name: "completed without the objective: failed", rec: fresh, res: &Result{Outcome: ExitDone, Metrics: Metrics{"acc": 1}},
			want: Exit{State: Failed}, errHas: `did not report the objective metric "loss" (it reported: acc)`},
		{name: "completed with a NaN objective: failed", rec: fresh, res: &Result{Outcome: ExitDone, Metrics: Metrics{"loss": math.NaN()}},
			want: Exit{State: Failed}, errHas: `objective metric "loss" is NaN`},
		{name: "crashed: retried", rec: fresh, res: &Result{Outcome: ExitCrashed, Error: "exit status 1\nTraceback"},
			want: Exit{State: Pending, Failures: 1}, errHas: "exit status 1", noteHas: "retry 1 of 1 after: exit status 1"},
		{name: "crashed over budget: failed", rec: used, res: &Result{Outcome: ExitCrashed, Error: "exit status 1"},
			want: Exit{State: Failed, Failures: 2, Lost: 2}, errHas: "exit status 1"},
		{name: "timed out: a crash, retried", rec: fresh, res: &Result{Outcome: ExitCrashed, Error: "trial s/3/2: timed out after 1m0s"},
			want: Exit{State: Pending, Failures: 1}, errHas: "timed out", noteHas: "retry 1 of 1"},
		{name: "lost: re-queued, not a failure", rec: fresh, res: &Result{Outcome: ExitLost, Error: "worker died"},
			want: Exit{State: Pending, Lost: 1}, errHas: "worker died", noteHas: "re-queued (infrastructure, 1 of 2): worker died"},
		{name: "exited without a result: lost", rec: fresh, res: nil,
			want: Exit{State: Pending, Lost: 1}, errHas: "exited without a result", noteHas: "re-queued"},
		{name: "aborted by a worker stopping: lost", rec: fresh, res: &Result{Outcome: ExitAborted, Error: "worker stopped"},
			want: Exit{State: Pending, Lost: 1}, noteHas: "re-queued", errHas: "worker stopped"},
		{name: "lost over budget: failed", rec: used, res: &Result{Outcome: ExitLost, Error: "worker died"},
			want: Exit{State: Failed, Failures: 1, Lost: 3}, errHas: "lost 3 times; last: worker died"},
		{name: "pruned, stop from the searcher", rec: fresh, stop: searcher, res: &Result{Outcome: ExitAborted, Metrics: Metrics{"loss": 0.7}},
			want: Exit{State: Pruned, Value: 0.7, HasValue: true}, noteHas: "pruned by asha at rung 1"},
		{name: "pruned without a value", rec: fresh, stop: searcher, res: &Result{Outcome: ExitAborted},
			want: Exit{State: Pruned}, noteHas: "pruned by asha"},
		{name: "pruned by the trainer's directive", rec: fresh, res: &Result{Outcome: ExitPruned, Metrics: Metrics{"loss": 2}},
			want: Exit{State: Pruned, Value: 2, HasValue: true}},
		{name: "searcher's stop came after completion", rec: fresh, stop: searcher, res: ok,
			want: Exit{State: Completed, Value: 0.25, HasValue: true}},
		{name: "stopped by the user", rec: withValue, stop: user, res: &Result{Outcome: ExitAborted, Error: "trial s/3/2: stopped by request", Metrics: Metrics{"loss": 0.4}},
			want: Exit{State: Stopped, Value: 0.4, HasValue: true}, noteHas: "stopped by the user"},
		{name: "stopped by the user, whatever the worker says", rec: fresh, stop: user, res: &Result{Outcome: ExitLost, Error: "worker died"},
			want: Exit{State: Stopped}, noteHas: "stopped by the user"},
		{name: "stopped by the user, never retried", rec: fresh, stop: user, res: &Result{Outcome: ExitCrashed, Error: "boom"},
			want: Exit{State: Stopped}, noteHas: "stopped by the user"},
		{name: "user's stop after completion: completed", rec: fresh, stop: user, res: ok,
			want: Exit{State: Completed, Value: 0.25, HasValue: true}},
		{name: "an unknown outcome: failed", rec: fresh, res: &Result{Outcome: Outcome(99)},
			want: Exit{State: Failed}, errHas: "unknown outcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.rec, tc.res, obj, retry, tc.pause, tc.stop)
			errOK := (tc.errHas == "" && got.Error == "") || (tc.errHas != "" && strings.Contains(got.Error, tc.errHas))
			noteOK := (tc.noteHas == "" && got.Note == "") || (tc.noteHas != "" && strings.Contains(got.Note, tc.noteHas))
			got.Error, got.Note = "", ""
			if got != tc.want || !errOK || !noteOK {
				t.Errorf("Decide = %+v (error ok %v, note ok %v)\nwant %+v, error with %q, note with %q", got, errOK, noteOK, tc.want, tc.errHas, tc.noteHas)
			}
		})
	}
}

// TestDecideMaximize: the value is the objective's, whatever its direction.
func TestDecideMaximize(t *testing.T) {
	x := Decide(Record{State: Running}, &Result{Outcome: ExitDone, Metrics: Metrics{"acc": 0.9}}, Objective{Metric: "acc", Direction: Maximize}, Retry{}, false, nil)
	if x.State != Completed || x.Value != 0.9 || !x.HasValue {
		t.Fatalf("Decide = %+v", x)
	}
}
