package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus/fleet"
	"automl/trial"
)

// fakeEventMsg is an event message as the dispatcher's consumer hands it
// over: only Data, Subject and Ack are used.
type fakeEventMsg struct {
	jetstream.Msg
	data    []byte
	subject string // default: worker w1's subject of trial 1
	acks    int
}

func (m *fakeEventMsg) Data() []byte { return m.data }
func (m *fakeEventMsg) Subject() string {
	if m.subject == "" {
		return "automl.events.s.i.1.w1"
	}
	return m.subject
}
func (m *fakeEventMsg) Ack() error { m.acks++; return nil }

// testKey signs the internal tests' jobs.
var testKey = func() fleet.JobKey {
	k, err := fleet.NewJobKey(make([]byte, 32))
	if err != nil {
		panic(err)
	}
	return k
}()

// testDispatcher is a dispatcher of study s, incarnation i, as far as
// inbound needs one.
func testDispatcher() *Dispatcher {
	return &Dispatcher{study: "s", inc: "i", log: slog.New(slog.DiscardHandler), o: DispatcherOptions{JobKey: testKey}}
}

func testEvent(kind trial.EventKind, seq int) trial.Event {
	k := trial.Key{Study: "s", Incarnation: "i", ID: 1, Attempt: 1}
	ev := trial.Event{Key: k, Delivery: 1, Seq: seq, Kind: kind, Worker: "w1", Lease: testKey.Lease(jobMsgID(k))}
	if kind == trial.Exited {
		ev.Result = &trial.Result{Outcome: trial.ExitDone}
	}
	return ev
}

// A message with a run's Started and Exited is acked once, after both its
// events are: acking one (even twice) must not ack the message, or a crash
// before the other is committed would lose it.
func TestInboundArrayAckedWhenAllAre(t *testing.T) {
	d := testDispatcher()
	w := &Worker{sender: "w1"}
	started, exited := testEvent(trial.Started, 1), testEvent(trial.Exited, 2)
	msg, err := w.eventMsg(&started, &exited)
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeEventMsg{data: msg.Data}
	ins, err := d.inbound(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Event.Kind != trial.Started || ins[1].Event.Kind != trial.Exited {
		t.Fatalf("got %+v, want started then exited", ins)
	}
	ins[0].Ack()
	ins[0].Ack()
	if m.acks != 0 {
		t.Fatalf("message acked %d times after one of its two events", m.acks)
	}
	ins[1].Ack()
	ins[1].Ack()
	if m.acks != 1 {
		t.Fatalf("message acked %d times after both events, want 1", m.acks)
	}

	single, err := w.eventMsg(nil, &exited)
	if err != nil {
		t.Fatal(err)
	}
	m = &fakeEventMsg{data: single.Data}
	if ins, err = d.inbound(m); err != nil || len(ins) != 1 || ins[0].Event.Kind != trial.Exited {
		t.Fatalf("single event: %+v, %v", ins, err)
	}
	ins[0].Ack()
	if m.acks != 1 {
		t.Fatalf("single event acked %d times, want 1", m.acks)
	}
}

// Bad event messages are errors (the consumer terminates them), never
// panics, and one bad event rejects its whole message.
func TestInboundRejectsBadMessages(t *testing.T) {
	d := testDispatcher()
	good, _ := json.Marshal(testEvent(trial.Started, 1))
	noResult := testEvent(trial.Exited, 2)
	noResult.Result = nil
	bad, _ := json.Marshal(noResult)
	other := testEvent(trial.Started, 1)
	other.Key.Study = "other"
	foreign, _ := json.Marshal(other)
	for _, data := range []string{
		"", " ", "[", "[]", " [ ] ", "null", "[null]", "[1,2]", `"x"`, "{", "[{}]", "{}",
		"[" + string(good) + "," + string(bad) + "]",
		"[" + string(good) + "," + string(foreign) + "]",
		"[" + string(good) + "]x",
	} {
		if ins, err := d.inbound(&fakeEventMsg{data: []byte(data)}); err == nil {
			t.Errorf("%q: accepted as %+v", data, ins)
		}
	}
	if _, err := d.inbound(&fakeEventMsg{data: good}); err != nil {
		t.Fatalf("a good event is refused: %v", err)
	}
	// Forged: no lease, another job's lease, another sender than the
	// subject names, no sender at all.
	noLease := testEvent(trial.Started, 1)
	noLease.Lease = ""
	otherLease := testEvent(trial.Started, 1)
	otherLease.Lease = testKey.Lease("s/i/2/1")
	for _, c := range []struct {
		name    string
		ev      trial.Event
		subject string
	}{
		{"no lease", noLease, ""},
		{"another job's lease", otherLease, ""},
		{"another worker's subject", testEvent(trial.Started, 1), "automl.events.s.i.1.w2"},
		{"no sender", testEvent(trial.Started, 1), "automl.events.s.i.1"},
	} {
		data, _ := json.Marshal(c.ev)
		if _, err := d.inbound(&fakeEventMsg{data: data, subject: c.subject}); !errors.Is(err, errForged) {
			t.Errorf("%s: %v, want a forged event", c.name, err)
		}
	}
}

// A job that reaches the feeder after it stopped asking (the slot that
// wanted it gone) goes back to the server at once, not after AckWait.
func TestFeederGivesBackJobsNoSlotTakes(t *testing.T) {
	e, err := StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	nc, err := e.Connect("feeder", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	cons, err := ensureWorkConsumer(ctx, js, trial.DefaultPool, consumerSettings{AckWait: time.Minute, MaxAckPending: 4})
	if err != nil {
		t.Fatal(err)
	}
	f, err := startFeeder(nc, TrialsStream, WorkerConsumer(trial.DefaultPool), 1, 2*time.Second, slog.New(slog.DiscardHandler), func() {})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *nats.Msg, 1)
	go func() { got <- f.get(make(chan *nats.Msg, 1)) }()
	waitFor(t, "the slot's pull request", func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumWaiting == 1
	})
	f.halt()
	if m := <-got; m != nil {
		t.Fatalf("halted feeder handed a slot %s", m.Subject)
	}
	// The request is still open at the server: the job goes to it.
	if _, err := js.Publish(ctx, jobSubject(trial.DefaultPool, trial.Key{Study: "s", Incarnation: "i1", ID: 1}), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	f.close()
	// Given back (nak), it is at once there to take again, long before
	// its lease (a minute) would have lapsed.
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for m := range batch.Messages() {
		meta, err := m.Metadata()
		if err != nil || meta.NumDelivered != 2 {
			t.Fatalf("job delivered again: %+v, %v; want its second delivery", meta, err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("fetched %d jobs (%v), want the one given back", n, batch.Error())
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Each run of a slot gets the slot's directory, empty: what a run left is
// removed, even when its trainer removed or replaced the directory.
func TestSlotDirsFreshEachRun(t *testing.T) {
	s := newSlotDirs(t.TempDir())
	dir, err := s.fresh(0)
	if err != nil {
		t.Fatal(err)
	}
	isEmpty := func(dir string) {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) != 0 {
			t.Fatalf("%s: %d entries, %v; want an empty directory", dir, len(ents), err)
		}
	}
	isEmpty(dir)
	if other, err := s.fresh(1); err != nil || other == dir {
		t.Fatalf("slot 1 got %q (%v), slot 0 %q", other, err, dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "ckpt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if again, err := s.fresh(0); err != nil || again != dir {
		t.Fatalf("second run got %q, %v; want %q", again, err, dir)
	}
	isEmpty(dir)
	// A trainer that replaced the directory, leaving files in the new one.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ckpt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.fresh(0); err != nil {
		t.Fatal(err)
	}
	isEmpty(dir)
	// One that removed it.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := s.fresh(0); err != nil {
		t.Fatal(err)
	}
	isEmpty(dir)
	root := filepath.Dir(dir)
	s.close()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("%s after close: %v", root, err)
	}
}
