package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// causes fails every trial with an error its function gives for the
// trial id, except the ids in ok, which complete.
type causes struct {
	err func(id int) string
	ok  map[int]bool
}

func (c causes) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	if c.ok[spec.Key.ID] {
		return funcs.Runner{}.Run(ctx, spec, rep)
	}
	return trial.Result{}, errors.New(c.err(spec.Key.ID))
}

func sameCause(id int) string {
	// The trial's own path and numbers differ; the cause is the same.
	return fmt.Sprintf("exec: python3 exited with status 1; its log ends:\n  File \"/tmp/automl-exec-%d/train.py\", line 3\nModuleNotFoundError: No module named 'torch'", 1000+id)
}

// TestFailFastStopsTheStudy: a study whose first K trials (budget.fail_fast,
// default 3) all fail with the same cause stops with that cause, long
// before its max_failed, with no more trials failed than K and the slots.
// Failures with different causes, or a trial that works first, let it go
// on.
func TestFailFastStopsTheStudy(t *testing.T) {
	t.Run("same cause", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(braninSpace, "fast", 100, 1))
		sum, err, _ := h.run(context.Background(), causes{err: sameCause}, 2, func(c *scheduler.Config) {
			c.Override.MaxFailed = new(50)
			c.Queue = 32
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "the first 3 trials all failed with the same cause: exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'; fix it and run the same command again"
		if sum.Status != scheduler.StudyFailed || !strings.HasPrefix(sum.Reason, want) {
			t.Fatalf("%s: %q\nwant failed: %q", sum.Status, sum.Reason, want)
		}
		if n := countStates(h.load().Trials)[trial.Failed]; n < 3 || n > 3+2 {
			t.Errorf("%d failed trials; want 3 and at most the 2 slots more", n)
		}
	})
	t.Run("K from the space file", func(t *testing.T) {
		h := newHarness(t, strings.Replace(fmt.Sprintf(braninSpace, "fast5", 100, 1), "budget: {trials: 100}", "budget: {trials: 100, fail_fast: 5, max_failed: 50}", 1))
		sum, _, _ := h.run(context.Background(), causes{err: sameCause}, 1, nil)
		if sum.Status != scheduler.StudyFailed || !strings.HasPrefix(sum.Reason, "the first 5 trials") || sum.Counts[trial.Failed] != 5 {
			t.Fatalf("%s %q %v; want failed by the first 5", sum.Status, sum.Reason, sum.Counts)
		}
	})
	for _, tc := range []struct {
		name   string
		runner causes
	}{
		{"different causes", causes{err: func(id int) string { return []string{"CUDA out of memory", "KeyError: 'lr'", "segfault"}[id%3] }}},
		{"a trial worked first", causes{err: sameCause, ok: map[int]bool{0: true}}},
		{"off", causes{err: sameCause}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(braninSpace, "slow", 100, 1))
			sum, err, _ := h.run(context.Background(), tc.runner, 1, func(c *scheduler.Config) {
				c.Override.MaxFailed = new(6)
				if tc.name == "off" {
					c.Override.FailFast = new(0)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Status != scheduler.StudyFailed || !strings.HasPrefix(sum.Reason, "6 trials failed (limit 6)") {
				t.Fatalf("%s %q; want failed by max_failed, not fail_fast", sum.Status, sum.Reason)
			}
		})
	}
}

// instant is a dispatcher whose jobs all fail as soon as they are
// dispatched: a fleet that takes every queued job at once. It counts the
// jobs.
type instant struct {
	events chan scheduler.Inbound
	mu     sync.Mutex
	sent   int
}

func (d *instant) Dispatch(_ context.Context, specs []trial.Spec) error {
	d.mu.Lock()
	d.sent += len(specs)
	d.mu.Unlock()
	for _, s := range specs {
		d.events <- scheduler.Inbound{Ack: func() {}, Event: trial.Event{Key: s.Key, Kind: trial.Exited, Time: time.Now(),
			Result: &trial.Result{Outcome: trial.ExitCrashed, Error: fmt.Sprintf("trial %v: exit status 3: CUDA out of memory", s.Key)}}}
	}
	return nil
}
func (d *instant) Withdraw(context.Context, string, int) error { return nil }
func (d *instant) Stop(context.Context, trial.Key) error       { return nil }
func (d *instant) Events() <-chan scheduler.Inbound            { return d.events }

// TestFailuresStayWithinTheBudget: when max_failed (or fail_fast) ends a
// study, no more trials have failed than it allows and the slots busy at
// the time, even when the workers take queued jobs faster than the
// scheduler hears of their failures (the 13 failed of a "limit 5").
func TestFailuresStayWithinTheBudget(t *testing.T) {
	const slots = 2
	for _, tc := range []struct {
		name     string
		failFast int
		allowed  int
		lead     int
	}{
		{"max_failed", 0, 5, 0},
		{"fail_fast", 3, 3, 0},
		{"max_failed with a lead", 0, 5, 2},
		{"fail_fast with a lead", 3, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(braninSpace, "burst", 200, 1))
			d := &instant{events: make(chan scheduler.Inbound, 10000)}
			s, err := scheduler.New(scheduler.Config{
				File: h.space, Store: h.store, Dispatcher: d, Slots: slots, Queue: 32, Lead: tc.lead,
				Override: spacefile.Budget{MaxFailed: new(5), FailFast: new(tc.failFast)},
			})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := s.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			failed := countStates(h.load().Trials)[trial.Failed]
			if most := tc.allowed + slots + tc.lead; sum.Status != scheduler.StudyFailed || failed < tc.allowed || failed > most {
				t.Fatalf("%s (%s): %d trials failed, %d jobs sent; want between %d and %d (the budget, the slots and the lead)",
					sum.Status, sum.Reason, failed, d.sent, tc.allowed, most)
			}
		})
	}
}

// TestNoCompletedTrialIsAFailedStudy: a study that used its budget with
// every trial failed (within max_failed, fail_fast off, count_failed) has failed, with
// how its trials ended and their cause; with one completed trial it is
// done.
func TestNoCompletedTrialIsAFailedStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "nothing", 4, 1))
	// count_failed: the 4 failed trials use the budget of 4 (by default
	// others would take their place until max_failed).
	sum, err, _ := h.run(context.Background(), causes{err: sameCause}, 1, func(c *scheduler.Config) { c.Override.FailFast, c.Override.CountFailed = new(0), true })
	if err != nil {
		t.Fatal(err)
	}
	want := "0 of 4 trials completed (4 failed): exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch' (4 of the failed trials)"
	if sum.Status != scheduler.StudyFailed || sum.Reason != want {
		t.Fatalf("%s %q\nwant failed %q", sum.Status, sum.Reason, want)
	}
	if st := h.load().Study; st.Status != scheduler.StudyFailed || st.Reason != want {
		t.Errorf("stored as %s %q", st.Status, st.Reason)
	}

	h = newHarness(t, fmt.Sprintf(braninSpace, "one", 4, 1))
	sum, err, _ = h.run(context.Background(), causes{err: sameCause, ok: map[int]bool{3: true}}, 1, func(c *scheduler.Config) { c.Override.FailFast, c.Override.CountFailed = new(0), true })
	if err != nil || sum.Status != scheduler.StudyDone {
		t.Fatalf("one completed trial: %s %q %v", sum.Status, sum.Reason, err)
	}
}
