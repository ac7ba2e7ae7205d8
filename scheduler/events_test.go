package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"automl/scheduler"
	"automl/trial"
)

// manual is a Dispatcher driven by the test: it records jobs and the test
// injects events, duplicates and stale ones included.
type manual struct {
	mu     sync.Mutex
	specs  []trial.Spec
	stops  []trial.Key
	events chan scheduler.Inbound
	acked  int
}

func (m *manual) Dispatch(_ context.Context, specs []trial.Spec) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.specs = append(m.specs, specs...)
	return nil
}
func (m *manual) Withdraw(context.Context, string, int) error { return nil }
func (m *manual) Stop(_ context.Context, k trial.Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stops = append(m.stops, k)
	return nil
}
func (m *manual) Events() <-chan scheduler.Inbound { return m.events }

func (m *manual) send(ev trial.Event) {
	m.events <- scheduler.Inbound{Event: ev, Ack: func() { m.mu.Lock(); m.acked++; m.mu.Unlock() }}
}

func (m *manual) jobs() []trial.Spec {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]trial.Spec(nil), m.specs...)
}

func exited(k trial.Key, delivery int, v float64) trial.Event {
	return trial.Event{Key: k, Delivery: delivery, Seq: 2, Kind: trial.Exited, Time: time.Now(),
		Result: &trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"value": v}}}
}

func TestStaleAndDuplicateEventsChangeNothing(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "events", 2, 1))
	m := &manual{events: make(chan scheduler.Inbound, 64)}
	s, err := scheduler.New(scheduler.Config{File: h.space, Store: h.store, Dispatcher: m, Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err := s.Run(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	waitFor(t, "2 jobs", func() bool { return len(m.jobs()) == 2 })
	k0, k1 := m.jobs()[0].Key, m.jobs()[1].Key
	// The event that completes the study goes last: the scheduler stops
	// reading when the study is done, so an event sent after it may race
	// the end of Run and stay unacked (JetStream would redeliver it to the
	// next run, which discards it the same way).
	// Trial 1 completes first; a duplicate and a redelivery after it
	// finished change nothing.
	m.send(exited(k1, 1, 3))
	m.send(exited(k1, 1, 3))    // duplicate
	m.send(exited(k1, 2, -200)) // after the trial finished
	// An event of an attempt that does not exist.
	m.send(exited(trial.Key{Study: k1.Study, ID: k1.ID, Attempt: 7}, 1, -50))
	// Trial 0: delivered twice (its first worker was thought dead); the late
	// result of delivery 1 must be discarded once delivery 2 has started.
	m.send(trial.Event{Key: k0, Delivery: 1, Seq: 1, Kind: trial.Started, Worker: "w1", Time: time.Now()})
	m.send(trial.Event{Key: k0, Delivery: 2, Seq: 1, Kind: trial.Started, Worker: "w2", Time: time.Now()})
	m.send(exited(k0, 1, -100)) // late, fenced out
	m.send(exited(k0, 2, 5))
	sum := <-done
	if sum.Counts[trial.Completed] != 2 || sum.Best.Value != 3 {
		t.Fatalf("summary %+v; want 2 completed, best 3", sum)
	}
	st := h.load()
	if r := st.Trials[0]; r.Value != 5 || r.Worker != "w2" || r.Delivery != 2 {
		t.Fatalf("trial 0: value %v worker %s delivery %d; want 5 from w2 delivery 2", r.Value, r.Worker, r.Delivery)
	}
	if len(m.jobs()) != 2 {
		t.Fatalf("%d jobs dispatched, want 2 (duplicates must not create trials)", len(m.jobs()))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.acked != 8 {
		t.Fatalf("%d events acked, want all 8 (stale ones too, after the commit)", m.acked)
	}
}
