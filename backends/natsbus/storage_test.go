package natsbus_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// streamLimits are the byte limits of automl's streams, by name.
func streamLimits(t *testing.T, j jetstream.JetStream) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, name := range []string{natsbus.TrialsStream, natsbus.EventsStream, natsbus.AdvisoriesStream, "OBJ_" + natsbus.CheckpointBucket} {
		s, err := j.Stream(context.Background(), name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		out[name] = s.CachedInfo().Config.MaxBytes
	}
	return out
}

// The embedded server starts where only a few hundred MB are free (it used
// to need about 3 GB: two streams of 1 GiB, reserved up front against 75%
// of the free space), runs trials, and a reservation that does not fit is
// refused naming the stream.
func TestEmbeddedStartsWithLittleFreeSpace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "disk")
	if why := natstest.SmallDisk(t, dir, "300m"); why != "" {
		// Not root: the server is told the disk has 300 MiB free.
		t.Logf("%s; injecting 300 MiB of free space instead", why)
		dir = t.TempDir()
		t.Cleanup(natsbus.SetFreeSpace(func(string) (int64, error) { return 300 << 20, nil }))
	}
	e := natstest.StartIn(t, filepath.Join(dir, "s.db.nats"))
	if got := e.Storage(); got > 150<<20 || got < 140<<20 {
		t.Fatalf("storage %d bytes on a 300 MiB disk, want half of it", got)
	}
	nc := natstest.Conn(t, e, "scheduler")
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{Storage: e.Storage(), ResizeStreams: true, Store: e})
	var sum int64
	for name, n := range streamLimits(t, js(t, nc)) {
		if n <= 0 {
			t.Errorf("stream %s has no byte limit", name)
		}
		sum += n
	}
	if sum > e.Storage() {
		t.Errorf("byte limits add up to %d, over the server's %d", sum, e.Storage())
	}
	startWorker(t, nc, runFn(quick), natsbus.WorkerOptions{Slots: 2, Store: e})
	specs := []trial.Spec{spec(1, 1), spec(2, 1), spec(3, 1)}
	if err := d.Dispatch(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	untilExited(t, d, specs[0].Key, specs[1].Key, specs[2].Key)

	err := natsbus.EnsureStreams(context.Background(), js(t, nc), natsbus.StreamOptions{Storage: 4 << 30, Resize: true})
	if err == nil || !strings.Contains(err.Error(), "insufficient storage") || !strings.Contains(err.Error(), natsbus.TrialsStream) {
		t.Fatalf("4 GiB of streams on a 150 MiB server: err %v, want insufficient storage naming the stream", err)
	}
}

// Too little free space, or a limit above it, fails at once and says how
// much is free.
func TestEmbeddedRefusesTooLittleSpace(t *testing.T) {
	t.Cleanup(natsbus.SetFreeSpace(func(string) (int64, error) { return 20 << 20, nil }))
	dir := t.TempDir()
	_, err := natsbus.StartEmbedded(dir)
	if err == nil || !strings.Contains(err.Error(), "20 MiB free") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("start with 20 MiB free: err %v, want one naming %s and its free space", err, dir)
	}
	_, err = natsbus.StartEmbedded(dir, natsbus.WithStorage(1<<30))
	if err == nil || !strings.Contains(err.Error(), "1 GiB") || !strings.Contains(err.Error(), "(20 MiB)") {
		t.Fatalf("a 1 GiB limit with 20 MiB free: err %v", err)
	}
	e := natstest.StartIn(t, dir, natsbus.WithStorage(natsbus.MinStorage))
	if e.Storage() != natsbus.MinStorage {
		t.Fatalf("storage %d, want %d", e.Storage(), natsbus.MinStorage)
	}
}

// Streams that exist keep the byte limits they have, unless the caller
// owns them (Resize): then they take their share, but never one below what
// they hold.
func TestEnsureStreamsKeepsLimits(t *testing.T) {
	_, nc := server(t)
	j := js(t, nc)
	ctx := context.Background()
	if err := natsbus.EnsureStreams(ctx, j, natsbus.StreamOptions{Storage: 128 << 20}); err != nil {
		t.Fatal(err)
	}
	want := streamLimits(t, j)
	if want[natsbus.TrialsStream] != 8<<20 || want[natsbus.EventsStream] != 32<<20 {
		t.Fatalf("limits %v for 128 MiB: want 8 MiB of jobs, 32 MiB of events", want)
	}
	// Another scheduler with other settings (an operator's server).
	if err := natsbus.EnsureStreams(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got := streamLimits(t, j); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("limits changed to %v by a scheduler that does not own them, want %v", got, want)
	}
	// The owner shrinks them; events holding more than their new share
	// keep theirs, and every event.
	big := make([]byte, 400<<10)
	for i := range 13 {
		if _, err := j.Publish(ctx, fmt.Sprintf("automl.events.%s.%d", study, i), big); err != nil {
			t.Fatal(err)
		}
	}
	if err := natsbus.EnsureStreams(ctx, j, natsbus.StreamOptions{Storage: 16 << 20, Resize: true}); err != nil {
		t.Fatal(err)
	}
	got := streamLimits(t, j)
	if got[natsbus.TrialsStream] != 1<<20 || got[natsbus.EventsStream] != 32<<20 {
		t.Errorf("limits after resizing to 16 MiB: %v; want 1 MiB of jobs and the events' 32 MiB kept", got)
	}
	if n := streamMsgs(t, nc, natsbus.EventsStream); n != 13 {
		t.Errorf("events stream holds %d messages after the resize, want 13", n)
	}
}

// A store written with larger streams (an older automl reserved 2 GiB)
// opens on a server with less, and its streams come down to their shares
// with their jobs.
func TestLargerOldStoreShrinks(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(natsbus.SetFreeSpace(func(string) (int64, error) { return 8 << 30, nil }))
	e1 := natstest.StartIn(t, dir, natsbus.WithStorage(4<<30))
	nc1 := natstest.Conn(t, e1, "old")
	d1 := newDispatcher(t, nc1, natsbus.DispatcherOptions{Storage: 4 << 30, ResizeStreams: true})
	if err := d1.Dispatch(context.Background(), []trial.Spec{spec(1, 1), spec(2, 1)}); err != nil {
		t.Fatal(err)
	}
	_ = d1.Close()
	nc1.Close()
	_ = e1.Close()

	e2 := natstest.StartIn(t, dir, natsbus.WithStorage(64<<20))
	nc2 := natstest.Conn(t, e2, "new")
	d2 := newDispatcher(t, nc2, natsbus.DispatcherOptions{Storage: e2.Storage(), ResizeStreams: true})
	if got := streamLimits(t, js(t, nc2)); got[natsbus.TrialsStream] != 4<<20 || got[natsbus.EventsStream] != 16<<20 {
		t.Fatalf("limits %v after reopening with 64 MiB", got)
	}
	startWorker(t, nc2, runFn(quick), natsbus.WorkerOptions{Slots: 2})
	untilExited(t, d2, spec(1, 1).Key, spec(2, 1).Key)
}

// A full disk during a study: the stream that fails to write keeps
// failing in JetStream until it is reopened. The embedded server reports
// the fault with its directory and free space, in-process workers wait
// instead of losing their runs, and once space is back the store reopens
// and every trial completes, each run once.
func TestEmbeddedRecoversFromDiskFull(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "disk")
	if why := natstest.SmallDisk(t, disk, "48m"); why != "" {
		t.Skip(why)
	}
	t.Cleanup(natsbus.SetCheckEvery(100 * time.Millisecond))
	store := filepath.Join(disk, "s.db.nats")
	e := natstest.StartIn(t, store, natsbus.WithStorage(16<<20))
	nc := natstest.Conn(t, e, "scheduler")
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{Storage: e.Storage(), ResizeStreams: true, Store: e})
	var mu sync.Mutex
	runs := map[trial.Key]int{}
	release := make(chan struct{})
	startWorker(t, natstest.Conn(t, e, "worker"), runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		mu.Lock()
		runs[s.Key]++
		mu.Unlock()
		if s.Key.ID > 4 {
			<-release
		}
		if _, err := rep.Report(ctx, 1, trial.Metrics{"loss": 2}); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: 4, AckWait: 5 * time.Second, Store: e})
	ctx := context.Background()
	var keys []trial.Key
	for id := 1; id <= 8; id++ {
		if err := d.Dispatch(ctx, []trial.Spec{spec(id, 1)}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, spec(id, 1).Key)
	}
	got := untilExited(t, d, keys[:4]...)

	// Trials 5-8 are running; the disk fills; they end and report, and
	// more jobs go out until a write fails (a small one may still fit in
	// a page the store's file has).
	free := natstest.FillDisk(t, disk)
	close(release)
	var failed []trial.Spec
	var fault, dispatchErr error
	deadline := time.Now().Add(wait)
	for id := 9; fault == nil; id++ {
		if time.Now().After(deadline) {
			t.Fatal("no store fault on a full disk")
		}
		s := spec(id, 1)
		keys = append(keys, s.Key)
		if err := d.Dispatch(ctx, []trial.Spec{s}); err != nil {
			failed, dispatchErr = append(failed, s), err
		}
		fault = e.Fault()
	}
	for _, want := range []string{store, "free on its filesystem", "no space left on device"} {
		if !strings.Contains(fault.Error(), want) {
			t.Errorf("fault %q does not say %q", fault, want)
		}
	}
	if err := d.Dispatch(ctx, []trial.Spec{spec(1000, 1)}); err == nil || !strings.Contains(err.Error(), store) {
		t.Errorf("dispatch on a full disk: err %v, want the store's fault", err)
	}
	t.Logf("fault: %v; a dispatch said: %v", fault, dispatchErr)

	free()
	eventually(t, "writes to work again", func() bool { return e.Fault() == nil })
	// The scheduler sends the jobs that failed again; one the server did
	// store is not stored twice.
	eventually(t, "the failed dispatches to go through", func() bool { return d.Dispatch(ctx, failed) == nil })
	for k, evs := range untilExited(t, d, keys[4:]...) {
		got[k] = evs
	}
	for _, k := range keys {
		if res := exitOf(t, got[k]).Result; res.Outcome != trial.ExitDone {
			t.Errorf("%v ended %v (%s)", k, res.Outcome, res.Error)
		}
		mu.Lock()
		n := runs[k]
		mu.Unlock()
		if n != 1 {
			t.Errorf("%v ran %d times, want once", k, n)
		}
	}
}

// A checkpoint bigger than the checkpoint store's share fails its run as
// lost, saying the store is full, its limit, and what gives it more.
func TestCheckpointStoreFull(t *testing.T) {
	e := natstest.Start(t, natsbus.WithStorage(natsbus.MinStorage))
	nc := natstest.Conn(t, e, "scheduler")
	d := newDispatcher(t, nc, natsbus.DispatcherOptions{Storage: e.Storage(), ResizeStreams: true, Store: e})
	big := make([]byte, natsbus.MinStorage) // more than the checkpoints' share of it
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if err := os.WriteFile(filepath.Join(s.CheckpointDir, "weights"), big, 0o600); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Outcome: trial.ExitPaused, Step: 1, Metrics: trial.Metrics{"loss": 1}, Checkpoint: "weights"}, nil
	}), natsbus.WorkerOptions{Slots: 1, Store: e})
	s := spec(1, 1)
	s.To = 1
	if err := d.Dispatch(context.Background(), []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	res := exitOf(t, untilExited(t, d, s.Key)[s.Key]).Result
	if res.Outcome != trial.ExitLost || !regexp.MustCompile(`checkpoint store automl-checkpoints is full at [0-9.]+ MiB`).MatchString(res.Error) || !strings.Contains(res.Error, "--nats-storage") {
		t.Fatalf("a checkpoint over the store's limit: %v %q", res.Outcome, res.Error)
	}
	if e.Fault() != nil {
		t.Errorf("a full stream is not a store fault: %v", e.Fault())
	}
}
