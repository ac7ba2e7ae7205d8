package natsbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/scheduler"
	"automl/trial"
)

func unclaimed(t *testing.T, o natsbus.DispatcherOptions, nc natsConn) *natsbus.Dispatcher {
	t.Helper()
	o.Logger = quiet()
	o.JobKey = natstest.JobKey
	d, err := natsbus.NewDispatcher(context.Background(), nc, study, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// A second scheduler of a study is refused while the first runs, with an
// error naming the first; once the first ends it may take the study.
func TestClaimRefusesASecondScheduler(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	first := unclaimed(t, natsbus.DispatcherOptions{}, nc)
	if err := first.Claim(ctx, scheduler.Claim{Incarnation: inc, StoreFile: "a.db", SpaceFile: "a.yaml"}); err != nil {
		t.Fatal(err)
	}
	second := unclaimed(t, natsbus.DispatcherOptions{}, nc)
	err := second.Claim(ctx, scheduler.Claim{Incarnation: "i2", StoreFile: "b.db"})
	host, _ := os.Hostname()
	if !errors.Is(err, natsbus.ErrOwned) || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "a.db") || !strings.Contains(err.Error(), "a.yaml") {
		t.Fatalf("second claim: %v; want ErrOwned naming the host, study file and space file of the owner", err)
	}
	if err := second.Dispatch(ctx, []trial.Spec{spec(1, 1)}); err == nil {
		t.Error("a dispatcher that holds no claim dispatched")
	}
	_ = first.Close()
	if err := second.Claim(ctx, scheduler.Claim{Incarnation: "i2"}); err != nil {
		t.Fatalf("claim after the owner ended: %v", err)
	}
}

// A scheduler of this machine that died (its pid is gone) leaves a claim
// the next one takes over at once; one of another machine lapses after the
// lease.
func TestClaimOfADeadOwner(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	kv := ownersKV(t, nc, time.Second)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	put(t, kv, map[string]any{"incarnation": inc, "host": host, "pid": dead.Process.Pid})
	d := unclaimed(t, natsbus.DispatcherOptions{}, nc)
	if err := d.Claim(ctx, scheduler.Claim{Incarnation: inc}); err != nil {
		t.Fatalf("claim of a dead scheduler's study: %v", err)
	}
	_ = d.Close()

	put(t, kv, map[string]any{"incarnation": inc, "host": "elsewhere", "pid": 1})
	d = unclaimed(t, natsbus.DispatcherOptions{}, nc)
	if err := d.Claim(ctx, scheduler.Claim{Incarnation: inc}); !errors.Is(err, natsbus.ErrOwned) {
		t.Fatalf("claim of another machine's study: %v, want ErrOwned", err)
	}
	start := time.Now()
	for d.Claim(ctx, scheduler.Claim{Incarnation: inc}) != nil {
		if time.Since(start) > wait {
			t.Fatal("the claim of a silent owner never lapsed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v to lapse with a 1 s lease", took)
	}
}

// A scheduler whose claim is taken from it (it went silent past its lease
// and another took the study) stops: its events end, Err says why.
func TestClaimLost(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	kv := ownersKV(t, nc, time.Second)
	d := unclaimed(t, natsbus.DispatcherOptions{}, nc)
	if err := d.Claim(ctx, scheduler.Claim{Incarnation: inc}); err != nil {
		t.Fatal(err)
	}
	put(t, kv, map[string]any{"incarnation": "i9", "host": "elsewhere", "pid": 1})
	select {
	case _, ok := <-d.Events():
		if ok {
			t.Fatal("an event arrived; want the events to end")
		}
	case <-time.After(wait):
		t.Fatal("events go on after the claim was taken")
	}
	if err := d.Err(); !errors.Is(err, natsbus.ErrOwned) {
		t.Fatalf("Err = %v, want ErrOwned", err)
	}
}

// Two incarnations of one study name never meet: a dispatcher gets only
// its own incarnation's events, and its jobs carry it.
func TestIncarnationsApart(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	j := js(t, nc)
	for _, subj := range []string{"automl.events.s1.i2.1", "automl.events.s2.i1.1"} {
		if _, err := j.Publish(ctx, subj, []byte(`{"key":{"study":"x","id":1,"attempt":1},"kind":"started"}`)); err != nil {
			t.Fatal(err)
		}
	}
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 1})
	s := spec(1, 1)
	if err := d.Dispatch(ctx, []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range untilExited(t, d, s.Key)[s.Key] {
		if ev.Key.Incarnation != inc || ev.Key.Study != study {
			t.Fatalf("event of %v reached the dispatcher of %s/%s", ev.Key, study, inc)
		}
	}
	other := s
	other.Key.Incarnation = "i2"
	if err := d.Dispatch(ctx, []trial.Spec{other}); err == nil {
		t.Error("dispatched a job of another incarnation")
	}
}

type natsConn = *nats.Conn

func ownersKV(t *testing.T, nc natsConn, lease time.Duration) jetstream.KeyValue {
	t.Helper()
	kv, err := js(t, nc).CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: natsbus.OwnersBucket, TTL: lease, History: 1})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func put(t *testing.T, kv jetstream.KeyValue, v map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if _, err := kv.Put(context.Background(), study, b); err != nil {
		t.Fatal(err)
	}
}
