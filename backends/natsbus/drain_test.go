package natsbus_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// A drained worker finishes its running trial and takes no new one; Run
// then returns, and the queued job waits for another worker.
func TestDrainFinishesRunningTakesNoMore(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	started := make(chan trial.Key, 2)
	release := make(chan struct{})
	w, err := natsbus.NewWorker(nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		started <- s.Key
		select {
		case <-release:
			return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
		case <-ctx.Done():
			return trial.Result{}, ctx.Err()
		}
	}), natsbus.WorkerOptions{Slots: 1, Name: "w", FetchWait: 200 * time.Millisecond, Logger: quiet(), Trust: natstest.Trust})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	a, b := spec(1, 1), spec(2, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{a}); err != nil {
		t.Fatal(err)
	}
	<-started
	w.Drain()
	if err := d.Dispatch(context.Background(), []trial.Spec{b}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if ex := exitOf(t, untilExited(t, d, a.Key)[a.Key]); ex.Result.Outcome != trial.ExitDone {
		t.Fatalf("running trial ended %v after drain, want done", ex.Result.Outcome)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after drain")
	}
	select {
	case k := <-started:
		t.Fatalf("drained worker started %v", k)
	default:
	}
	// Run has returned (no slot fetches any more): a is acked off the
	// stream and b waits for another worker.
	eventually(t, "only b queued", func() bool { return streamMsgs(t, nc, natsbus.TrialsStream) == 1 })
}

// Each slot owns its GPUs: the runner learns its slot, and the events of a
// trial carry that slot's GPUs.
func TestSlotsCarryTheirGPUs(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	gpus := [][]string{{"0", "1"}, {"2", "3"}}
	var mu sync.Mutex
	slotOf := map[trial.Key]int{}
	gate := make(chan struct{})
	startWorker(t, nc, func(slot int, s trial.Spec) (trial.Runner, error) {
		mu.Lock()
		slotOf[s.Key] = slot
		mu.Unlock()
		return trial.RunnerFunc(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
			<-gate // both slots busy at once
			return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
		}), nil
	}, natsbus.WorkerOptions{Slots: 2, GPUs: gpus})
	specs := []trial.Spec{spec(1, 1), spec(2, 1)}
	if err := d.Dispatch(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both slots running", func() bool { mu.Lock(); defer mu.Unlock(); return len(slotOf) == 2 })
	close(gate)
	got := untilExited(t, d, specs[0].Key, specs[1].Key)
	if slotOf[specs[0].Key] == slotOf[specs[1].Key] {
		t.Fatalf("both trials on slot %d", slotOf[specs[0].Key])
	}
	for k, evs := range got {
		for _, ev := range evs {
			if want := gpus[slotOf[k]]; !slices.Equal(ev.GPUs, want) {
				t.Errorf("%v %v event: GPUs %v, want slot %d's %v", k, ev.Kind, ev.GPUs, slotOf[k], want)
			}
		}
	}
	if _, err := natsbus.NewWorker(nc, runFn(quick), natsbus.WorkerOptions{Slots: 3, GPUs: gpus, Trust: natstest.Trust}); err == nil {
		t.Error("a worker with 3 slots and GPUs for 2 was accepted")
	}
}
