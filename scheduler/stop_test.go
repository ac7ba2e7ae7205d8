package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"automl/backends/local"
	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/trial"
)

// lostOnStop holds every trial until released; a trial whose context is
// cancelled (stopped) reports its worker lost, which the scheduler would
// normally re-queue.
type lostOnStop struct {
	*gate
	mu   sync.Mutex
	runs map[int]int
}

func (l *lostOnStop) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	l.mu.Lock()
	l.runs[spec.Key.ID]++
	l.mu.Unlock()
	l.started.Add(1)
	l.waiting.Add(1)
	defer l.waiting.Add(-1)
	select {
	case <-l.release:
		return funcs.Runner{}.Run(ctx, spec, rep)
	case <-ctx.Done():
		return trial.Result{}, fmt.Errorf("%w: worker shut down under the trial", trial.ErrLost)
	}
}

func (l *lostOnStop) ran(id int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[id]
}

// A user's stop ends a running trial and a queued one as stopped: neither
// is retried (even though the stopped run reports its worker lost), the
// queued one never runs, and the rest of the study goes on.
func TestUserStopsTrials(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "userstop", 6, 4))
	r := &lostOnStop{gate: newGate(), runs: map[int]int{}}
	schedCh := make(chan *scheduler.Scheduler, 1)
	done := make(chan scheduler.Summary, 1)
	var last scheduler.Progress // written by Run's goroutine, read after it ended
	go func() {
		// One slot and a queue of one: trial 0 runs, trial 1 waits.
		sum, err, _ := h.run(context.Background(), r, 1, func(c *scheduler.Config) {
			c.Queue = 1
			c.Progress = func(p scheduler.Progress) { last = p }
		}, func(s *scheduler.Scheduler) { schedCh <- s })
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	sched := <-schedCh
	waitFor(t, "trial 0 running", func() bool { return r.ran(0) == 1 })
	res, err := sched.StopTrials(context.Background(), []int{0, 1, 99}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Stopping, []int{0}) || !slices.Equal(res.Stopped, []int{1}) || !slices.Equal(res.Unknown, []int{99}) || res.Draining {
		t.Fatalf("stop result %+v; want stopping [0], stopped [1], unknown [99]", res)
	}
	// The stop reaches trial 0's worker after the reply: wait for it before
	// letting the trials finish.
	waitFor(t, "trial 0 stopped", func() bool {
		st := h.load()
		return len(st.Trials) > 0 && st.Trials[0].State == trial.Stopped
	})
	close(r.release)
	sum := <-done
	if sum.Status != scheduler.StudyDone {
		t.Fatalf("status %s (%s), want done", sum.Status, sum.Reason)
	}
	c := countStates(h.load().Trials)
	if c[trial.Stopped] != 2 || c[trial.Completed] != 4 || len(h.load().Trials) != 6 {
		t.Fatalf("states %v; want 2 stopped, 4 completed, 6 trials", c)
	}
	// Progress displays count them as stopped, not as pruned.
	if last.Stopped != 2 || last.Pruned != 0 || last.Finished() != 6 {
		t.Errorf("last progress: stopped %d, pruned %d, finished %d; want 2, 0, 6", last.Stopped, last.Pruned, last.Finished())
	}
	for _, rec := range h.load().Trials[:2] {
		if rec.State != trial.Stopped || rec.Note != scheduler.UserStopReason || rec.Attempt != 1 || rec.Lost != 0 {
			t.Errorf("trial %d: state %s note %q attempt %d lost %d; want stopped by the user, attempt 1, never re-queued",
				rec.ID, rec.State, rec.Note, rec.Attempt, rec.Lost)
		}
	}
	if n := r.ran(1); n != 0 {
		t.Errorf("the stopped queued trial ran %d times", n)
	}
	if _, err := sched.StopTrials(context.Background(), []int{2}, ""); !errors.Is(err, scheduler.ErrNotRunning) {
		t.Errorf("stop after Run returned: err %v, want ErrNotRunning", err)
	}
}

// A stop request for a finished trial changes nothing and says so.
func TestUserStopOfFinishedTrial(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "stopdone", 3, 4))
	g := newGate()
	schedCh := make(chan *scheduler.Scheduler, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err, _ := h.run(context.Background(), g, 1, nil, func(s *scheduler.Scheduler) { schedCh <- s }); err != nil {
			t.Error(err)
		}
	}()
	sched := <-schedCh
	waitFor(t, "a first trial", func() bool { return g.started.Load() == 1 })
	g.release <- struct{}{} // the gate is unbuffered: trial 0 finishes
	waitFor(t, "a second trial", func() bool { return g.started.Load() == 2 })
	res, err := sched.StopTrials(context.Background(), []int{0}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Finished[0] != trial.Completed || len(res.Stopping)+len(res.Stopped) != 0 {
		t.Fatalf("stop of a completed trial: %+v", res)
	}
	close(g.release)
	<-done
	if st := h.load().Trials[0].State; st != trial.Completed {
		t.Fatalf("trial 0 is %s after a stop request came too late, want completed", st)
	}
}

// A stop request without trial ids drains the study: it ends interrupted,
// with the running trials finished, and can be continued.
func TestUserStopsStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "stopstudy", 10, 4))
	g := newGate()
	schedCh := make(chan *scheduler.Scheduler, 1)
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err, _ := h.run(context.Background(), g, 2, nil, func(s *scheduler.Scheduler) { schedCh <- s })
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	sched := <-schedCh
	waitFor(t, "2 running trials", func() bool { return g.waiting.Load() == 2 })
	res, err := sched.StopTrials(context.Background(), nil, "")
	if err != nil || !res.Draining {
		t.Fatalf("stop study: %+v %v", res, err)
	}
	close(g.release)
	sum := <-done
	if sum.Status != scheduler.StudyInterrupted || sum.Reason != scheduler.UserStopReason || sum.Counts[trial.Completed] != 2 {
		t.Fatalf("summary %+v; want interrupted, %q, 2 completed", sum, scheduler.UserStopReason)
	}
	sum, err, _ = h.run(context.Background(), funcs.Runner{}, 2, nil)
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 10 {
		t.Fatalf("continued study: %+v %v", sum, err)
	}
}

type checkpointing struct{}

func (checkpointing) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	res, err := funcs.Runner{}.Run(ctx, spec, rep)
	res.Checkpoint = fmt.Sprintf("%s/%d/1", spec.Key.Study, spec.Key.ID)
	return res, err
}

// Once a trial is final its checkpoints are deleted (by a dispatcher that
// keeps them), each trial once.
func TestCheckpointsOfFinishedTrialsAreDeleted(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "clean", 7, 4))
	l := local.New(2, func(trial.Spec) (trial.Runner, error) { return checkpointing{}, nil })
	defer l.Close()
	d := &recorder{Dispatcher: l}
	s, err := scheduler.New(scheduler.Config{File: h.space, Store: h.store, Dispatcher: d, Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := s.Run(context.Background()); err != nil || sum.Counts[trial.Completed] != 7 {
		t.Fatalf("%+v %v", sum, err)
	}
	d.mu.Lock()
	got := slices.Sorted(slices.Values(d.cleaned))
	d.mu.Unlock()
	if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Fatalf("checkpoints deleted for trials %v, want each of 0..6 once", got)
	}
}
