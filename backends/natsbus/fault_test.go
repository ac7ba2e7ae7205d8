package natsbus_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/backends/natsbus/natstest"
	"automl/scheduler"
	"automl/trial"
)

// block is a runner that holds its slot until its context ends.
func block(started chan<- trial.Key) natsbus.RunnerFor {
	return runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if started != nil {
			started <- s.Key
		}
		<-ctx.Done()
		return trial.Result{}, ctx.Err()
	})
}

func quick(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
	return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
}

// A worker cut off mid-trial (its connection closed, nothing acked or
// naked) loses the job after AckWait; another worker gets it as delivery 2
// and its events carry that delivery.
func TestDeadWorkerJobIsRedelivered(t *testing.T) {
	rec := probes(t)
	e, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	const ackWait = time.Second
	ncA := natstest.Conn(t, e, "worker-a")
	startWorker(t, ncA, block(nil), natsbus.WorkerOptions{Slots: 1, Name: "a", AckWait: ackWait})
	s := spec(1, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, d, true); ev.Kind != trial.Started || ev.Worker != "a" || ev.Delivery != 1 {
		t.Fatalf("first event = %v by %q delivery %d, want started by a delivery 1", ev.Kind, ev.Worker, ev.Delivery)
	}
	ncA.Close() // worker a is gone: its lease is no longer renewed

	startWorker(t, natstest.Conn(t, e, "worker-b"), runFn(quick), natsbus.WorkerOptions{Slots: 1, Name: "b", AckWait: ackWait})
	got := untilExited(t, d, s.Key)
	for _, ev := range got[s.Key] {
		if ev.Worker != "b" || ev.Delivery != 2 {
			t.Errorf("event %v by %q delivery %d, want worker b delivery 2", ev.Kind, ev.Worker, ev.Delivery)
		}
	}
	if res := exitOf(t, got[s.Key]).Result; res.Outcome != trial.ExitDone {
		t.Errorf("redelivered job ended %v", res.Outcome)
	}
	if n := rec.get("redelivered default"); n != 1 {
		t.Errorf("probe: %v redeliveries, want 1", n)
	}
}

// A trial that runs for several AckWaits keeps its lease: the job is not
// handed to the worker's idle second slot.
func TestLeaseOutlivesAckWait(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	// Long enough that a loaded CI machine still renews within it.
	const ackWait = 1500 * time.Millisecond
	var runs atomic.Int32
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		runs.Add(1)
		// The training itself: busy for 3 AckWaits, reporting no progress.
		select {
		case <-time.After(3 * ackWait):
		case <-ctx.Done():
			return trial.Result{}, ctx.Err()
		}
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 2, AckWait: ackWait})
	s := spec(1, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	got := untilExited(t, d, s.Key)
	for _, ev := range got[s.Key] {
		if ev.Delivery != 1 {
			t.Errorf("event %v with delivery %d: the job was redelivered while running", ev.Kind, ev.Delivery)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
}

// A job that cannot be decoded is terminated; when its trial can be read
// from the subject it is reported crashed; the worker goes on.
func TestPoisonJob(t *testing.T) {
	rec := probes(t)
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1, AckWait: time.Minute})
	j := js(t, nc)
	ctx := context.Background()
	pub := func(subject, msgID string, data []byte) {
		// Signed by the scheduler's key: only a bug of ours makes such a
		// job, and it fails its trial. (Unsigned ones are never run at
		// all: TestForeignJobsNeverRun.)
		publishJob(t, j, natstest.JobKey, subject, msgID, data)
	}
	pub("automl.trials.default."+study+"."+inc+".x", "junk-1", []byte("\x00\xffnot json")) // no trial to name
	// Undecodable: its lease token cannot be read, so its crash report is
	// refused (the scheduler's reconciliation reruns such a trial).
	pub("automl.trials.default."+study+"."+inc+".5", study+"/"+inc+"/5/2", []byte("{garbage"))
	lease6 := natstest.JobKey.Lease(study + "/" + inc + "/6/1")
	pub("automl.trials.default."+study+"."+inc+".6", study+"/"+inc+"/6/1", []byte(`{"key":{"study":"s1","incarnation":"i1","id":6,"attempt":1},"trainer":{},"lease":"`+lease6+`"}`))
	good := spec(8, 1)
	if err := d.Dispatch(ctx, []trial.Spec{good}); err != nil {
		t.Fatal(err)
	}
	k6 := trial.Key{Study: study, Incarnation: inc, ID: 6, Attempt: 1}
	got := untilExited(t, d, k6, good.Key)
	if len(got[k6]) != 1 {
		t.Errorf("%v: %d events, want just exited", k6, len(got[k6]))
	}
	if res := exitOf(t, got[k6]).Result; res.Outcome != trial.ExitCrashed || !strings.Contains(res.Error, k6.String()) || !strings.Contains(res.Error, "unusable job") {
		t.Errorf("%v: result %+v, want crashed naming the trial", k6, res)
	}
	if res := exitOf(t, got[good.Key]).Result; res.Outcome != trial.ExitDone {
		t.Errorf("job after the poison ones ended %v", res.Outcome)
	}
	if n := len(got[trial.Key{Study: study, Incarnation: inc, ID: 5, Attempt: 2}]); n != 0 {
		t.Errorf("the crash report of a job whose lease cannot be read was applied (%d events)", n)
	}
	eventually(t, "poison jobs terminated off the stream", func() bool { return streamMsgs(t, nc, natsbus.TrialsStream) == 0 })
	rec.atLeast(t, "dropped poison", 3)
}

// A worker told to stop hands its running job back at once: another worker
// gets it long before AckWait.
func TestWorkerShutdownHandsJobBack(t *testing.T) {
	e, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	started := make(chan trial.Key, 1)
	stopA := startWorker(t, natstest.Conn(t, e, "a"), block(started), natsbus.WorkerOptions{Slots: 1, Name: "a", AckWait: time.Hour})
	s := spec(1, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	<-started
	stopA()
	startWorker(t, natstest.Conn(t, e, "b"), runFn(quick), natsbus.WorkerOptions{Slots: 1, Name: "b", AckWait: time.Hour})
	got := untilExited(t, d, s.Key)
	ex := exitOf(t, got[s.Key])
	if ex.Worker != "b" || ex.Delivery != 2 || ex.Result.Outcome != trial.ExitDone {
		t.Fatalf("exit by %q delivery %d outcome %v, want b, 2, done", ex.Worker, ex.Delivery, ex.Result.Outcome)
	}
	for _, ev := range got[s.Key] {
		if ev.Worker == "a" && ev.Kind != trial.Started {
			t.Errorf("stopped worker a published %v", ev.Kind)
		}
	}
}

// Events the scheduler did not ack survive its dispatcher being closed and
// a new one opened: they come again.
func TestUnackedEventsComeAgain(t *testing.T) {
	_, nc := server(t)
	opts := natsbus.DispatcherOptions{EventAckWait: 500 * time.Millisecond}
	d1, err := natsbus.NewDispatcher(context.Background(), nc, study, natsbus.DispatcherOptions{EventAckWait: opts.EventAckWait, Logger: quiet(), JobKey: natstest.JobKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := d1.Claim(context.Background(), scheduler.Claim{Incarnation: inc}); err != nil {
		t.Fatal(err)
	}
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1})
	s := spec(1, 1)
	if err := d1.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	// Take the started event without acking it, then close once the
	// exited event is stored too (the worker acks the job, which leaves
	// the work-queue stream, only after that).
	if ev := next(t, d1, false); ev.Kind != trial.Started {
		t.Fatalf("first event %v, want started", ev.Kind)
	}
	eventually(t, "exited event stored", func() bool { return streamMsgs(t, nc, natsbus.TrialsStream) == 0 })
	_ = d1.Close()
	if _, ok := <-d1.Events(); ok {
		t.Fatal("events channel open after Close")
	}

	d2 := newDispatcher(t, nc, opts)
	// Both come again, in any order. A quick run's Started travels in one
	// message with its Exited (startedDelay), given back (nak) when d1
	// closed: both come at once. A Started sent on its own (a slow run)
	// comes after EventAckWait, the Exited (never handed over) at once.
	seen := map[trial.EventKind]bool{}
	for range 2 {
		ev := next(t, d2, true)
		if ev.Key != s.Key || seen[ev.Kind] {
			t.Fatalf("reopened dispatcher got %v %v again or unexpected", ev.Kind, ev.Key)
		}
		seen[ev.Kind] = true
	}
	if !seen[trial.Started] || !seen[trial.Exited] {
		t.Fatalf("reopened dispatcher got %v, want started and exited", seen)
	}
	eventually(t, "events acked off the stream", func() bool { return streamMsgs(t, nc, natsbus.EventsStream) == 0 })
}

// A job over trial.MaxSpecBytes is refused as Undeliverable, naming its
// trial and size, and the jobs beside it are still dispatched and run.
func TestOversizeJobUndeliverable(t *testing.T) {
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1, AckWait: time.Minute})
	big := spec(1, 1)
	big.Trainer.Config = map[string]any{"blob": strings.Repeat("x", trial.MaxSpecBytes)}
	small := spec(2, 1)
	err := d.Dispatch(context.Background(), []trial.Spec{big, small})
	var u *scheduler.Undeliverable
	if !errors.As(err, &u) || u.Key != big.Key || !strings.Contains(u.Reason, "byte limit") {
		t.Fatalf("dispatch: %v; want Undeliverable for %v naming the limit", err, big.Key)
	}
	if res := exitOf(t, untilExited(t, d, small.Key)[small.Key]).Result; res.Outcome != trial.ExitDone {
		t.Errorf("the job beside the oversize one ended %v", res.Outcome)
	}
}

// publishJob stores a job as a scheduler holding key would.
func publishJob(t *testing.T, j jetstream.JetStream, key fleet.JobKey, subject, msgID string, data []byte) {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set("Nats-Msg-Id", msgID)
	if key.Valid() {
		setSigned(m, key.Sign(fleet.Job{Subject: subject, ID: msgID, Data: data}))
	}
	if _, err := j.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func setSigned(m *nats.Msg, s fleet.Signed) {
	m.Header.Set("Automl-Signer", s.Signer)
	m.Header.Set("Automl-Signature", s.Signature)
	m.Header.Set("Automl-Proof", s.Proof)
}
