package scheduler_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/trial"
)

// dropping is a dispatcher that silently loses the first attempt of one
// trial (a purged stream, say) and, as a Reconciler, reports it vanished.
type dropping struct {
	scheduler.Dispatcher
	drop    int
	mu      sync.Mutex
	dropped map[trial.Key]bool
	checks  int
}

func (d *dropping) Dispatch(ctx context.Context, specs []trial.Spec) error {
	var keep []trial.Spec
	d.mu.Lock()
	for _, s := range specs {
		if s.Key.ID == d.drop && s.Key.Attempt == 1 {
			d.dropped[s.Key] = true
			continue
		}
		keep = append(keep, s)
	}
	d.mu.Unlock()
	return d.Dispatcher.Dispatch(ctx, keep)
}

func (d *dropping) Vanished(_ context.Context, keys []trial.Key) ([]trial.Key, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checks++
	var gone []trial.Key
	for _, k := range keys {
		if d.dropped[k] {
			gone = append(gone, k)
		}
	}
	return gone, nil
}

func (d *dropping) ReconcileEvery() time.Duration { return 20 * time.Millisecond }

// TestVanishedJobRunsAgain: a job that disappears without a result does not
// stall the study; the reconciliation check finds it and runs the trial
// again as lost (not a failure of the trial).
func TestVanishedJobRunsAgain(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "vanish", 6, 1))
	d := &dropping{drop: 3, dropped: map[trial.Key]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, err, _ := h.run(ctx, funcs.Runner{}, 2, func(c *scheduler.Config) {
		d.Dispatcher = c.Dispatcher
		c.Dispatcher = d
	})
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 6 {
		t.Fatalf("summary %+v, err %v; want all 6 trials completed", sum, err)
	}
	for _, r := range h.load().Trials {
		want := 1
		if r.ID == d.drop {
			want = 2
		}
		if r.Attempt != want || r.Failures != 0 || r.Lost != want-1 {
			t.Errorf("trial %d: attempt %d, failures %d, lost %d; want attempt %d, no failure, %d lost", r.ID, r.Attempt, r.Failures, r.Lost, want, want-1)
		}
	}
}

// refusing is a dispatcher that cannot deliver one trial's job at all.
type refusing struct {
	recorder
	refuse int
}

func (d *refusing) Dispatch(ctx context.Context, specs []trial.Spec) error {
	var keep []trial.Spec
	var refused error
	for _, s := range specs {
		if s.Key.ID == d.refuse {
			d.mu.Lock()
			d.keys = append(d.keys, s.Key)
			d.mu.Unlock()
			refused = &scheduler.Undeliverable{Key: s.Key, Reason: "its job is too big"}
			continue
		}
		keep = append(keep, s)
	}
	if err := d.recorder.Dispatch(ctx, keep); err != nil {
		return err
	}
	return refused
}

// TestUndeliverableJobFailsItsTrial: a job the transport can never carry
// fails its trial with the reason, once (no retry loop), and the other
// trials run.
func TestUndeliverableJobFailsItsTrial(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "undeliverable", 5, 1))
	d := &refusing{refuse: 2}
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, func(c *scheduler.Config) {
		d.Dispatcher = c.Dispatcher
		c.Dispatcher = d
		c.Override.Retries = new(3)
		c.Override.MaxFailed = new(10)
	})
	// The failed trial does not count against the budget of 5: another
	// takes its place.
	if err != nil || sum.Counts[trial.Completed] != 5 || sum.Counts[trial.Failed] != 1 {
		t.Fatalf("summary %+v, err %v; want 5 completed and 1 failed", sum, err)
	}
	if n := d.attempts(2); n != 1 {
		t.Errorf("the undeliverable job was dispatched %d times; want once", n)
	}
	for _, r := range h.load().Trials {
		if r.ID == 2 && (r.State != trial.Failed || !strings.Contains(r.Error, "too big")) {
			t.Errorf("trial 2: %s %q; want failed naming why its job cannot be sent", r.State, r.Error)
		}
	}
}
