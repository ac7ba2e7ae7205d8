package natsbus_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"automl/backends/natsbus"
	"automl/trial"
	"automl/trial/triallog"
)

// linesOf joins the lines of a run's Logged events, in order, and checks
// that every one came before the run's Exited event.
func linesOf(t *testing.T, evs []trial.Event) (lines []string, chunks int) {
	t.Helper()
	exited := false
	for _, ev := range evs {
		switch ev.Kind {
		case trial.Exited:
			exited = true
		case trial.Logged:
			if exited {
				t.Errorf("a Logged event after Exited: %+v", ev)
			}
			if ev.Log.Seq != chunks+1 || ev.Lease == "" || ev.Worker != "alpha" {
				t.Errorf("chunk %d: seq %d, lease %q, worker %q", chunks+1, ev.Log.Seq, ev.Lease, ev.Worker)
			}
			chunks++
			for _, l := range ev.Log.Lines {
				lines = append(lines, l.Text)
			}
		}
	}
	return lines, chunks
}

// A run's lines go to the scheduler as Logged events of the run: those of
// a short run with its Exited event, a long run's while it runs (every
// half second, or as soon as a chunk is full), so its log can be followed.
func TestTrialLogTravelsWithTheRun(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	release := make(chan struct{})
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		n := 3
		if s.Key.ID == 2 {
			n = 3000 // 3000 lines of 40 bytes: two chunks at once
		}
		for i := range n {
			triallog.Printf(rep, "trial %d line %04d ..........................", s.Key.ID, i)
		}
		if s.Key.ID == 2 {
			<-release
			triallog.Printf(rep, "trial 2 done")
		}
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 2, Name: "alpha"})
	short, long := spec(1, 1), spec(2, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{short, long}); err != nil {
		t.Fatal(err)
	}
	// The long run's lines arrive while it runs.
	got := map[trial.Key][]trial.Event{}
	for early := 0; early < 2; {
		ev := next(t, d, true)
		got[ev.Key] = append(got[ev.Key], ev)
		if ev.Key == long.Key && ev.Kind == trial.Logged {
			early++
		}
	}
	close(release)
	left := []trial.Key{long.Key}
	if !slices.ContainsFunc(got[short.Key], func(ev trial.Event) bool { return ev.Kind == trial.Exited }) {
		left = append(left, short.Key)
	}
	for k, evs := range untilExited(t, d, left...) {
		got[k] = append(got[k], evs...)
	}
	lines, chunks := linesOf(t, got[short.Key])
	if chunks != 1 || strings.Join(lines, "|") != "trial 1 line 0000 ..........................|trial 1 line 0001 ..........................|trial 1 line 0002 .........................." {
		t.Errorf("short run: %d chunks, lines %q", chunks, lines)
	}
	lines, _ = linesOf(t, got[long.Key])
	if len(lines) != 3001 || lines[2999] != "trial 2 line 2999 .........................." || lines[3000] != "trial 2 done" {
		t.Fatalf("long run: %d lines, ending %q", len(lines), lines[len(lines)-2:])
	}
	for i := range 3000 {
		if want := fmt.Sprintf("trial 2 line %04d ..........................", i); lines[i] != want {
			t.Fatalf("long run line %d = %q, want %q", i, lines[i], want)
		}
	}
}

// A run that prints more than its log limit between two chunks keeps its
// newest lines and says how much it dropped.
func TestTrialLogLimitOnTheWorker(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		for i := range 1000 {
			triallog.Printf(rep, "line %04d", i) // 10 bytes each
		}
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 1, Name: "alpha"})
	s := spec(1, 1)
	s.Trainer.LogLimit = 2000
	start := time.Now()
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	evs := untilExited(t, d, s.Key)[s.Key]
	var kept []string
	var dropped int64
	droppedLines, chunks := 0, 0
	for _, ev := range evs {
		if ev.Kind == trial.Logged {
			chunks++
			dropped += ev.Log.Dropped
			droppedLines += ev.Log.DroppedLines
			if ev.Log.Bytes() > 2000 {
				t.Errorf("a chunk of %d bytes, over the limit", ev.Log.Bytes())
			}
			for _, l := range ev.Log.Lines {
				kept = append(kept, l.Text)
				if l.Time.Before(start) {
					t.Errorf("line %q stamped before the run", l.Text)
				}
			}
		}
	}
	if len(kept)+droppedLines != 1000 || kept[len(kept)-1] != "line 0999" || dropped != int64(droppedLines)*10 {
		t.Errorf("kept %d lines (last %q), dropped %d (%d bytes); want all 1000 accounted for, the last kept", len(kept), kept[len(kept)-1], droppedLines, dropped)
	}
	// Printed in a few milliseconds, the lines go in one chunk: the
	// newest 2000 bytes.
	if chunks == 1 && (len(kept) != 200 || dropped != 8000) {
		t.Errorf("one chunk of %d lines, %d bytes dropped; want 200 and 8000", len(kept), dropped)
	}
}
