package natsbus_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/internal/modelfiles"
	"automl/trial"
)

// Before the cleanup deletes a final trial's checkpoints, the model and
// holdout files of the checkpoint its last result named (the latest
// attempt's) go to the models directory; a checkpoint without them
// gives nothing; a trial whose copy fails is logged by number while the
// others are copied and every checkpoint is deleted.
func TestModelsHarvestedBeforeCleanup(t *testing.T) {
	e, nc := server(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "automl.db.models")
	var logs logBuffer
	var harvested [][]int
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{
		ModelDir: dir, Logger: logs.logger(),
		Harvested: func(_ context.Context, ids []int) { harvested = append(harvested, slices.Clone(ids)) },
	})
	// The trainer writes model and holdout files naming the span that made
	// them, except trial 2's, which keeps weights only.
	startWorker(t, natstest.Conn(t, e, "w"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		files := map[string]string{"weights": "w"}
		if s.Key.ID != 2 {
			span := s.Key.String() + "@" + strconv.FormatFloat(s.To, 'g', -1, 64)
			files[modelfiles.ModelFile] = "model of " + span
			files[modelfiles.HoldoutFile] = "holdout of " + span
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(s.CheckpointDir, name), []byte(data), 0o644); err != nil {
				return trial.Result{}, err
			}
		}
		out := trial.ExitDone
		if s.To == 3 {
			out = trial.ExitPaused
		}
		return trial.Result{Outcome: out, Step: s.To, Metrics: trial.Metrics{"loss": 1}, Checkpoint: "weights"}, nil
	}), natsbus.WorkerOptions{Slots: 2})

	// Trial 1 pauses at 3, then its second attempt resumes and completes at
	// 9: the checkpoint its last result names is the second one's.
	first := spec(1, 1)
	first.To = 3
	if err := d.Dispatch(ctx, []trial.Spec{first}); err != nil {
		t.Fatal(err)
	}
	paused := exitOf(t, untilExited(t, d, first.Key)[first.Key]).Result
	second := spec(1, 2)
	second.From, second.To, second.Checkpoint = 3, 9, paused.Checkpoint
	var specs []trial.Spec
	for _, id := range []int{2, 4, 5} {
		s := spec(id, 1)
		s.To = 9
		specs = append(specs, s)
	}
	if err := d.Dispatch(ctx, append(specs, second)); err != nil {
		t.Fatal(err)
	}
	untilExited(t, d, second.Key, specs[0].Key, specs[1].Key, specs[2].Key)
	// Trial 4's model cannot be put in place (a directory is there).
	if err := os.MkdirAll(filepath.Join(modelfiles.Model(dir, study, 4), "x"), 0o755); err != nil {
		t.Fatal(err)
	}

	// Trial 3 never saved a checkpoint.
	if err := d.DeleteCheckpoints(ctx, study, []int{1, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int]string{1: second.Key.String() + "@9", 5: specs[2].Key.String() + "@9"} {
		for path, what := range map[string]string{modelfiles.Model(dir, study, id): "model of ", modelfiles.Holdout(dir, study, id): "holdout of "} {
			got, err := os.ReadFile(path)
			if err != nil || string(got) != what+want {
				t.Errorf("trial %d: %s holds %q (err %v), want %q", id, path, got, err, what+want)
			}
		}
	}
	for _, id := range []int{2, 3} {
		for _, path := range []string{modelfiles.Model(dir, study, id), modelfiles.Holdout(dir, study, id)} {
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("trial %d saved no model, yet %s: %v", id, path, err)
			}
		}
	}
	if n := logs.count("model of a finished trial not kept"); n != 1 || logs.count("trial=4") != 1 {
		t.Errorf("trial 4's failed copy: %d warnings; log:\n%s", n, logs.buf.String())
	}
	if len(harvested) != 1 || !slices.Equal(harvested[0], []int{1, 5}) {
		t.Errorf("Harvested called with %v, want [[1 5]]", harvested)
	}
	ents, err := os.ReadDir(modelfiles.StudyDir(dir, study))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left in the models directory: %s", e.Name())
		}
	}
	obs, err := js(t, nc).ObjectStore(ctx, natsbus.CheckpointBucket)
	if err != nil {
		t.Fatal(err)
	}
	if infos, err := obs.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatalf("checkpoints left after cleanup: %d (err %v)", len(infos), err)
	}
}

// Without ModelDir nothing is harvested: the cleanup only deletes.
func TestNoModelDirNoHarvest(t *testing.T) {
	e, nc := server(t)
	ctx := context.Background()
	called := false
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{Harvested: func(context.Context, []int) { called = true }})
	startWorker(t, natstest.Conn(t, e, "w"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if err := os.WriteFile(filepath.Join(s.CheckpointDir, modelfiles.ModelFile), []byte("m"), 0o644); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Step: 1, Metrics: trial.Metrics{"loss": 1}, Checkpoint: modelfiles.ModelFile}, nil
	}), natsbus.WorkerOptions{Slots: 1})
	s := spec(1, 1)
	s.To = 1
	if err := d.Dispatch(ctx, []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	untilExited(t, d, s.Key)
	if err := d.DeleteCheckpoints(ctx, study, []int{1}); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("Harvested called without a ModelDir")
	}
}

// A study being stopped (the scheduler's context cancelled) still keeps
// the models of the trials that ended: the checkpoints may go next.
func TestHarvestOutlivesCancel(t *testing.T) {
	e, nc := server(t)
	dir := t.TempDir()
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{ModelDir: dir})
	startWorker(t, natstest.Conn(t, e, "w"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if err := os.WriteFile(filepath.Join(s.CheckpointDir, modelfiles.ModelFile), []byte("m"), 0o644); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Step: 1, Metrics: trial.Metrics{"loss": 1}, Checkpoint: modelfiles.ModelFile}, nil
	}), natsbus.WorkerOptions{Slots: 1})
	s := spec(1, 1)
	s.To = 1
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	untilExited(t, d, s.Key)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = d.DeleteCheckpoints(ctx, study, []int{1})
	if got, err := os.ReadFile(modelfiles.Model(dir, study, 1)); err != nil || string(got) != "m" {
		t.Fatalf("model after a cancelled cleanup: %q, %v", got, err)
	}
}

// The harvest takes the checkpoint the trial's result named, nothing else:
// an object another client (any worker may write the bucket) put under a
// newer name of the trial is not harvested, one put in place of the named
// object is refused as a security event, and a trial whose result this
// dispatcher never saw (or a digest-less reference) keeps no model.
func TestHarvestTakesOnlyTheReferencedCheckpoint(t *testing.T) {
	e, nc := server(t)
	ctx := context.Background()
	dir := t.TempDir()
	var logs logBuffer
	var harvested []int
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{
		ModelDir: dir, Logger: logs.logger(),
		Harvested: func(_ context.Context, ids []int) { harvested = append(harvested, ids...) },
	})
	startWorker(t, natstest.Conn(t, e, "w"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if err := os.WriteFile(filepath.Join(s.CheckpointDir, modelfiles.ModelFile), []byte("trained "+s.Key.String()), 0o644); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Step: 9, Metrics: trial.Metrics{"loss": 1}, Checkpoint: modelfiles.ModelFile}, nil
	}), natsbus.WorkerOptions{Slots: 2})
	specs := []trial.Spec{spec(1, 1), spec(2, 1)}
	for i := range specs {
		specs[i].To = 9
	}
	if err := d.Dispatch(ctx, specs); err != nil {
		t.Fatal(err)
	}
	exits := untilExited(t, d, specs[0].Key, specs[1].Key)
	ref2 := exitOf(t, exits[specs[1].Key]).Result.Checkpoint
	name2, _, ok := strings.Cut(ref2, "#")
	if !ok {
		t.Fatalf("trial 2's result names %q, no digest", ref2)
	}

	// A rogue client writes the bucket: for trial 1 a checkpoint of a
	// later attempt and a higher resource (newest by name), for trial 2 new
	// content under the name its result gave, for trial 3 (no result seen)
	// a checkpoint of its own.
	obs, err := js(t, natstest.Conn(t, e, "rogue")).ObjectStore(ctx, natsbus.CheckpointBucket)
	if err != nil {
		t.Fatal(err)
	}
	plant := func(name string) {
		t.Helper()
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		data := []byte("planted")
		if err := tw.WriteHeader(&tar.Header{Name: modelfiles.ModelFile, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := obs.PutBytes(ctx, name, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	later := specs[0].Key
	later.Attempt = 7
	plant(natsbus.CheckpointKey(later, 3, 99))
	plant(name2)
	plant(natsbus.CheckpointKey(spec(3, 1).Key, 1, 9))

	if err := d.DeleteCheckpoints(ctx, study, []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(modelfiles.Model(dir, study, 1)); err != nil || string(got) != "trained "+specs[0].Key.String() {
		t.Errorf("trial 1's model: %q (err %v), want the one its run saved", got, err)
	}
	for _, id := range []int{2, 3} {
		if got, err := os.ReadFile(modelfiles.Model(dir, study, id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("trial %d: a model was kept: %q (err %v)", id, got, err)
		}
	}
	if !slices.Equal(harvested, []int{1}) {
		t.Errorf("Harvested called with %v, want [1]", harvested)
	}
	log := logs.buf.String()
	if n := logs.count("security: checkpoint refused"); n != 1 || !strings.Contains(log, "trial=2") || !strings.Contains(log, natsbus.ErrCheckpointReplaced.Error()) {
		t.Errorf("trial 2's replaced checkpoint: %d security events; log:\n%s", n, log)
	}
	if n := logs.count("no model kept: the dispatcher saw no checkpoint reference"); n != 1 || !strings.Contains(log, "trial=3") {
		t.Errorf("trial 3 without a known reference: %d warnings; log:\n%s", n, log)
	}
	if infos, err := obs.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Errorf("checkpoints left after cleanup: %d (err %v)", len(infos), err)
	}
}
