package natsbus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/scheduler"
	"automl/trial"
)

// A job handed out MaxDeliver times and never finished (every worker that
// took it vanished) fails its trial: the scheduler gets an Exited event,
// crashed with that reason and the last delivery as its fencing token, and
// the job leaves the stream. The advisory is kept in a stream, so it is
// handled even when no Dispatcher was running as the deliveries ran out.
func TestMaxDeliverFailsTheTrial(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	opts := natsbus.DispatcherOptions{AckWait: 300 * time.Millisecond, MaxDeliver: 2}
	d1, err := natsbus.NewDispatcher(ctx, nc, study, natsbus.DispatcherOptions{AckWait: opts.AckWait, MaxDeliver: opts.MaxDeliver, Logger: quiet(), JobKey: natstest.JobKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := d1.Claim(context.Background(), scheduler.Claim{Incarnation: inc}); err != nil {
		t.Fatal(err)
	}
	s := spec(4, 2)
	if err := d1.Dispatch(ctx, []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	_ = d1.Close() // no scheduler while the job runs out of deliveries

	// Two workers take the job and die without a word.
	cons, err := js(t, nc).Consumer(ctx, natsbus.TrialsStream, natsbus.WorkerConsumer(trial.DefaultPool))
	if err != nil {
		t.Fatal(err)
	}
	for delivery := 1; delivery <= 2; delivery++ {
		msg := fetchOne(t, cons)
		if meta, _ := msg.Metadata(); meta.NumDelivered != uint64(delivery) {
			t.Fatalf("delivery %d of the job, want %d", meta.NumDelivered, delivery)
		}
	}
	// The server notices the last lease ran out when a worker next asks
	// for work (idle slots always do): nothing is delivered a third time.
	eventually(t, "the max-deliveries advisory stored", func() bool {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		for range batch.Messages() {
			t.Fatal("the job was delivered past MaxDeliver")
		}
		return streamMsgs(t, nc, natsbus.AdvisoriesStream) == 1
	})

	d2 := newDispatcher(t, nc, opts)
	ev := next(t, d2, true)
	if ev.Kind != trial.Exited || ev.Key != s.Key || ev.Delivery != 2 || ev.Result == nil {
		t.Fatalf("event %+v, want the exit of %v at delivery 2", ev, s.Key)
	}
	if ev.Result.Outcome != trial.ExitCrashed || !strings.Contains(ev.Result.Error, "max_deliver") || !strings.Contains(ev.Result.Error, s.Key.String()) {
		t.Fatalf("result %+v, want crashed naming the trial and max_deliver", ev.Result)
	}
	eventually(t, "the job removed", func() bool { return streamMsgs(t, nc, natsbus.TrialsStream) == 0 })
	eventually(t, "the advisory consumed", func() bool { return streamMsgs(t, nc, natsbus.AdvisoriesStream) == 0 })
}

func fetchOne(t *testing.T, cons jetstream.Consumer) jetstream.Msg {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			return m
		}
	}
	t.Fatal("no job delivered")
	return nil
}
