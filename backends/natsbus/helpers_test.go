package natsbus_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

const study = "s1"

// inc is the incarnation the tests' dispatchers claim.
const inc = "i1"

// wait bounds every poll in these tests; generous for a loaded -race run.
const wait = 30 * time.Second

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func spec(id, attempt int) trial.Spec {
	return trial.Spec{
		Key:     trial.Key{Study: study, Incarnation: inc, ID: id, Attempt: attempt},
		Params:  value.Values{},
		Trainer: trial.Trainer{Plugin: "fake"},
		Seed:    uint64(id),
	}
}

func newDispatcher(t testing.TB, nc *nats.Conn, o natsbus.DispatcherOptions) *natsbus.Dispatcher {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet()
	}
	if !o.JobKey.Valid() {
		o.JobKey = natstest.JobKey
	}
	if o.PruneEvery == 0 {
		o.PruneEvery = 100 * time.Millisecond
	}
	d, err := natsbus.NewDispatcher(context.Background(), nc, study, o)
	if err != nil {
		t.Fatalf("new dispatcher: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if err := d.Claim(context.Background(), scheduler.Claim{Incarnation: inc}); err != nil {
		t.Fatalf("claim: %v", err)
	}
	return d
}

// runFn adapts a function to trial.Runner for every spec.
func runFn(f func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error)) natsbus.RunnerFor {
	return func(int, trial.Spec) (trial.Runner, error) { return trial.RunnerFunc(f), nil }
}

// worker runs a Worker until the returned stop is called (or the test ends);
// stop waits for Run to return.
func startWorker(t testing.TB, nc *nats.Conn, runners natsbus.RunnerFor, o natsbus.WorkerOptions) (stop func()) {
	t.Helper()
	if o.Name == "" {
		o.Name = "w1"
	}
	if o.FetchWait == 0 {
		o.FetchWait = 200 * time.Millisecond
	}
	if o.Trust == nil {
		o.Trust = natstest.Trust
	}
	if o.Logger == nil {
		o.Logger = quiet()
	}
	w, err := natsbus.NewWorker(nc, runners, o)
	if err != nil {
		t.Fatalf("new worker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("worker run: %v", err)
				}
			case <-time.After(wait):
				t.Errorf("worker did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// next receives one event, acking it when ack is set.
func next(t testing.TB, d *natsbus.Dispatcher, ack bool) trial.Event {
	t.Helper()
	select {
	case in, ok := <-d.Events():
		if !ok {
			t.Fatal("events channel closed")
		}
		if ack {
			in.Ack()
		}
		return in.Event
	case <-time.After(wait):
		t.Fatal("no event within", wait)
	}
	return trial.Event{}
}

// untilExited collects (and acks) events until every key has exited.
func untilExited(t testing.TB, d *natsbus.Dispatcher, keys ...trial.Key) map[trial.Key][]trial.Event {
	t.Helper()
	want := map[trial.Key]bool{}
	for _, k := range keys {
		want[k] = true
	}
	got := map[trial.Key][]trial.Event{}
	for len(want) > 0 {
		ev := next(t, d, true)
		got[ev.Key] = append(got[ev.Key], ev)
		if ev.Kind == trial.Exited {
			delete(want, ev.Key)
		}
	}
	return got
}

func exitOf(t testing.TB, evs []trial.Event) trial.Event {
	t.Helper()
	for _, ev := range evs {
		if ev.Kind == trial.Exited {
			return ev
		}
	}
	t.Fatalf("no exited event among %+v", evs)
	return trial.Event{}
}

func js(t testing.TB, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	j, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// streamMsgs is how many messages a stream holds now.
func streamMsgs(t testing.TB, nc *nats.Conn, name string) uint64 {
	t.Helper()
	s, err := js(t, nc).Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatalf("stream %s info: %v", name, err)
	}
	return info.State.Msgs
}

// eventually polls cond until it holds or wait passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// server starts an embedded server and an in-process connection.
func server(t testing.TB) (*natsbus.Embedded, *nats.Conn) {
	t.Helper()
	e := natstest.Start(t)
	return e, natstest.Conn(t, e, t.Name())
}

var _ scheduler.Dispatcher = (*natsbus.Dispatcher)(nil)
