package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"automl/backends/natsbus"
	"automl/trial"
)

// Every way a run can end maps to one outcome, with an error naming the
// trial; a failing run never takes its slot down (one slot runs them all).
func TestOutcomes(t *testing.T) {
	type runFunc = func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error)
	cases := []struct {
		name    string
		run     runFunc
		factory error // returned by RunnerFor instead of a runner
		timeout time.Duration
		outcome trial.Outcome
		errHas  string // "" means no error
	}{
		{name: "done", outcome: trial.ExitDone,
			run: func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
				return trial.Result{Metrics: trial.Metrics{"loss": 0.5}}, nil
			}},
		{name: "paused kept", outcome: trial.ExitPaused,
			run: func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
				return trial.Result{Outcome: trial.ExitPaused, Checkpoint: "c"}, nil
			}},
		{name: "error", outcome: trial.ExitCrashed, errHas: "exit status 3",
			run: func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
				return trial.Result{}, errors.New("exit status 3")
			}},
		{name: "lost", outcome: trial.ExitLost, errHas: "preempted",
			run: func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
				return trial.Result{}, fmt.Errorf("node preempted: %w", trial.ErrLost)
			}},
		{name: "panic", outcome: trial.ExitCrashed, errHas: "boom at the trainer",
			run: func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
				panic("boom at the trainer")
			}},
		{name: "nan report", outcome: trial.ExitCrashed, errHas: `metric "loss" is NaN at step 2`,
			run: func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
				_, _ = rep.Report(ctx, 1, trial.Metrics{"loss": 1})
				if d, err := rep.Report(ctx, 2, trial.Metrics{"loss": math.NaN()}); err == nil || d != trial.Stop {
					return trial.Result{}, errors.New("NaN report was accepted")
				}
				// A trainer that ignores the error still fails.
				return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
			}},
		{name: "inf result", outcome: trial.ExitCrashed, errHas: `final metric "acc" is +Inf`,
			run: func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
				return trial.Result{Metrics: trial.Metrics{"acc": math.Inf(1)}}, nil
			}},
		{name: "factory error", outcome: trial.ExitCrashed, errHas: "unknown trainer",
			factory: errors.New("unknown trainer fake")},
		{name: "factory lost", outcome: trial.ExitLost, errHas: "cannot start plugin",
			factory: fmt.Errorf("cannot start plugin: %w", trial.ErrLost)},
		{name: "timeout", outcome: trial.ExitCrashed, errHas: "timed out after 50ms", timeout: 50 * time.Millisecond,
			run: func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
				<-ctx.Done()
				return trial.Result{}, ctx.Err()
			}},
	}
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	byID := map[int]int{}
	var specs []trial.Spec
	var keys []trial.Key
	for i, c := range cases {
		s := spec(i+1, 1)
		s.Trainer.Timeout = c.timeout
		byID[s.Key.ID] = i
		specs, keys = append(specs, s), append(keys, s.Key)
	}
	startWorker(t, nc, func(_ int, s trial.Spec) (trial.Runner, error) {
		c := cases[byID[s.Key.ID]]
		if c.factory != nil {
			return nil, c.factory
		}
		return trial.RunnerFunc(c.run), nil
	}, natsbus.WorkerOptions{Slots: 1})
	if err := d.Dispatch(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	got := untilExited(t, d, keys...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := keys[i]
			res := exitOf(t, got[k]).Result
			if res.Outcome != c.outcome {
				t.Errorf("outcome %v, want %v (error %q)", res.Outcome, c.outcome, res.Error)
			}
			if c.errHas == "" && res.Error != "" {
				t.Errorf("error %q, want none", res.Error)
			}
			if c.errHas != "" && (!strings.Contains(res.Error, c.errHas) || !strings.Contains(res.Error, k.String())) {
				t.Errorf("error %q, want it to name %v and contain %q", res.Error, k, c.errHas)
			}
		})
	}
}

// Stop aborts the running attempt: its context is cancelled, its Reporter
// answers Stop, and it exits aborted.
func TestStop(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	sawCancel := make(chan bool, 1)
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		<-ctx.Done()
		dir, _ := rep.Report(context.Background(), 1, trial.Metrics{"loss": 1})
		sawCancel <- dir == trial.Stop
		return trial.Result{}, ctx.Err()
	}), natsbus.WorkerOptions{Slots: 1})
	s := spec(7, 3)
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, d, true); ev.Kind != trial.Started || ev.Key != s.Key {
		t.Fatalf("first event %v %v, want started %v", ev.Kind, ev.Key, s.Key)
	}
	if err := d.Stop(context.Background(), s.Key); err != nil {
		t.Fatal(err)
	}
	got := untilExited(t, d, s.Key)
	res := exitOf(t, got[s.Key]).Result
	if res.Outcome != trial.ExitAborted || !strings.Contains(res.Error, s.Key.String()) {
		t.Fatalf("result %+v, want aborted naming %v", res, s.Key)
	}
	if !<-sawCancel {
		t.Error("Reporter did not answer Stop after the stop request")
	}
}
