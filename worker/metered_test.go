package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"automl/internal/probe"
	"automl/plugins"
	"automl/trial"
)

// failure names the class of a failed run from its sentinel errors and
// outcome, and nothing for a run that did not fail.
func TestFailureClass(t *testing.T) {
	for _, tc := range []struct {
		res  trial.Result
		err  error
		want string
	}{
		{trial.Result{Outcome: trial.ExitDone}, nil, ""},
		{trial.Result{Outcome: trial.ExitPruned}, nil, ""},
		{trial.Result{Outcome: trial.ExitCrashed}, nil, "trainer"},
		{trial.Result{Outcome: trial.ExitLost}, nil, "lost"},
		{trial.Result{Outcome: trial.ExitCrashed}, fmt.Errorf("%w: %w: dead", trial.ErrLost, plugins.ErrCrashed), "plugin_crashed"},
		{trial.Result{Outcome: trial.ExitCrashed}, fmt.Errorf("run: %w", plugins.ErrTimeout), "timeout"},
		{trial.Result{}, fmt.Errorf("x: %w", plugins.ErrNotFinite), "not_finite"},
		{trial.Result{}, fmt.Errorf("%w: handshake", trial.ErrLost), "lost"},
		{trial.Result{}, errors.New("other"), "error"},
	} {
		if got := failure(tc.res, tc.err); got != tc.want {
			t.Errorf("failure(%v, %v) = %q, want %q", tc.res.Outcome, tc.err, got, tc.want)
		}
	}
}

type probeRecorder struct {
	probe.Sink
	busy []string
	free []string
}

func (s *probeRecorder) SlotBusy(w, g string) { s.busy = append(s.busy, w+"/"+g) }
func (s *probeRecorder) SlotFree(w, g, outcome, reason string, d time.Duration) {
	s.free = append(s.free, fmt.Sprintf("%s/%s %s %q %v", w, g, outcome, reason, d >= 0))
}

type runner func() (trial.Result, error)

func (r runner) Run(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) { return r() }

// A metered slot reports busy before the run and free after it, with the
// outcome ("error" when the runner gave none) and the failure class.
func TestMeteredSlot(t *testing.T) {
	s := &probeRecorder{}
	defer probe.Set(s)()
	m := metered{runner(func() (trial.Result, error) { return trial.Result{Outcome: trial.ExitDone}, nil }), "box", "0,1"}
	_, _ = m.Run(context.Background(), trial.Spec{}, nil)
	m.Runner = runner(func() (trial.Result, error) { return trial.Result{}, errors.New("boom") })
	_, _ = m.Run(context.Background(), trial.Spec{}, nil)
	want := fmt.Sprint([]string{`box/0,1 done "" true`, `box/0,1 error "error" true`})
	if len(s.busy) != 2 || fmt.Sprint(s.free) != want {
		t.Errorf("busy %v free %v, want free %s", s.busy, s.free, want)
	}
	if gpuLabel([][]string{{"0", "1"}}, 0) != "0,1" || gpuLabel([][]string{{"0"}}, 1) != "none" {
		t.Error("gpuLabel")
	}
}
