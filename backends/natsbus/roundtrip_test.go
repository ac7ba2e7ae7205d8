package natsbus_test

import (
	"context"
	"sync/atomic"
	"testing"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// A job goes out, a worker runs it, and its events come back in order with
// the delivery as fencing token; acked jobs and events leave their streams.
func TestRoundTrip(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		for step := 1; step <= 2; step++ {
			if _, err := rep.Report(ctx, float64(step), trial.Metrics{"loss": float64(s.Key.ID) / float64(step)}); err != nil {
				return trial.Result{}, err
			}
		}
		return trial.Result{Metrics: trial.Metrics{"loss": float64(s.Key.ID)}, Step: 2}, nil
	}), natsbus.WorkerOptions{Slots: 2, Name: "alpha"})

	specs := []trial.Spec{spec(1, 1), spec(2, 1), spec(3, 1)}
	if err := d.Dispatch(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	keys := []trial.Key{specs[0].Key, specs[1].Key, specs[2].Key}
	got := untilExited(t, d, keys...)
	for _, k := range keys {
		evs := got[k]
		wantKinds := []trial.EventKind{trial.Started, trial.Reported, trial.Reported, trial.Exited}
		if len(evs) != len(wantKinds) {
			t.Fatalf("%v: %d events, want %d: %+v", k, len(evs), len(wantKinds), evs)
		}
		for i, ev := range evs {
			if ev.Kind != wantKinds[i] || ev.Seq != i+1 || ev.Delivery != 1 || ev.Worker != "alpha" {
				t.Errorf("%v event %d = kind %v seq %d delivery %d worker %q; want %v seq %d delivery 1 worker alpha",
					k, i, ev.Kind, ev.Seq, ev.Delivery, ev.Worker, wantKinds[i], i+1)
			}
		}
		if evs[2].Step != 2 || evs[2].Metrics["loss"] != float64(k.ID)/2 {
			t.Errorf("%v second report = step %v metrics %v", k, evs[2].Step, evs[2].Metrics)
		}
		res := evs[3].Result
		if res == nil || res.Outcome != trial.ExitDone || res.Metrics["loss"] != float64(k.ID) || res.Step != 2 {
			t.Errorf("%v result = %+v, want done with loss %d at step 2", k, res, k.ID)
		}
	}
	eventually(t, "jobs acked off the trials stream", func() bool { return streamMsgs(t, nc, natsbus.TrialsStream) == 0 })
	eventually(t, "events acked off the events stream", func() bool { return streamMsgs(t, nc, natsbus.EventsStream) == 0 })
}

// Dispatching one Key twice queues and runs it once.
func TestDispatchDeduplicates(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	ctx := context.Background()
	a := spec(1, 1)
	for range 2 {
		if err := d.Dispatch(ctx, []trial.Spec{a, a}); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, nc, natsbus.TrialsStream); n != 1 {
		t.Fatalf("trials stream holds %d jobs after dispatching one key 4 times, want 1", n)
	}
	// A later attempt of the same trial is a different job.
	b := spec(1, 2)
	if err := d.Dispatch(ctx, []trial.Spec{b}); err != nil {
		t.Fatal(err)
	}
	var runs [3]atomic.Int32
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		runs[s.Key.Attempt].Add(1)
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 1})
	untilExited(t, d, a.Key, b.Key)
	// One slot runs jobs in stream order: a duplicate of a would have run
	// before b finished.
	if runs[1].Load() != 1 || runs[2].Load() != 1 {
		t.Fatalf("runs of attempt 1 = %d, attempt 2 = %d; want 1 and 1", runs[1].Load(), runs[2].Load())
	}
}

// Withdraw removes a queued job; the others still run.
func TestWithdraw(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	ctx := context.Background()
	specs := []trial.Spec{spec(1, 1), spec(2, 1), spec(3, 1)}
	specs[2].Trainer.Pool = "gpu" // Withdraw finds a trial in any pool
	if err := d.Dispatch(ctx, specs); err != nil {
		t.Fatal(err)
	}
	if err := d.Withdraw(ctx, study, 1); err != nil {
		t.Fatal(err)
	}
	if err := d.Withdraw(ctx, study, 3); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, nc, natsbus.TrialsStream); n != 1 {
		t.Fatalf("trials stream holds %d jobs after withdrawing 2 of 3, want 1", n)
	}
	var ran atomic.Int32
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if s.Key.ID != 2 {
			t.Errorf("withdrawn trial %v ran", s.Key)
		}
		ran.Add(1)
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 1})
	untilExited(t, d, specs[1].Key)
	if ran.Load() != 1 {
		t.Fatalf("%d runs, want 1", ran.Load())
	}
}

// Names that would break subjects are refused before anything is sent.
func TestBadNames(t *testing.T) {
	_, nc := server(t)
	if _, err := natsbus.NewDispatcher(context.Background(), nc, "a.>", natsbus.DispatcherOptions{Logger: quiet(), JobKey: natstest.JobKey}); err == nil {
		t.Error("dispatcher accepted study a.>")
	}
	if _, err := natsbus.NewWorker(nc, runFn(nil), natsbus.WorkerOptions{Pool: "gpu.*", Trust: natstest.Trust}); err == nil {
		t.Error("worker accepted pool gpu.*")
	}
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	bad := spec(1, 1)
	bad.Trainer.Pool = "a b"
	other := spec(2, 1)
	other.Key.Study = "other"
	for _, s := range []trial.Spec{bad, other} {
		if err := d.Dispatch(context.Background(), []trial.Spec{s}); err == nil {
			t.Errorf("dispatch of %+v succeeded", s.Key)
		}
	}
	if n := streamMsgs(t, nc, natsbus.TrialsStream); n != 0 {
		t.Fatalf("%d jobs queued by refused dispatches", n)
	}
}
