package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"automl/backends/local"
	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// A study told it has MaxSlots slots (and as large a queue), with a
// billion-trial budget, run by two slots: the jobs in flight stay within
// the ramp's floor, never thousands ahead of the slots, and a drain ends
// it with its queue withdrawn.
func TestBacklogFollowsTheSlotsSeen(t *testing.T) {
	h := newHarness(t, strings.Replace(fmt.Sprintf(braninSpace, "backlog", spacefile.MaxTrials, 1),
		"function: branin", "function: branin, sleep: 2ms", 1))
	var mu sync.Mutex
	most, completed := 0, 0
	var sched *scheduler.Scheduler
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, func(c *scheduler.Config) {
		c.Slots, c.Queue = scheduler.MaxSlots, scheduler.MaxSlots
		c.Progress = func(p scheduler.Progress) {
			mu.Lock()
			defer mu.Unlock()
			most = max(most, p.Running+p.Queued)
			completed = p.Completed
			if completed >= 300 {
				sched.Drain()
			}
		}
	}, func(s *scheduler.Scheduler) { sched = s })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StudyInterrupted || completed < 300 {
		t.Fatalf("summary %+v after %d completed; want interrupted after 300", sum, completed)
	}
	// Two slots of 2 ms trials keep about 2 slots busy: the ramp's floor
	// of 128 bounds the jobs in flight (without the ramp: 8192 at the
	// first step).
	if most > 128 {
		t.Errorf("%d jobs queued or running at once for 2 slots; want at most 128", most)
	}
	created := len(h.load().Trials)
	if created > completed+128 {
		t.Errorf("%d trials created for %d completed; want at most 128 ahead", created, completed)
	}
	t.Logf("FIGURE backlog: 2 slots told %d, budget %d: at most %d jobs in flight, %d trials created for %d completed",
		scheduler.MaxSlots, spacefile.MaxTrials, most, created, completed)
}

func TestConfigLimits(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "limits", 10, 1))
	d := local.New(1, func(trial.Spec) (trial.Runner, error) { return funcs.Runner{}, nil })
	defer d.Close()
	for _, c := range []struct {
		mod  func(*scheduler.Config)
		want string
	}{
		{func(c *scheduler.Config) { c.Slots = scheduler.MaxSlots + 1 }, "slots must be 1 to 4096, got 4097"},
		{func(c *scheduler.Config) { c.Queue = scheduler.MaxSlots + 1 }, "queue must be at most 4096, got 4097"},
		{func(c *scheduler.Config) { c.Lead = scheduler.MaxSlots + 1 }, "lead must be at most 4096, got 4097"},
		{func(c *scheduler.Config) { c.Override.Trials = spacefile.MaxTrials + 1 }, "trials must be 0 to 1000000000, got 1000000001"},
		{func(c *scheduler.Config) { c.Override.Timeout = spacefile.MaxTimeout + 1 }, "timeout must be 0 to"},
	} {
		cfg := scheduler.Config{File: h.space, Store: h.store, Dispatcher: d, Slots: 1}
		c.mod(&cfg)
		if _, err := scheduler.New(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// stallingStore holds one commit until its context ends (a disk that does
// not answer), once armed.
type stallingStore struct {
	scheduler.Store
	armed   atomic.Bool
	stalled chan struct{}
}

func (s *stallingStore) Commit(ctx context.Context, study string, c scheduler.Change) error {
	if s.armed.CompareAndSwap(true, false) {
		close(s.stalled)
		<-ctx.Done()
		return ctx.Err()
	}
	return s.Store.Commit(ctx, study, c)
}

// A run cancelled while a step waits (on a commit here; on a dispatch's
// acks with NATS gone) ends as a cancelled run does: interrupted, and
// recorded so, not as a failed commit that leaves the study "running".
func TestCancelMidStepEndsInterrupted(t *testing.T) {
	h := newHarness(t, strings.Replace(fmt.Sprintf(braninSpace, "midstep", 1000, 1), "function: branin", "function: branin, sleep: 2ms", 1))
	st := &stallingStore{Store: h.store, stalled: make(chan struct{})}
	h.store = st
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-st.stalled
		cancel()
	}()
	var once sync.Once
	sum, err, _ := h.run(ctx, funcs.Runner{}, 2, func(c *scheduler.Config) {
		c.Progress = func(p scheduler.Progress) {
			if p.Completed >= 10 {
				once.Do(func() { st.armed.Store(true) })
			}
		}
	})
	if !errors.Is(err, context.Canceled) || sum.Status != scheduler.StudyInterrupted {
		t.Fatalf("run ended %v, status %q; want cancelled, interrupted", err, sum.Status)
	}
	if s := h.load().Study; s.Status != scheduler.StudyInterrupted {
		t.Errorf("stored status %q (%s); want interrupted", s.Status, s.Reason)
	}
}

// The ramp does not starve a fleet that is there: told of MaxSlots, run by
// 150 slots, the study soon keeps all 150 busy (jobs in flight reach
// them), and its backlog stays within twice the slots seen busy.
func TestBacklogRampsUpToAFleet(t *testing.T) {
	const slots = 150
	h := newHarness(t, strings.Replace(fmt.Sprintf(braninSpace, "fleet", 3000, 1),
		"function: branin", "function: branin, sleep: 20ms", 1))
	var mu sync.Mutex
	most := 0
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, slots, func(c *scheduler.Config) {
		c.Slots, c.Queue = scheduler.MaxSlots, scheduler.MaxSlots
		c.Progress = func(p scheduler.Progress) {
			mu.Lock()
			defer mu.Unlock()
			most = max(most, p.Running+p.Queued)
		}
	})
	if err != nil || sum.Status != scheduler.StudyDone {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	t.Logf("FIGURE ramp: %d slots told %d: at most %d jobs in flight", slots, scheduler.MaxSlots, most)
	if most < slots || most > 3*slots {
		t.Errorf("at most %d jobs in flight for %d slots; want them all fed, and no more than about twice as many", most, slots)
	}
}
