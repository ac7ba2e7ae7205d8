package natsbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// logBuffer collects a logger's lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// Jobs nobody trusted signed never run: unsigned, signed by another key,
// altered after signing, or replayed on another subject. Each is taken off
// the queue and logged as a security event; the study's own job runs.
func TestForeignJobsNeverRun(t *testing.T) {
	rec := probes(t)
	defer func() { rec.atLeast(t, "dropped foreign", 1) }()
	_, nc := server(t)
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{Pools: []string{trial.DefaultPool}})
	var ran atomic.Int32
	var log logBuffer
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		ran.Add(1)
		return quick(ctx, s, rep)
	}), natsbus.WorkerOptions{Slots: 1, AckWait: time.Minute, Logger: log.logger()})
	other, err := fleet.NewJobKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	j := js(t, nc)
	job := func(id int) (string, string, []byte) {
		s := spec(id, 1)
		s.Trainer = trial.Trainer{Plugin: "exec", Config: map[string]any{"command": []string{"sh", "-c", "id > PWNED"}}}
		data, _ := json.Marshal(s)
		return "automl.trials.default." + study + "." + inc + "." + itoa(id), study + "/" + inc + "/" + itoa(id) + "/1", data
	}
	subj, id, data := job(1)
	publishJob(t, j, fleet.JobKey{}, subj, id, data) // unsigned
	subj, id, data = job(2)
	publishJob(t, j, other, subj, id, data) // another scheduler's key
	subj, id, data = job(3)
	altered := nats.NewMsg(subj)
	altered.Data = bytes.Replace(data, []byte("PWNED"), []byte("PWNED2"), 1)
	altered.Header.Set("Nats-Msg-Id", id)
	setSigned(altered, natstest.JobKey.Sign(fleet.Job{Subject: subj, ID: id, Data: data}))
	if _, err := j.PublishMsg(context.Background(), altered); err != nil {
		t.Fatal(err)
	}
	subj, id, data = job(4)
	replayed := nats.NewMsg(subj)
	replayed.Data = data
	replayed.Header.Set("Nats-Msg-Id", id)
	setSigned(replayed, natstest.JobKey.Sign(fleet.Job{Subject: "automl.trials.default." + study + "." + inc + ".5", ID: id, Data: data}))
	if _, err := j.PublishMsg(context.Background(), replayed); err != nil {
		t.Fatal(err)
	}

	good := spec(9, 1)
	if err := d.Dispatch(context.Background(), []trial.Spec{good}); err != nil {
		t.Fatal(err)
	}
	got := untilExited(t, d, good.Key)
	if res := exitOf(t, got[good.Key]).Result; res.Outcome != trial.ExitDone {
		t.Fatalf("the study's own job ended %v", res.Outcome)
	}
	eventually(t, "foreign jobs taken off the queue", func() bool { return streamMsgs(t, nc, natsbus.TrialsStream) == 0 })
	if n := ran.Load(); n != 1 {
		t.Errorf("%d jobs ran; want 1 (the study's own)", n)
	}
	if n := log.count("security: job rejected"); n != 4 {
		t.Errorf("%d security events logged; want 4:\n%s", n, log.buf.String())
	}
	for _, why := range []string{"not signed", "does not trust", "does not match"} {
		if log.count(why) == 0 {
			t.Errorf("no rejection says %q", why)
		}
	}
}

// Events nobody handed the job could send are never applied: no lease
// token, another job's token, a worker name unlike the sender's subject.
// Forged stop requests stop nothing.
func TestForgedEventsAndStopsRejected(t *testing.T) {
	rec := probes(t)
	defer func() { rec.atLeast(t, "dropped forged", 1) }()
	_, nc := server(t)
	var dlog logBuffer
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{Pools: []string{trial.DefaultPool}, Logger: dlog.logger()})
	j := js(t, nc)
	k := trial.Key{Study: study, Incarnation: inc, ID: 1, Attempt: 1}
	forge := func(sender, worker, lease string, seq int) {
		ev := trial.Event{Key: k, Delivery: 1, Seq: seq, Kind: trial.Exited, Time: time.Now(), Worker: worker, Lease: lease,
			Result: &trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": -1e9}}}
		data, _ := json.Marshal(ev)
		if _, err := j.Publish(context.Background(), "automl.events."+study+"."+inc+".1."+sender, data); err != nil {
			t.Fatal(err)
		}
	}
	forge("evil", "evil", "", 1)
	forge("evil", "evil", natstest.JobKey.Lease(study+"/"+inc+"/2/1"), 2)
	forge("evil", "w1", natstest.JobKey.Lease(study+"/"+inc+"/1/1"), 3) // the right token, but sent as evil
	other, _ := fleet.NewJobKey(bytes.Repeat([]byte{7}, 32))
	forge("evil", "evil", other.Lease(study+"/"+inc+"/1/1"), 4)

	started := make(chan struct{})
	release := make(chan struct{})
	var wlog logBuffer
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			return trial.Result{}, ctx.Err()
		}
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 1, AckWait: time.Minute, Logger: wlog.logger()})
	if err := d.Dispatch(context.Background(), []trial.Spec{spec(1, 1)}); err != nil {
		t.Fatal(err)
	}
	<-started
	stop, _ := json.Marshal(k)
	if err := nc.Publish("automl.control."+study+"."+inc+".1", stop); err != nil { // unsigned
		t.Fatal(err)
	}
	eventually(t, "the forged stop request rejected", func() bool { return wlog.count("security: stop request rejected") == 1 })
	close(release)
	ev := exitOf(t, untilExited(t, d, k)[k])
	if ev.Worker != "w1" || ev.Result.Outcome != trial.ExitDone || ev.Result.Metrics["loss"] != 1 {
		t.Fatalf("applied exit %+v from %q; want the worker's real result", ev.Result, ev.Worker)
	}
	if n := dlog.count("security: event rejected"); n != 4 {
		t.Errorf("%d forged events logged; want 4:\n%s", n, dlog.buf.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
