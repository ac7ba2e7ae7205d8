package study_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"automl/backends/bolt"
	"automl/scheduler"
	"automl/spacefile"
	"automl/study"
	"automl/trial"
)

const quadratic = `
study: ask-tell
objective: {metric: loss, direction: minimize}
budget: {trials: %d}
algorithm: {name: %s, seed: 5}
parameters:
  x: {type: float, low: -3, high: 3}
  y: {type: float, low: -3, high: 3}
`

func space(t *testing.T, text string) *spacefile.File {
	t.Helper()
	f, err := spacefile.ParseWithoutTrainer("space.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func loss(tr *study.Trial) float64 {
	x, y := tr.Params.Float("x", math.NaN()), tr.Params.Float("y", math.NaN())
	return (x-1)*(x-1) + (y+2)*(y+2)
}

// runAll asks and tells until the study ends; it returns the losses told.
func runAll(t *testing.T, s *study.Study) []float64 {
	t.Helper()
	ctx := context.Background()
	var told []float64
	for {
		tr, err := s.Ask(ctx)
		if errors.Is(err, study.ErrDone) {
			return told
		}
		if err != nil {
			t.Fatal(err)
		}
		l := loss(tr)
		if err := s.Tell(ctx, tr, trial.Metrics{"loss": l}); err != nil {
			t.Fatal(err)
		}
		told = append(told, l)
	}
}

func TestAskTellRunsTheStudyToItsBudget(t *testing.T) {
	db := filepath.Join(t.TempDir(), "automl.db")
	s, err := study.Open(db, space(t, fmt.Sprintf(quadratic, 25, "tpe")), nil)
	if err != nil {
		t.Fatal(err)
	}
	told := runAll(t, s)
	sum, err := s.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(told) != 25 || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 25 {
		t.Fatalf("told %d trials, summary %s %v", len(told), sum.Status, sum.Counts)
	}
	best := math.Inf(1)
	for _, l := range told {
		best = min(best, l)
	}
	if !sum.HasBest || sum.Best.Value != best {
		t.Fatalf("best trial value %v (has %v), want the lowest told %v", sum.Best.Value, sum.HasBest, best)
	}
	// TPE, told the results, does better than its random start.
	if first := slicesMin(told[:10]); best >= first {
		t.Fatalf("best after 25 trials %.4f, no better than the 10 random ones' %.4f", best, first)
	}
	// The file is an automl study file: the CLI's reader sees every trial.
	r, err := bolt.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := r.Load(context.Background(), "ask-tell")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Trials) != 25 {
		t.Fatalf("stored %d trials, want 25", len(st.Trials))
	}
}

func slicesMin(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func TestSameSeedSameTellsSameTrials(t *testing.T) {
	var runs [2][]float64
	for i := range runs {
		s, err := study.Open(filepath.Join(t.TempDir(), "automl.db"), space(t, fmt.Sprintf(quadratic, 15, "gp")), nil)
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = runAll(t, s)
		s.Close()
	}
	if fmt.Sprint(runs[0]) != fmt.Sprint(runs[1]) {
		t.Fatalf("two runs of one seed differ:\n%v\n%v", runs[0], runs[1])
	}
}

func TestATrialAskedAndNotToldIsHandedOutAgain(t *testing.T) {
	db := filepath.Join(t.TempDir(), "automl.db")
	sp := space(t, fmt.Sprintf(quadratic, 8, "random"))
	ctx := context.Background()
	s, err := study.Open(db, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tr, err := s.Ask(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Tell(ctx, tr, trial.Metrics{"loss": loss(tr)}); err != nil {
			t.Fatal(err)
		}
	}
	open, err := s.Ask(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The program died with trial `open` in training: the next run hands
	// it out again, same id and parameters, and the budget still holds.
	s, err = study.Open(db, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Ask(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != open.ID || fmt.Sprint(again.Params) != fmt.Sprint(open.Params) {
		t.Fatalf("after reopening got trial %d %v, want the untold trial %d %v", again.ID, again.Params, open.ID, open.Params)
	}
	if err := s.Tell(ctx, again, trial.Metrics{"loss": loss(again)}); err != nil {
		t.Fatal(err)
	}
	rest := runAll(t, s)
	sum, _ := s.Summary(ctx)
	s.Close()
	if len(rest) != 4 || sum.Counts[trial.Completed] != 8 {
		t.Fatalf("after the reopen: %d more trials, %v in all; want 4 more, 8 completed", len(rest), sum.Counts)
	}
}

func TestParallelBoundsTrialsInHand(t *testing.T) {
	ctx := context.Background()
	s, err := study.Open(filepath.Join(t.TempDir(), "automl.db"), space(t, fmt.Sprintf(quadratic, 6, "random")), &study.Options{Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Ask(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Ask(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID {
		t.Fatalf("two asks handed out trial %d twice", a.ID)
	}
	if _, err := s.Ask(ctx); err == nil || !strings.Contains(err.Error(), "2 trials asked and not told") {
		t.Fatalf("a third ask with Parallel 2: %v", err)
	}
	if err := s.Tell(ctx, a, trial.Metrics{"other": 1}); err == nil || !strings.Contains(err.Error(), `no "loss" (the objective)`) {
		t.Fatalf("metrics without the objective: %v", err)
	}
	for _, tr := range []*study.Trial{a, b} {
		if err := s.Tell(ctx, tr, trial.Metrics{"loss": loss(tr)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Tell(ctx, a, trial.Metrics{"loss": 1}); err == nil {
		t.Fatal("a trial told twice was accepted")
	}
	if n := len(runAll(t, s)); n != 4 {
		t.Fatalf("%d more trials, want 4", n)
	}
}

func TestFailedTrialsFollowTheFailureBudget(t *testing.T) {
	ctx := context.Background()
	text := strings.Replace(fmt.Sprintf(quadratic, 5, "random"), "budget: {trials: 5}", "budget: {trials: 5, retries: 1, max_failed: 2}", 1)
	s, err := study.Open(filepath.Join(t.TempDir(), "automl.db"), space(t, text), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	attempts := map[int]int{}
	for {
		tr, err := s.Ask(ctx)
		if errors.Is(err, study.ErrDone) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		attempts[tr.ID]++
		if err := s.Fail(ctx, tr, errors.New("CUDA out of memory")); err != nil {
			t.Fatal(err)
		}
	}
	sum, _ := s.Summary(ctx)
	if sum.Status != scheduler.StudyFailed || sum.Counts[trial.Failed] != 2 {
		t.Fatalf("summary %s %v, want failed with 2 failed trials", sum.Status, sum.Counts)
	}
	for id, n := range attempts {
		if n != 2 {
			t.Errorf("trial %d ran %d times, want 2 (retries: 1)", id, n)
		}
	}
	if !strings.Contains(sum.Reason, "failed") {
		t.Errorf("reason %q", sum.Reason)
	}
}

func TestReportPrunesPoorTrials(t *testing.T) {
	ctx := context.Background()
	text := `
study: ask-tell-median
objective: {metric: loss, direction: minimize}
budget: {trials: 20}
algorithm: {name: median, seed: 3, max_resource: 8, n_startup_trials: 3}
parameters:
  x: {type: float, low: 0, high: 1}
`
	s, err := study.Open(filepath.Join(t.TempDir(), "automl.db"), space(t, text), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stoppedEarly := 0
	for {
		tr, err := s.Ask(ctx)
		if errors.Is(err, study.ErrDone) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		x := tr.Params.Float("x", 0)
		var last float64
		for step := tr.From + 1; step <= tr.To; step++ {
			last = x + 1/step // a learning curve: lower x is better at every step
			stop, err := tr.Report(ctx, step, trial.Metrics{"loss": last})
			if err != nil {
				t.Fatal(err)
			}
			if stop {
				if step < tr.To {
					stoppedEarly++
				}
				break
			}
		}
		if err := s.Tell(ctx, tr, trial.Metrics{"loss": last}); err != nil {
			t.Fatal(err)
		}
	}
	sum, _ := s.Summary(ctx)
	if sum.Counts[trial.Pruned] == 0 || stoppedEarly != sum.Counts[trial.Pruned] {
		t.Fatalf("%v; %d trials told to stop early", sum.Counts, stoppedEarly)
	}
	if sum.Counts[trial.Pruned]+sum.Counts[trial.Completed] != 20 {
		t.Fatalf("%v: want 20 trials, pruned or completed", sum.Counts)
	}
}

// TestOpenWithAnEditedSpace: a study reopened with an edited space is
// refused with the changes, and goes on in the new space (a new version
// of it recorded) with Options.AllowSpaceChange.
func TestOpenWithAnEditedSpace(t *testing.T) {
	db := filepath.Join(t.TempDir(), "automl.db")
	s, err := study.Open(db, space(t, fmt.Sprintf(quadratic, 4, "tpe")), nil)
	if err != nil {
		t.Fatal(err)
	}
	runAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wide := space(t, strings.Replace(fmt.Sprintf(quadratic, 4, "tpe"), "x: {type: float, low: -3, high: 3}", "x: {type: float, low: -3, high: 6}", 1))
	if _, err := study.Open(db, wide, nil); !errors.Is(err, scheduler.ErrSpaceChanged) || !strings.Contains(err.Error(), "x: high 3 → 6 (widened)") {
		t.Fatalf("reopened with x widened: %v; want the change refused", err)
	}
	s, err = study.Open(db, wide, &study.Options{AllowSpaceChange: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := bolt.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := r.Load(context.Background(), "ask-tell")
	if err != nil {
		t.Fatal(err)
	}
	if vs := st.Study.Versions(); len(vs) != 2 || vs[1].FirstTrial != 4 || vs[1].Changes[0] != "x: high 3 → 6 (widened)" {
		t.Errorf("versions %+v", vs)
	}
}
