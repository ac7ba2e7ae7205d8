package plugins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"automl/backends/local"
	"automl/backends/memory"
	"automl/plugins"
	"automl/plugins/internal/proc"
	"automl/scheduler"
	_ "automl/search/random"
	"automl/spacefile"
	"automl/trial"
)

// slotPool runs each job on a free slot of a worker's: the local
// dispatcher's runner for plugin slots.
type slotPool chan *plugins.Slot

func newSlotPool(t *testing.T, n int, opts plugins.HostOptions) slotPool {
	pool := make(slotPool, n)
	for range n {
		s := plugins.NewSlot(opts)
		t.Cleanup(func() { s.Close() })
		pool <- s
	}
	return pool
}

func (p slotPool) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	s := <-p
	defer func() { p <- s }()
	return s.Run(ctx, spec, rep)
}

// runStudy runs the study of the space file text to its end on slots
// plugin slots through the scheduler and the in-process dispatcher, and
// returns its trials.
func runStudy(t *testing.T, text string, slots int, opts plugins.HostOptions) []trial.Record {
	t.Helper()
	f, err := spacefile.Parse("space.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	pool := newSlotPool(t, slots, opts)
	d := local.New(slots, func(trial.Spec) (trial.Runner, error) { return pool, nil })
	defer d.Close()
	store := memory.New()
	s, err := scheduler.New(scheduler.Config{File: f, Store: store, Dispatcher: d, Slots: slots})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.Load(context.Background(), f.Study)
	if err != nil {
		t.Fatal(err)
	}
	return st.Trials
}

// A whole study through the scheduler, two slots side by side, each
// trial's program leaving a setsid'd and a nohup'd process: when the study
// ends, none of them is alive, and every trial completed.
func TestStudyLeavesNoStray(t *testing.T) {
	for _, m := range boxModes(t) {
		t.Run(m.name, func(t *testing.T) {
			mark, pids := newMark(t), filepath.Join(t.TempDir(), "pids")
			// Each trial records its strays' pids, so the test knows they ran.
			script := `setsid sleep 300 & echo $! >> "$PIDS"; nohup sleep 300 & echo $! >> "$PIDS"; echo '{"step": 1, "loss": 0.5}'`
			recs := runStudy(t, fmt.Sprintf(`study: strays
objective: {metric: loss, direction: minimize}
budget: {trials: 4}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  config:
    command: [sh, -c, %q]
    env: {STRAY_MARK: %s, PIDS: %s}
parameters:
  x: {type: float, low: 0, high: 1}
`, script, mark, pids), 2, plugins.HostOptions{Self: selfExe(t), NoCgroup: m.noCgroup})
			for _, r := range recs {
				if r.State != trial.Completed {
					t.Errorf("trial %d: %s (%s)", r.ID, r.State, r.Error)
				}
			}
			b, err := os.ReadFile(pids)
			if err != nil {
				t.Fatal(err)
			}
			started := strings.Fields(string(b))
			if len(started) != 8 {
				t.Errorf("the trials started %d strays, want 8: %v", len(started), started)
			}
			if left := marked(mark); len(left) > 0 {
				t.Errorf("after the study %d of the %d strays the trials started are alive: %v", len(left), len(started), left)
			}
		})
	}
}

// A trainer process stopped with SIGSTOP reports nothing: after the
// study's progress timeout its worker stops it, the box ends it and what
// it started, the run counts as lost, and the trial's next attempt
// completes.
func TestStoppedTrainerIsLostAndRetried(t *testing.T) {
	dir := t.TempDir()
	mark, pidFile := newMark(t), filepath.Join(dir, "stopped")
	// The first attempt stops its own plugin process (its parent) and
	// waits; the second reports.
	script := `if [ ! -e "$STOPPED" ]; then echo $PPID > "$STOPPED"; kill -STOP $PPID; sleep 300; fi; echo '{"step": 1, "loss": 0.25}'`
	start := time.Now()
	recs := runStudy(t, fmt.Sprintf(`study: stalled
objective: {metric: loss, direction: minimize}
budget: {trials: 1}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  progress_timeout: 3s
  config:
    command: [sh, -c, %q]
    env: {STRAY_MARK: %s, STOPPED: %s}
parameters:
  x: {type: float, low: 0, high: 1}
`, script, mark, pidFile), 1, plugins.HostOptions{Self: selfExe(t), StopGrace: 300 * time.Millisecond})
	took := time.Since(start)
	if len(recs) != 1 {
		t.Fatalf("%d trials, want 1", len(recs))
	}
	r := recs[0]
	if r.State != trial.Completed || r.Attempt != 2 || r.Lost != 1 || r.Failures != 0 {
		t.Errorf("trial %s after %d attempts, %d lost, %d failures (error %q); want completed on attempt 2 after 1 lost run",
			r.State, r.Attempt, r.Lost, r.Failures, r.Error)
	}
	if took < 3*time.Second {
		t.Errorf("the study took %v, less than the 3s progress timeout", took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var stopped int
	if _, err := fmt.Sscan(string(b), &stopped); err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	eventually(t, 5*time.Second, fmt.Sprintf("the stopped plugin process %d is alive", stopped), func() bool { return !proc.Alive(stopped) })
	if left := marked(mark); len(left) > 0 {
		t.Errorf("processes of the stopped trial outlived it: %v", left)
	}
}
