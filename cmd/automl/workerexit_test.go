package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A worker that joined an automl search --listen exits 0 when that
// search has ended, and says so (the search tells its workers on the
// server before the server goes); its log, with --log-format json, is
// JSON to the last line.
func TestWorkerLeavesWhenItsSearchEnds(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "ends", 6, 20*time.Millisecond)
	port := freePort(t)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", "2")
	w := startAutoml(t, dir, "worker", append([]string{"worker", "--gpus", "none", "--slots", "2", "--name", "w1", "--log-format", "json"}, joinFlags(t, dir, port)...)...)
	if code := search.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(search.log, 20))
	}
	ended := time.Now()
	if code := w.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("worker exited %d:\n%s", code, tailFile(w.log, 20))
	}
	took := time.Since(ended)
	said := false
	for _, r := range jsonLines(t, w.logText()) {
		said = said || (r["msg"] == "the search this worker joined has ended: exiting" && r["study"] == "ends" && r["status"] == "done")
	}
	if !said {
		t.Errorf("the worker does not say why it exits:\n%s", tailFile(w.log, 10))
	}
	if took > 3*time.Second {
		t.Errorf("the worker exited %v after the search, want at once", took)
	}
	t.Logf("FIGURE worker exit after its --listen search ended: %v", took.Round(time.Millisecond))
}

// automl worker --exit-when-idle D exits 0 once it has run no trial for D,
// and says so: here D after the study it served (on a NATS server the
// team runs, so no end-of-search message) ran out of trials.
func TestWorkerExitsWhenIdle(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "idle", 6, 20*time.Millisecond)
	n := startNATS(t, natsServerBin(t), "n1", freePort(t), dir, nil)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--nats", n.url(), "--parallel", "2")
	const idle = 2 * time.Second
	w := startAutoml(t, dir, "worker", append([]string{"worker", "--nats", n.url(), "--gpus", "none", "--slots", "2", "--exit-when-idle", idle.String()}, trustFlag(t, dir)...)...)
	if code := search.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(search.log, 20))
	}
	ended := time.Now()
	if code := w.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("worker exited %d:\n%s", code, tailFile(w.log, 20))
	}
	took := time.Since(ended)
	if !strings.Contains(w.logText(), `msg="no trial for --exit-when-idle: exiting" idle=2s`) {
		t.Errorf("the worker does not say why it exits:\n%s", tailFile(w.log, 10))
	}
	if took > idle+3*time.Second {
		t.Errorf("the worker exited %v after the study's last trial, want about %v", took, idle)
	}
	if countEvaluations(t, dir) != 6 {
		t.Errorf("%d evaluations, want 6", countEvaluations(t, dir))
	}
	t.Logf("FIGURE --exit-when-idle %v: the worker exited %v after the study ended", idle, took.Round(time.Millisecond))
}

// SIGTERM on a worker whose trials outlast --grace: they are handed back
// after the grace and the worker exits 0 within the grace plus 1 s, also
// when its server has gone (the search was SIGKILLed: nothing it would
// wait for answers; it took 5 s before).
func TestWorkerSIGTERMWithinGrace(t *testing.T) {
	for _, gone := range []bool{false, true} {
		t.Run(map[bool]string{false: "connected", true: "server gone"}[gone], func(t *testing.T) { workerSIGTERM(t, gone) })
	}
}

func workerSIGTERM(t *testing.T, serverGone bool) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.sh"), []byte("echo started >> started.txt\nsleep 60\necho '{\"step\": 1, \"value\": 1}'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	space := fmt.Sprintf(`study: term
objective: {metric: value, direction: minimize}
budget: {trials: 2}
algorithm: {name: random, seed: 1}
trainer: {plugin: exec, config: {command: [sh, t.sh], workdir: %q}}
parameters:
  x: {type: float, low: 0, high: 1}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", "2")
	const grace = time.Second
	w := startAutoml(t, dir, "worker", append([]string{"worker", "--gpus", "none", "--slots", "2", "--grace", grace.String()}, joinFlags(t, dir, port)...)...)
	waitFor(t, time.Minute, "two trials running", func() bool { return strings.Count(readFile(filepath.Join(dir, "started.txt")), "started") == 2 })
	if serverGone {
		search.signal(t, syscall.SIGKILL)
		search.wait(t, 10*time.Second)
		waitFor(t, 10*time.Second, "the worker to see its server gone", func() bool { return strings.Contains(w.logText(), "nats disconnected") })
	}
	start := time.Now()
	w.signal(t, syscall.SIGTERM)
	code := w.wait(t, 30*time.Second)
	took := time.Since(start)
	if code != 0 || took > grace+time.Second {
		t.Errorf("worker exited %d after %v of SIGTERM with --grace %v; want 0 within %v:\n%s", code, took, grace, grace+time.Second, tailFile(w.log, 20))
	}
	if !strings.Contains(w.logText(), "grace period over: handing running trials back") {
		t.Errorf("the worker does not say it handed its trials back:\n%s", tailFile(w.log, 10))
	}
	t.Logf("FIGURE SIGTERM on a worker with 2 running trials and --grace %v (server gone: %v): exited %d after %v", grace, serverGone, code, took.Round(time.Millisecond))
}
