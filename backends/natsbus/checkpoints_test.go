package natsbus_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// A trial paused at a rung leaves its checkpoint in the object store; a
// different worker resumes it from there; the scheduler's cleanup deletes
// every checkpoint of the trial.
func TestCheckpointMovesBetweenWorkers(t *testing.T) {
	rec := probes(t)
	defer func() { rec.atLeast(t, "checkpoint saved", 1); rec.atLeast(t, "checkpoint loaded", 1) }()
	e, nc := server(t)
	ctx := context.Background()
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{})
	stopA := startWorker(t, natstest.Conn(t, e, "a"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if s.CheckpointDir == "" {
			return trial.Result{}, errors.New("no checkpoint directory")
		}
		if err := os.MkdirAll(filepath.Join(s.CheckpointDir, "opt"), 0o755); err != nil {
			return trial.Result{}, err
		}
		for name, data := range map[string]string{"weights": "w of " + s.Key.String(), "opt/state": "adam"} {
			if err := os.WriteFile(filepath.Join(s.CheckpointDir, name), []byte(data), 0o644); err != nil {
				return trial.Result{}, err
			}
		}
		return trial.Result{Outcome: trial.ExitPaused, Step: 3, Metrics: trial.Metrics{"loss": 1}, Checkpoint: "weights"}, nil
	}), natsbus.WorkerOptions{Slots: 1, Name: "a"})
	first := spec(1, 1)
	first.To = 3
	if err := d.Dispatch(ctx, []trial.Spec{first}); err != nil {
		t.Fatal(err)
	}
	res := exitOf(t, untilExited(t, d, first.Key)[first.Key]).Result
	want := natsbus.CheckpointKey(first.Key, 1, 3)
	if res.Outcome != trial.ExitPaused || !strings.HasPrefix(res.Checkpoint, want+"#SHA-256=") {
		t.Fatalf("first span: %+v; want paused with checkpoint %s and its digest", res, want)
	}
	stopA()

	got := make(chan string, 1)
	startWorker(t, natstest.Conn(t, e, "b"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		w, err1 := os.ReadFile(filepath.Join(s.CheckpointDir, "weights"))
		o, err2 := os.ReadFile(filepath.Join(s.CheckpointDir, "opt/state"))
		if err := errors.Join(err1, err2); err != nil {
			return trial.Result{}, err
		}
		got <- string(w) + "|" + string(o)
		return trial.Result{Step: 9, Metrics: trial.Metrics{"loss": 0.5}}, nil
	}), natsbus.WorkerOptions{Slots: 1, Name: "b"})
	second := spec(1, 2)
	second.From, second.To, second.Checkpoint = 3, 9, res.Checkpoint
	missing := spec(2, 1)
	missing.From, missing.To, missing.Checkpoint = 3, 9, natsbus.CheckpointKey(trial.Key{Study: study, Incarnation: inc, ID: 2, Attempt: 1}, 1, 3)
	// Another worker (anyone may write the bucket) replaces trial 3's
	// checkpoint after it was saved: the resume refuses it.
	obs, err := js(t, nc).ObjectStore(ctx, natsbus.CheckpointBucket)
	if err != nil {
		t.Fatal(err)
	}
	name3 := natsbus.CheckpointKey(trial.Key{Study: study, Incarnation: inc, ID: 3, Attempt: 1}, 1, 3)
	info, err := obs.PutBytes(ctx, name3, []byte("the real one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(ctx, name3, []byte("poisoned weights")); err != nil {
		t.Fatal(err)
	}
	replaced := spec(3, 2)
	replaced.From, replaced.To, replaced.Checkpoint = 3, 9, name3+"#"+info.Digest
	if err := d.Dispatch(ctx, []trial.Spec{second, missing, replaced}); err != nil {
		t.Fatal(err)
	}
	evs := untilExited(t, d, second.Key, missing.Key, replaced.Key)
	if r := exitOf(t, evs[replaced.Key]).Result; r.Outcome != trial.ExitCrashed || !strings.Contains(r.Error, "checkpoint replaced") {
		t.Fatalf("resume from a replaced checkpoint: %+v, want crashed naming it", r)
	}
	if r := exitOf(t, evs[second.Key]).Result; r.Outcome != trial.ExitDone {
		t.Fatalf("resumed span: %+v", r)
	}
	if s := <-got; s != "w of "+first.Key.String()+"|adam" {
		t.Fatalf("worker b read checkpoint %q", s)
	}
	if r := exitOf(t, evs[missing.Key]).Result; r.Outcome != trial.ExitCrashed || !strings.Contains(r.Error, "checkpoint not found") {
		t.Fatalf("resume from a missing checkpoint: %+v, want crashed naming it", r)
	}

	if err := d.DeleteCheckpoints(ctx, study, []int{1, 3}); err != nil {
		t.Fatal(err)
	}
	if infos, err := obs.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatalf("checkpoints left after cleanup: %d (err %v)", len(infos), err)
	}
}
