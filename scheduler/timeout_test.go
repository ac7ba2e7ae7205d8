package scheduler_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/trial"
)

// jumpClock is the real clock plus an offset the test moves forward, so a
// time budget of minutes is reached at once without waiting for it.
type jumpClock struct{ offset atomic.Int64 }

func (c *jumpClock) now() time.Time               { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *jumpClock) jump(d time.Duration)         { c.offset.Add(int64(d)) }
func (c *jumpClock) config(cfg *scheduler.Config) { cfg.Now = c.now }

// ended waits for the end of a run that must end by itself (today's
// failure mode: one that waits for its running trials for ever).
func ended(t *testing.T, done <-chan scheduler.Summary) scheduler.Summary {
	t.Helper()
	select {
	case sum := <-done:
		return sum
	case <-time.After(10 * time.Second):
		t.Fatal("the study did not end once its time budget and grace were used: it waits for its running trials")
	}
	return scheduler.Summary{}
}

// The time budget is wall time: once it is used no trial starts, the
// running ones may finish within the grace and are then stopped (not left
// to run for as long as they take) and queued again; the study ends done.
// Continued with the budget still used, it runs nothing; with a larger
// budget, the stopped trials run again and the study completes.
func TestTimeBudgetStopsRunningTrialsAfterTheGrace(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "timebudget", 8, 4))
	g := newGate()
	clock := &jumpClock{}
	var draining atomic.Bool
	var running atomic.Int64
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err, _ := h.run(context.Background(), g, 2, func(c *scheduler.Config) {
			clock.config(c)
			c.Override.Timeout = 10 * time.Minute
			c.TimeoutGrace = 30 * time.Second
			c.Progress = func(p scheduler.Progress) { draining.Store(p.Draining); running.Store(int64(p.Running)) }
		})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	waitFor(t, "2 running trials", func() bool { return g.waiting.Load() == 2 && running.Load() == 2 })
	clock.jump(10 * time.Minute)
	waitFor(t, "the drain at the end of the time budget", draining.Load)
	// Within the grace the running trials go on (the clock has not moved
	// past it, so nothing may have stopped them).
	if n := g.waiting.Load(); n != 2 {
		t.Fatalf("%d trials running within the grace, want 2", n)
	}
	select {
	case sum := <-done:
		t.Fatalf("the study ended within the grace: %+v", sum)
	default:
	}
	clock.jump(30 * time.Second)
	sum := ended(t, done)
	// No trial completed in the time, so the study found nothing: it has
	// failed (exit 1), saying why on both counts.
	if sum.Status != scheduler.StudyFailed || !strings.Contains(sum.Reason, "time budget 10m0s reached: 2 running trial(s) stopped after the 30s grace") ||
		!strings.Contains(sum.Reason, "0 of 2 trials completed") {
		t.Fatalf("summary %s (%s); want failed, saying the budget was reached, 2 trials stopped and none completed", sum.Status, sum.Reason)
	}
	waitFor(t, "the stopped runs to end", func() bool { return g.waiting.Load() == 0 })
	st := h.load()
	if c := countStates(st.Trials); c[trial.Running] != 0 || c[trial.Pending] != 2 || len(st.Trials) != 2 {
		t.Fatalf("after the time budget: %v (%d trials); want the 2 stopped trials pending, nothing else created", c, len(st.Trials))
	}
	for _, r := range st.Trials {
		if r.Attempt != 2 || !strings.Contains(r.Note, "runs again when the study continues") {
			t.Errorf("trial %d: attempt %d, note %q; want a new attempt and a note saying it runs again", r.ID, r.Attempt, r.Note)
		}
	}

	// Continued with the budget used: nothing runs, and the study says why.
	never := newCounting(funcs.Runner{})
	sum, err, _ := h.run(context.Background(), never, 2, nil)
	if err != nil || sum.Status != scheduler.StudyFailed || !strings.Contains(sum.Reason, "time budget 10m0s used before this run (10m30s elapsed): raise it") {
		t.Fatalf("continued with the budget used: %+v, %v", sum, err)
	}
	for id := range 2 {
		if n := never.count(id); n != 0 {
			t.Errorf("trial %d ran %d times in a study whose time budget was used", id, n)
		}
	}

	// A larger budget: the stopped trials run again and the study completes.
	sum, err, _ = h.run(context.Background(), funcs.Runner{}, 2, func(c *scheduler.Config) { c.Override.Timeout = time.Hour })
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 8 {
		t.Fatalf("continued with 1h: %+v, %v; want 8 completed", sum, err)
	}
}

// Grace 0: the running trials are stopped as soon as the time is up.
func TestTimeBudgetWithoutGraceStopsAtOnce(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "nograce", 8, 4))
	g := newGate()
	clock := &jumpClock{}
	var running atomic.Int64
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err, _ := h.run(context.Background(), g, 3, func(c *scheduler.Config) {
			clock.config(c)
			c.Override.Timeout = time.Minute
			c.Progress = func(p scheduler.Progress) { running.Store(int64(p.Running)) }
		})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	waitFor(t, "3 running trials", func() bool { return g.waiting.Load() == 3 && running.Load() == 3 })
	clock.jump(time.Minute)
	sum := ended(t, done)
	if sum.Status != scheduler.StudyFailed || !strings.Contains(sum.Reason, "3 running trial(s) stopped after the 0s grace") {
		t.Fatalf("summary %s (%s)", sum.Status, sum.Reason)
	}
}
