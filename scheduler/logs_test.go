package scheduler_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"automl/trial"
	"automl/trial/triallog"
)

// What a trainer logs reaches the study's store per trial and attempt: a
// trial that failed once and ran again keeps both attempts' lines apart,
// and the limit of the space file (trainer.log_limit) holds.
func TestTrainerLinesAreStoredPerAttempt(t *testing.T) {
	text := `
study: logs
objective: {metric: value, direction: minimize}
budget: {trials: 3, retries: 1}
algorithm: {name: random, seed: 1}
trainer: {plugin: funcs, config: {function: branin}, log_limit: 2KiB}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	h := newHarness(t, text)
	runner := trial.RunnerFunc(func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		for i := range 100 { // 3 KiB: over the limit
			triallog.Printf(rep, "trial %d attempt %d line %02d ....", spec.Key.ID, spec.Key.Attempt, i)
		}
		if spec.Key.ID == 1 && spec.Key.Attempt == 1 {
			return trial.Result{}, errors.New("the first try of trial 1 fails")
		}
		return trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"value": float64(spec.Key.ID)}}, nil
	})
	if _, err, _ := h.run(context.Background(), runner, 2, nil); err != nil {
		t.Fatal(err)
	}
	l, err := h.store.Log(context.Background(), "logs", triallog.Query{ID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if l.Attempt != 2 || !slices.Equal(l.Attempts, []int{1, 2}) || l.State != "completed" {
		t.Fatalf("trial 1's log: attempt %d of %v, state %s; want attempt 2 of [1 2], completed", l.Attempt, l.Attempts, l.State)
	}
	if l.Bytes > 2048 || l.Bytes < 2048-40 || l.Lines[len(l.Lines)-1].Text != "trial 1 attempt 2 line 99 ...." {
		t.Errorf("kept %d bytes ending %q; want the last 2 KiB", l.Bytes, l.Lines[len(l.Lines)-1].Text)
	}
	if first := l.Lines[0]; first.Stream != triallog.Note || l.Dropped == 0 {
		t.Errorf("the cut is not noted: first line %+v, dropped %d", first, l.Dropped)
	}
	a1, err := h.store.Log(context.Background(), "logs", triallog.Query{ID: 1, Attempt: 1, Tail: 1})
	if err != nil || len(a1.Lines) != 1 || a1.Lines[0].Text != "trial 1 attempt 1 line 99 ...." {
		t.Errorf("attempt 1's last line: %+v, %v", a1.Lines, err)
	}
}
