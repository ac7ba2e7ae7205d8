package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

// fails is a trainer that fails every trial until its file exists: a bug
// that a fix (the file) removes.
type fails struct{ fixed string }

func (f fails) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	if _, err := os.Stat(f.fixed); err != nil {
		return trial.Result{}, errors.New("bug: division by zero")
	}
	return funcs.Runner{}.Run(ctx, spec, rep)
}

// Failed trials do not count against the trial budget: others take their
// place, until max_failed fails the study. With count_failed they do, and
// a study whose every trial failed fails. Trials a user asked to rerun
// while the study was stopped (Study.Rerun) run again at its next run as
// new attempts of the same trials, with the same parameters, keeping the
// attempts that failed.
func TestFailedTrialsBudgetAndRerun(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "replaced", 3, 1))
	sum, err, _ := h.run(context.Background(), fails{filepath.Join(t.TempDir(), "never")}, 1, func(c *scheduler.Config) { c.Override.MaxFailed, c.Override.FailFast = new(5), new(0) })
	if err != nil || sum.Status != scheduler.StudyFailed || sum.Counts[trial.Failed] != 5 || !strings.HasPrefix(sum.Reason, "5 trials failed (limit 5)") {
		t.Fatalf("%+v %v; want 5 failed trials, the study failed on max_failed", sum, err)
	}

	fixed := filepath.Join(t.TempDir(), "fixed")
	h = newHarness(t, strings.Replace(fmt.Sprintf(braninSpace, "retry", 3, 1), "budget: {trials: 3}", "budget: {trials: 3, count_failed: true}", 1))
	sum, err, _ = h.run(context.Background(), fails{fixed}, 1, func(c *scheduler.Config) { c.Override.FailFast = new(0) })
	if err != nil || sum.Status != scheduler.StudyFailed || !strings.HasPrefix(sum.Reason, "0 of 3 trials completed (3 failed)") {
		t.Fatalf("%+v %v; want the study failed: every trial failed", sum, err)
	}
	before := h.load()
	before.Study.Rerun = []int{0, 2}
	if err := h.store.Commit(context.Background(), "retry", scheduler.Change{Study: before.Study}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixed, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err, _ = h.run(context.Background(), fails{fixed}, 1, nil)
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 2 || sum.Counts[trial.Failed] != 1 {
		t.Fatalf("after the fix: %+v %v; want trials 0 and 2 completed, 1 still failed", sum, err)
	}
	after := h.load()
	for _, id := range []int{0, 2} {
		r := after.Trials[id]
		if r.Attempt != 2 || !reflect.DeepEqual(r.Params, before.Trials[id].Params) || len(r.Earlier) != 1 || r.Earlier[0].Outcome != trial.ExitCrashed ||
			!strings.Contains(r.Earlier[0].Error, "division by zero") || r.Earlier[0].Attempt != 1 || r.Failures != 0 {
			t.Errorf("trial %d: attempt %d, params %v (were %v), earlier %+v; want attempt 2 with the same parameters and the failed one kept", id, r.Attempt, r.Params, before.Trials[id].Params, r.Earlier)
		}
	}
	if len(after.Trials) != 3 || len(after.Study.Rerun) != 0 {
		t.Errorf("%d trials, rerun %v; want the same 3 and nothing left to rerun", len(after.Trials), after.Study.Rerun)
	}
}

// Edit changes a running study inside its loop: what it changes is
// committed before Edit returns, a change that fails changes nothing, and
// the trials it reruns run again at once.
func TestEditARunningStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "edit", 2, 1))
	g := newGate()
	ready := make(chan struct{})
	schedCh := make(chan *scheduler.Scheduler, 1)
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err, _ := h.run(context.Background(), g, 2, func(c *scheduler.Config) { c.Ready = func() { close(ready) } }, func(s *scheduler.Scheduler) { schedCh <- s })
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	s := <-schedCh
	<-ready
	waitFor(t, "2 trials running", func() bool { return g.waiting.Load() == 2 })
	refused := errors.New("no")
	if err := s.Edit(context.Background(), func(e *scheduler.Edit) error { return refused }); err != refused {
		t.Fatalf("a failed edit returned %v", err)
	}
	err := s.Edit(context.Background(), func(e *scheduler.Edit) error {
		if e.Counted != 2 || len(e.Trials) != 2 || e.Counts[trial.Running] != 2 {
			return fmt.Errorf("edit sees %d counted, %d trials, counts %v", e.Counted, len(e.Trials), e.Counts)
		}
		e.Study.Trials = 3
		e.Study.Queue = append(e.Study.Queue, scheduler.Queued{Params: value.Values{{Name: "x0", Value: value.Float(1)}, {Name: "x1", Value: value.Float(2)}}, Source: "p.csv:2", By: "ana@box"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := h.load().Study; st.Trials != 3 || len(st.Queue) != 1 {
		t.Errorf("edit not committed: %d trials, queue %v", st.Trials, st.Queue)
	}
	close(g.release)
	sum := <-done
	trs := h.load().Trials
	if sum.Counts[trial.Completed] != 3 || trs[2].Origin != "queued from p.csv:2 by ana@box" || trs[2].Params.Map()["x0"] != 1.0 {
		t.Fatalf("%+v; trial 2 %v from %q; want the queued configuration as the third trial", sum, trs[2].Params, trs[2].Origin)
	}
	if _, err := s.StopTrials(context.Background(), nil, ""); !errors.Is(err, scheduler.ErrNotRunning) {
		t.Errorf("stop after the run: %v", err)
	}
}

// Progress counts the trials the budget counts: failed ones only with
// count_failed (else other trials take their place).
func TestProgressCountsWhatTheBudgetCounts(t *testing.T) {
	p := scheduler.Progress{Budget: 10, Completed: 3, Failed: 2, Pruned: 1, Elapsed: 4 * time.Second}
	if eta, ok := p.ETA(); p.Finished() != 4 || !ok || eta != 6*time.Second {
		t.Errorf("finished %d, eta %v; want 4 (failed trials replaced) and 6s", p.Finished(), eta)
	}
	p.CountFailed = true
	if eta, _ := p.ETA(); p.Finished() != 6 || eta.Round(time.Millisecond) != 2667*time.Millisecond {
		t.Errorf("count_failed: finished %d, eta %v; want 6 and 2.667s", p.Finished(), eta)
	}
}
