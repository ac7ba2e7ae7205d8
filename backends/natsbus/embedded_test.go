package natsbus_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// Jobs queued before the server stops are there after it restarts on the
// same directory, and run.
func TestRestartKeepsQueuedJobs(t *testing.T) {
	dir := t.TempDir()
	e1 := natstest.StartIn(t, dir)
	nc1 := natstest.Conn(t, e1, "before")
	d1 := newDispatcher(t, nc1, natsbus.DispatcherOptions{})
	specs := []trial.Spec{spec(1, 1), spec(2, 1), spec(3, 1)}
	if err := d1.Dispatch(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	_ = d1.Close()
	nc1.Close()
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := natstest.StartIn(t, dir)
	nc2 := natstest.Conn(t, e2, "after")
	if n := streamMsgs(t, nc2, natsbus.TrialsStream); n != 3 {
		t.Fatalf("after restart the trials stream holds %d jobs, want 3", n)
	}
	d2 := newDispatcher(t, nc2, natsbus.DispatcherOptions{})
	startWorker(t, nc2, runFn(quick), natsbus.WorkerOptions{Slots: 2})
	got := untilExited(t, d2, specs[0].Key, specs[1].Key, specs[2].Key)
	for k, evs := range got {
		if res := exitOf(t, evs).Result; res.Outcome != trial.ExitDone {
			t.Errorf("%v ended %v", k, res.Outcome)
		}
	}
}

// Two servers never share a store directory.
func TestStoreDirLocked(t *testing.T) {
	dir := t.TempDir()
	e := natstest.StartIn(t, dir)
	_, err := natsbus.StartEmbedded(dir)
	if !errors.Is(err, natsbus.ErrStoreInUse) {
		t.Fatalf("second server on %s: err %v, want ErrStoreInUse", dir, err)
	}
	// Closing releases the directory.
	_ = e.Close()
	natstest.StartIn(t, dir)
}

// A listen address exposes the server over TCP to other processes.
func TestListen(t *testing.T) {
	e := natstest.Start(t, natsbus.WithListen("127.0.0.1:0"), natsbus.WithSyncAlways(false))
	nc, err := natsbus.Connect(e.ClientURL(), "tcp-client", quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := natsbus.EnsureStreams(context.Background(), js(t, nc)); err != nil {
		t.Fatalf("jetstream over %s: %v", e.ClientURL(), err)
	}
	if _, err := natsbus.StartEmbedded(t.TempDir(), natsbus.WithListen("nonsense")); err == nil {
		t.Error("bad listen address accepted")
	}
}

// A listen address that is taken fails at once, saying so (the server
// itself only logs it, and was waited for 30 s).
func TestListenAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	start := time.Now()
	_, err = natsbus.StartEmbedded(t.TempDir(), natsbus.WithListen(ln.Addr().String()))
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("listen on a taken port: err %v, want address already in use", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v to fail", d)
	}
}

// A store directory that cannot be made, written or read fails at once,
// naming it.
func TestStoreDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.db.nats")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// JetStream's own directory cannot be made: the server fails to start
	// JetStream, which it only logs.
	if err := os.WriteFile(filepath.Join(dir, "jetstream"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{file: "not a directory", dir: "Can't start JetStream"}
	ro := filepath.Join(t.TempDir(), "ro")
	if why := natstest.ReadOnlyDisk(t, ro); why != "" {
		t.Logf("no read-only store: %s", why)
	} else {
		cases[ro] = "read-only file system"
	}
	for path, want := range cases {
		start := time.Now()
		_, err := natsbus.StartEmbedded(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("store %s: err %v, want one naming it and %q", path, err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("store %s: took %v to fail", path, d)
		}
	}
}
