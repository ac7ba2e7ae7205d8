package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/trial"
)

// A study continues only as it was created: another space or seed is
// refused as the user's input to change (ErrCannotResume), saying what
// changed and what to do (an edited space: the changes and the flag that
// applies them).
func TestResumeRefusesAnotherSpaceOrSeed(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "guard", 3, 4))
	if _, err, _ := h.run(context.Background(), funcs.Runner{}, 1, nil); err != nil {
		t.Fatal(err)
	}
	h.text = strings.Replace(fmt.Sprintf(braninSpace, "guard", 3, 4), "high: 15", "high: 14", 1)
	h.space = parse(t, h.text)
	_, err, _ := h.run(context.Background(), funcs.Runner{}, 1, nil)
	if !errors.Is(err, scheduler.ErrCannotResume) || !errors.Is(err, scheduler.ErrSpaceChanged) || !strings.Contains(err.Error(), "x1: high 15 → 14 (narrowed)") ||
		!strings.Contains(err.Error(), "run again with --allow-space-change") || !strings.Contains(err.Error(), "to start a new study instead, change `study:`") {
		t.Fatalf("changed space: %v", err)
	}
	h.text = fmt.Sprintf(braninSpace, "guard", 3, 4)
	h.space = parse(t, h.text)
	_, err, _ = h.run(context.Background(), funcs.Runner{}, 1, func(c *scheduler.Config) { c.Seed = new(uint64(99)) })
	if !errors.Is(err, scheduler.ErrCannotResume) || !strings.Contains(err.Error(), "seed 4") {
		t.Fatalf("other seed: %v", err)
	}
	// The trainer of a study with results is part of what they mean.
	h.text = strings.Replace(h.text, "function: branin", "function: branin, noise: 0.1", 1)
	h.space = parse(t, h.text)
	if _, err, _ = h.run(context.Background(), funcs.Runner{}, 1, nil); !errors.Is(err, scheduler.ErrCannotResume) || !strings.Contains(err.Error(), "trainer config changed") {
		t.Fatalf("another trainer for trials with results: %v", err)
	}
}

// TestFixedTrainerContinuesAStudyWithoutResults: the study fail_fast
// stopped (every trial failed alike) continues once its trainer is fixed,
// even when the fix is in the space file's trainer section: no trial has
// a result that depends on the old one. The changed file is then the
// study's.
func TestFixedTrainerContinuesAStudyWithoutResults(t *testing.T) {
	text := fmt.Sprintf(braninSpace, "fixme", 10, 4)
	h := newHarness(t, strings.Replace(text, "function: branin", "function: branin, noise: 0.1", 1))
	sum, err, _ := h.run(context.Background(), causes{err: sameCause}, 1, nil)
	if err != nil || sum.Status != scheduler.StudyFailed || !strings.HasPrefix(sum.Reason, "the first 3 trials") {
		t.Fatalf("%s %q %v", sum.Status, sum.Reason, err)
	}
	h.text = text
	h.space = parse(t, text)
	sum, err, _ = h.run(context.Background(), funcs.Runner{}, 1, nil)
	// Failed trials do not count against the budget: 10 complete.
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 10 || sum.Counts[trial.Failed] != 3 {
		t.Fatalf("after the fix: %s %q %v %v; want done, the 3 failed kept and 10 completed", sum.Status, sum.Reason, sum.Counts, err)
	}
	if st := h.load().Study; string(st.SpaceText) != text {
		t.Errorf("the study keeps the old space file:\n%s", st.SpaceText)
	}
	// A parameter is still no trainer fix.
	h.text = strings.Replace(text, "high: 15", "high: 14", 1)
	h.space = parse(t, h.text)
	if _, err, _ = h.run(context.Background(), funcs.Runner{}, 1, nil); !errors.Is(err, scheduler.ErrCannotResume) {
		t.Fatalf("changed parameter: %v", err)
	}
}
