package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
)

// The job stream's file loses its tail while nats-server is down (what its
// default fsync interval allows on a power cut): queued jobs are gone, and
// the server restarts without a word about them. The scheduler finds the
// trials whose jobs vanished and runs them again, without a restart:
// every trial completes, none is counted twice.
func TestFleetHealsATruncatedJobStream(t *testing.T) {
	const trials = 200
	f := startFleet(t, "truncated", trials, 2, 100*time.Millisecond)
	waitFor(t, 2*time.Minute, "60 evaluations", func() bool { return countEvaluations(t, f.dir) >= 60 })
	f.nats.kill()
	blocks, _ := filepath.Glob(filepath.Join(f.dir, "store", "jetstream", "$G", "streams", natsbus.TrialsStream, "msgs", "*.blk"))
	cut := 0
	for _, b := range blocks {
		if st, err := os.Stat(b); err == nil && st.Size() > 0 {
			if err := os.Truncate(b, st.Size()/3); err != nil {
				t.Fatal(err)
			}
			cut++
		}
	}
	// The stream's index would tell the server what the blocks held.
	_ = os.RemoveAll(filepath.Join(f.dir, "store", "jetstream", "$G", "streams", natsbus.TrialsStream, "msgs", "index.db"))
	if cut == 0 {
		t.Fatalf("no job stream block to cut among %v", blocks)
	}
	restart := time.Now()
	f.nats.start()
	waitJetStream(t, f.nats.url())
	f.finish(t, f.search)
	completed, lost, twice, reruns := fleetFigures(t, f.dir, "truncated", trials, f.search)
	healed := strings.Count(f.search.logText(), "its job vanished")
	t.Logf("FIGURE truncated job stream: %d trials, %d block(s) cut to a third while nats-server was down -> %d completed, %d lost, %d counted twice, %d trials found vanished and run again (%d evaluations re-run); study done %v after the restart",
		trials, cut, completed, lost, twice, healed, reruns, time.Since(restart).Round(100*time.Millisecond))
	if completed != trials || lost != 0 || twice != 0 {
		t.Fatalf("completed %d, lost %d, counted twice %d; want %d, 0, 0", completed, lost, twice, trials)
	}
}

// automl search --listen off loopback sets the fleet up itself: TLS with
// its own authority, credentials for the scheduler and each worker, and a
// join line. A worker joins with that line alone; a client without
// credentials, or one that does not check the server, gets nowhere.
func TestListenOffLoopbackIsSecure(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "secure", 12, 0)
	port := freePort(t)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", "0.0.0.0:"+strconv.Itoa(port), "--workers", "0", "--parallel", "2")
	tokFlags := joinFlags(t, dir, port)
	tok, err := fleet.ParseToken(tokFlags[1])
	if err != nil {
		t.Fatal(err)
	}
	if tok.CAPin == nil || tok.Join == "" || !strings.HasPrefix(tok.URL, "tls://") {
		t.Fatalf("the join token of a server off loopback: %+v; want TLS, its pin and a join credential", tok)
	}
	line := "automl worker --join " + tokFlags[1]
	if !strings.Contains(search.logText(), line) {
		t.Errorf("automl search does not print the join line %q", line)
	}
	for _, f := range []string{"jobs.key", "scheduler.nk", "join.json", "ca.key", "server.key", "token"} {
		st, err := os.Stat(filepath.Join(dir, "automl.db.fleet", f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("fleet file %s: %v %v, want mode 0600", f, st, err)
		}
	}
	url := "tls://127.0.0.1:" + strconv.Itoa(port)
	if nc, err := nats.Connect(url, nats.Secure(fleet.ClientTLS(tok.CAPin)), nats.Timeout(3*time.Second)); err == nil {
		nc.Close()
		t.Error("a client without credentials connected")
	}
	if nc, err := nats.Connect("nats://127.0.0.1:"+strconv.Itoa(port), nats.Timeout(3*time.Second)); err == nil {
		nc.Close()
		t.Error("a plain-text client connected to a TLS server")
	}
	// The worker needs nothing but the token (its URL is this machine's
	// address; the test reaches it on loopback).
	w := startAutoml(t, dir, "worker", "worker", "--join", tokFlags[1], "--nats", url, "--gpus", "none", "--slots", "2", "--name", "gpu-box")
	if code := search.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s\nworker:\n%s", code, tailFile(search.log, 20), tailFile(w.log, 20))
	}
	trs, _ := fleetTrials(t, dir, "secure")
	for _, tr := range trs {
		if tr.State != "completed" || tr.Worker != "gpu-box" {
			t.Errorf("trial %d: %s on %q", tr.ID, tr.State, tr.Worker)
		}
	}
	if !strings.Contains(w.logText(), "enrolled in the fleet") {
		t.Errorf("the worker does not say it enrolled:\n%s", tailFile(w.log, 10))
	}
	out, _, code := automl(t, dir, "fleet", "workers", "--json")
	if code != 0 || !strings.Contains(out, `"name": "gpu-box"`) {
		t.Errorf("automl fleet workers: exit %d\n%s", code, out)
	}
	w.signal(t, syscall.SIGTERM)
	w.wait(t, 30*time.Second)
}
