// Package exitpolicy_test holds one test: the exit policy is the same on
// every dispatcher (backends/local and backends/natsbus), end to end
// through the scheduler.
package exitpolicy_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/backends/local"
	"automl/backends/memory"
	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/scheduler"
	_ "automl/search/random"
	"automl/spacefile"
	"automl/trial"
)

// TestExitPolicyOnBothDispatchers runs one-trial studies whose trainer ends
// in every way there is, on the in-process dispatcher and on JetStream (an
// embedded server, a real worker), and checks that both end the trial the
// same way: the exit policy is one rule (trial.Ended.Classify on the
// worker, trial.Decide in the scheduler), whatever runs the trials.
func TestExitPolicyOnBothDispatchers(t *testing.T) {
	type runFunc func(ctx context.Context, attempt int, rep trial.Reporter) (trial.Result, error)
	ok := func(context.Context, int, trial.Reporter) (trial.Result, error) {
		return trial.Result{Metrics: trial.Metrics{"value": 1.5}}, nil
	}
	block := func(ctx context.Context, _ int, rep trial.Reporter) (trial.Result, error) {
		_, _ = rep.Report(ctx, 1, trial.Metrics{"value": 3})
		<-ctx.Done()
		return trial.Result{Metrics: trial.Metrics{"value": 3}}, ctx.Err()
	}
	cases := []struct {
		name     string
		budget   string // the space file's budget keys besides trials
		timeout  string // trainer.timeout
		progress string // trainer.progress_timeout
		run      runFunc
		stop     bool // the user stops the trial once it runs
		// the trial's end
		state            trial.State
		attempts         int
		failures, lost   int
		errHas, noteHas  string
		value            float64
		studyStatus      scheduler.StudyStatus
		searcherSawValue bool
	}{
		{name: "completed", run: ok, state: trial.Completed, attempts: 1, value: 1.5},
		{name: "failed: no objective", state: trial.Failed, attempts: 1, errHas: `did not report the objective metric "value"`,
			run: func(context.Context, int, trial.Reporter) (trial.Result, error) {
				return trial.Result{Metrics: trial.Metrics{"acc": 1}}, nil
			}},
		{name: "crashed, then retried to completion", budget: "retries: 1", state: trial.Completed, attempts: 2, failures: 1, value: 1.5,
			noteHas: "", run: func(ctx context.Context, attempt int, rep trial.Reporter) (trial.Result, error) {
				if attempt == 1 {
					return trial.Result{}, errors.New("CUDA error: out of memory")
				}
				return ok(ctx, attempt, rep)
			}},
		{name: "crashed over budget", budget: "retries: 1", state: trial.Failed, attempts: 2, failures: 2, errHas: "exit status 3",
			run: func(context.Context, int, trial.Reporter) (trial.Result, error) {
				return trial.Result{}, errors.New("exit status 3")
			}},
		{name: "timed out", timeout: "100ms", state: trial.Failed, attempts: 1, failures: 1, errHas: "timed out after 100ms", run: block},
		{name: "NaN reported", state: trial.Failed, attempts: 1, failures: 1, errHas: `metric "value" is NaN`,
			run: func(ctx context.Context, _ int, rep trial.Reporter) (trial.Result, error) {
				_, _ = rep.Report(ctx, 1, trial.Metrics{"value": math.NaN()})
				return trial.Result{Metrics: trial.Metrics{"value": 1}}, nil
			}},
		{name: "panicked", state: trial.Failed, attempts: 1, failures: 1, errHas: "runner panicked: boom",
			run: func(context.Context, int, trial.Reporter) (trial.Result, error) { panic("boom") }},
		{name: "lost, then re-queued", state: trial.Completed, attempts: 2, lost: 1, value: 1.5,
			run: func(ctx context.Context, attempt int, rep trial.Reporter) (trial.Result, error) {
				if attempt == 1 {
					return trial.Result{}, fmt.Errorf("node preempted: %w", trial.ErrLost)
				}
				return ok(ctx, attempt, rep)
			}},
		{name: "lost over budget", budget: "max_lost: 1", state: trial.Failed, attempts: 2, lost: 2, errHas: "lost 2 times; last:",
			run: func(context.Context, int, trial.Reporter) (trial.Result, error) {
				return trial.Result{}, fmt.Errorf("node preempted: %w", trial.ErrLost)
			}},
		{name: "pruned by the trainer", state: trial.Pruned, attempts: 1, value: 2,
			run: func(context.Context, int, trial.Reporter) (trial.Result, error) {
				return trial.Result{Outcome: trial.ExitPruned, Metrics: trial.Metrics{"value": 2}}, nil
			}},
		// A trainer that reports nothing (stopped by SIGSTOP, deadlocked)
		// is stopped after the progress timeout; the run is lost, and the
		// retry completes.
		{name: "stalled, then re-queued", progress: "200ms", state: trial.Completed, attempts: 2, lost: 1, value: 1.5,
			run: func(ctx context.Context, attempt int, rep trial.Reporter) (trial.Result, error) {
				if attempt == 1 {
					<-ctx.Done()
					return trial.Result{Outcome: trial.ExitAborted}, ctx.Err()
				}
				return ok(ctx, attempt, rep)
			}},
		{name: "stalled over budget", budget: "max_lost: 0", progress: "100ms", state: trial.Failed, attempts: 1, lost: 1,
			errHas: "reported nothing for 100ms (trainer.progress_timeout)",
			run: func(ctx context.Context, _ int, rep trial.Reporter) (trial.Result, error) {
				<-ctx.Done()
				return trial.Result{}, ctx.Err()
			}},
		// Reports keep a run alive past its progress timeout.
		{name: "reporting, not stalled", progress: "500ms", state: trial.Completed, attempts: 1, value: 2,
			run: func(ctx context.Context, _ int, rep trial.Reporter) (trial.Result, error) {
				for i := range 10 {
					if _, err := rep.Report(ctx, float64(i+1), trial.Metrics{"value": 2}); err != nil {
						return trial.Result{}, err
					}
					select {
					case <-ctx.Done():
						return trial.Result{}, ctx.Err()
					case <-time.After(100 * time.Millisecond):
					}
				}
				return trial.Result{Metrics: trial.Metrics{"value": 2}}, nil
			}},
		{name: "stopped by the user", stop: true, state: trial.Stopped, attempts: 1, value: 3, noteHas: scheduler.UserStopReason, run: block},
	}
	dispatchers := map[string]func(t *testing.T, slots int, runner trial.Runner) scheduler.Dispatcher{
		"local": func(t *testing.T, slots int, runner trial.Runner) scheduler.Dispatcher {
			d := local.New(slots, func(trial.Spec) (trial.Runner, error) { return runner, nil })
			t.Cleanup(func() { _ = d.Close() })
			return d
		},
		"natsbus": func(t *testing.T, slots int, runner trial.Runner) scheduler.Dispatcher {
			e := natstest.Start(t)
			d, err := natsbus.NewDispatcher(context.Background(), natstest.Conn(t, e, "sched"), "exit", natsbus.DispatcherOptions{Logger: quiet, JobKey: natstest.JobKey})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			w, err := natsbus.NewWorker(natstest.Conn(t, e, "worker"), func(int, trial.Spec) (trial.Runner, error) { return runner, nil },
				natsbus.WorkerOptions{Slots: slots, Name: "w", FetchWait: 100 * time.Millisecond, Logger: quiet, Trust: natstest.Trust})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = w.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			return d
		},
	}
	for dname, newDispatcher := range dispatchers {
		for _, c := range cases {
			t.Run(dname+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				// One trial, its end the subject: a failed one is not replaced.
				budget := "trials: 1, count_failed: true"
				if c.budget != "" {
					budget += ", " + c.budget
				}
				trainer := "{plugin: ./fake"
				if c.timeout != "" {
					trainer += ", timeout: " + c.timeout
				}
				if c.progress != "" {
					trainer += ", progress_timeout: " + c.progress
				}
				trainer += "}"
				f, err := spacefile.Parse("space.yaml", []byte(fmt.Sprintf(`study: exit
objective: {metric: value, direction: minimize}
budget: {%s}
algorithm: {name: random, seed: 1}
trainer: %s
parameters:
  x: {type: float, low: 0, high: 1}
`, budget, trainer)))
				if err != nil {
					t.Fatal(err)
				}
				store := memory.New()
				runner := trial.RunnerFunc(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
					return c.run(ctx, s.Key.Attempt, rep)
				})
				var s *scheduler.Scheduler
				var once sync.Once
				cfg := scheduler.Config{File: f, Store: store, Dispatcher: newDispatcher(t, 1, runner), Slots: 1}
				if c.stop {
					// The user stops the trial once the scheduler sees it run.
					cfg.Progress = func(p scheduler.Progress) {
						if p.Running > 0 {
							once.Do(func() { go s.StopTrials(context.Background(), []int{0}, "") })
						}
					}
				}
				s, err = scheduler.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := s.Run(ctx); err != nil {
					t.Fatal(err)
				}
				st, err := store.Load(context.Background(), "exit")
				if err != nil {
					t.Fatal(err)
				}
				recs := st.Trials
				if len(recs) != 1 {
					t.Fatalf("%d trials, want 1", len(recs))
				}
				r := recs[0]
				if r.State != c.state || r.Attempt != c.attempts || r.Failures != c.failures || r.Lost != c.lost {
					t.Errorf("trial ended %s after %d attempts, %d failures, %d lost; want %s, %d, %d, %d (error %q, note %q)",
						r.State, r.Attempt, r.Failures, r.Lost, c.state, c.attempts, c.failures, c.lost, r.Error, r.Note)
				}
				if (c.errHas == "") != (r.Error == "") || !strings.Contains(r.Error, c.errHas) {
					t.Errorf("error %q, want one containing %q", r.Error, c.errHas)
				}
				if c.noteHas != "" && !strings.Contains(r.Note, c.noteHas) {
					t.Errorf("note %q, want one containing %q", r.Note, c.noteHas)
				}
				if c.value != 0 && (!r.HasValue || r.Value != c.value) {
					t.Errorf("value %v (has %v), want %v", r.Value, r.HasValue, c.value)
				}
			})
		}
	}
}

var quiet = slog.New(slog.DiscardHandler)
