package natsbus_test

import (
	"context"
	"testing"

	"automl/backends/natsbus"
	"automl/trial"
)

// Workers of one pool share its consumer: the first creates it, and one
// with fewer slots does not lower the in-flight cap another raised.
func TestMaxAckPendingOnlyGrows(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	capOf := func() int {
		c, err := js(t, nc).Consumer(ctx, natsbus.TrialsStream, natsbus.WorkerConsumer(trial.DefaultPool))
		if err != nil {
			return -1
		}
		return c.CachedInfo().Config.MaxAckPending
	}
	// The streams are the scheduler's to create; workers then make their
	// pool's consumer.
	if err := natsbus.EnsureStreams(ctx, js(t, nc)); err != nil {
		t.Fatal(err)
	}
	stop := startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 3, Name: "big"})
	eventually(t, "consumer created by the first worker", func() bool { return capOf() == 3 })
	stop()
	stop = startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1, Name: "small"})
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	s := spec(1, 1)
	if err := d.Dispatch(ctx, []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	untilExited(t, d, s.Key) // the second worker has set up and runs
	stop()
	if n := capOf(); n != 3 {
		t.Fatalf("MaxAckPending %d after a 1-slot worker joined, want 3", n)
	}
}

// An event that does not decode is dropped (terminated); the good ones
// after it still arrive.
func TestUndecodableEventDropped(t *testing.T) {
	rec := probes(t)
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	ctx := context.Background()
	for _, data := range []string{"not json", `{"key":{"study":"other","id":1},"kind":"started"}`, `{"key":{"study":"s1","id":1},"kind":"exited"}`} {
		// on the study's old subject (before incarnations), and on its own
		for _, subj := range []string{"automl.events." + study + ".1", "automl.events." + study + "." + inc + ".1.w"} {
			if _, err := js(t, nc).Publish(ctx, subj, []byte(data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1})
	s := spec(2, 1)
	if err := d.Dispatch(ctx, []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	got := untilExited(t, d, s.Key)
	if len(got) != 1 {
		t.Fatalf("events of %d trials delivered, want only %v's: %v", len(got), s.Key, got)
	}
	rec.atLeast(t, "dropped undecodable", 3)
}

// A worker that starts before any scheduler waits for the streams (it does
// not create them with its own settings) and runs jobs once they exist.
func TestWorkerWaitsForTheScheduler(t *testing.T) {
	_, nc := server(t)
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1})
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	s := spec(1, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	if res := exitOf(t, untilExited(t, d, s.Key)[s.Key]).Result; res.Outcome != trial.ExitDone {
		t.Fatalf("job ended %v", res.Outcome)
	}
}
