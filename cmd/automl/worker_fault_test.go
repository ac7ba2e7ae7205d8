package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fleetLease is the job lease of the fault tests: a killed worker's trials
// come back after it.
const fleetLease = "2s"

// fleetRun starts a nats-server, the study's scheduler (automl search --nats,
// no local slots, and the extra flags) and n workers of 2 slots each.
type fleetRun struct {
	dir     string
	nats    *natsNode
	search  *proc
	workers *workerSet
	args    []string // automl search's
}

func startFleet(t *testing.T, study string, trials, workers int, sleep time.Duration, extra ...string) *fleetRun {
	t.Helper()
	bin := natsServerBin(t)
	dir := t.TempDir()
	fleetSpace(t, dir, study, trials, sleep)
	n := startNATS(t, bin, "n1", freePort(t), dir, nil)
	waitJetStream(t, n.url())
	f := &fleetRun{dir: dir, nats: n}
	f.args = append([]string{"search", "-space", "space.yaml", "--nats", n.url(), "--parallel", "8", "--ack-wait", fleetLease, "--top", "0"}, extra...)
	f.search = startAutoml(t, dir, "search", f.args...)
	f.workers = &workerSet{t: t, dir: dir, args: append([]string{"--nats", n.url(), "--gpus", "none", "--slots", "2", "--grace", "5s"}, trustFlag(t, dir)...)}
	for range workers {
		f.workers.add()
	}
	return f
}

// finish waits for the study to end well and the workers to stop cleanly.
func (f *fleetRun) finish(t *testing.T, p *proc) {
	t.Helper()
	if code := p.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("automl search exited %d; log:\n%s", code, tailFile(p.log, 40))
	}
	f.workers.stopAll(t)
}

// 500 trials on 4 worker processes while 10 random workers are SIGKILLed
// (and replaced): every trial completes once.
func TestFleetSurvivesWorkerKills(t *testing.T) {
	const trials, kills = 500, 10
	f := startFleet(t, "kills", trials, 4, 100*time.Millisecond)
	rng := rand.New(rand.NewPCG(1, 2))
	var killed []string
	for k := 1; k <= kills; k++ {
		// Spread the kills over the study: the k-th once 9k% of it ran.
		at := k * trials * 9 / 100
		waitFor(t, 2*time.Minute, fmt.Sprintf("%d evaluations", at), func() bool { return countEvaluations(t, f.dir) >= at })
		killed = append(killed, f.workers.killAt(rng.IntN(4)))
	}
	f.finish(t, f.search)
	completed, lost, twice, reruns := fleetFigures(t, f.dir, "kills", trials, f.search)
	t.Logf("FIGURE worker kills: %d trials, 4 worker processes, %d SIGKILLs (%s) -> %d completed, %d lost, %d counted twice (%d evaluations re-run after a kill)",
		trials, len(killed), strings.Join(killed, " "), completed, lost, twice, reruns)
	if completed != trials || lost != 0 || twice != 0 {
		t.Fatalf("completed %d, lost %d, counted twice %d; want %d, 0, 0", completed, lost, twice, trials)
	}
}

// The scheduler is SIGKILLed mid-study and started again with the same
// command: the study completes, no trial completed before the kill is run
// again, and none that was running at the kill either (its job is still
// there, so it runs on: finished work is never thrown away).
func TestFleetSurvivesSchedulerKill(t *testing.T) {
	const trials = 500
	f := startFleet(t, "schedkill", trials, 4, 50*time.Millisecond)
	waitFor(t, 2*time.Minute, "200 evaluations", func() bool { return countEvaluations(t, f.dir) >= 200 })
	f.search.signal(t, syscall.SIGKILL)
	f.search.wait(t, 30*time.Second)
	before, ok := fleetTrials(t, f.dir, "schedkill")
	if !ok {
		t.Fatal("cannot read the study after the kill")
	}
	done := map[int]bool{}
	for _, tr := range before {
		if tr.State == "completed" {
			done[tr.ID] = true
		}
	}
	again := startAutoml(t, f.dir, "search-again", f.args...)
	f.finish(t, again)
	completed, lost, twice, reruns := fleetFigures(t, f.dir, "schedkill", trials, again)
	rerunDone := 0
	for id, attempts := range evaluations(t, f.dir) {
		if done[id] && len(attempts) > 1 {
			rerunDone++
		}
	}
	t.Logf("FIGURE scheduler kill: %d trials, SIGKILL of automl search with %d completed, restarted -> %d completed, %d lost, %d counted twice (%d evaluations re-run: trials running at the kill; %d completed ones re-run)",
		trials, len(done), completed, lost, twice, reruns, rerunDone)
	if completed != trials || lost != 0 || twice != 0 || rerunDone != 0 || reruns != 0 {
		t.Fatalf("completed %d, lost %d, counted twice %d, completed trials re-run %d, evaluations re-run %d; want %d, 0, 0, 0, 0", completed, lost, twice, rerunDone, reruns, trials)
	}
}

// nats-server (file storage) is SIGKILLed mid-study and started again on
// its port and data: the scheduler and the workers reconnect (and say so)
// and the study completes.
func TestFleetSurvivesNATSKill(t *testing.T) {
	const trials = 500
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	f := startFleet(t, "natskill", trials, 4, 50*time.Millisecond, "--metrics", metrics, "--metrics-linger", "5s")
	waitFor(t, 2*time.Minute, "200 evaluations", func() bool { return countEvaluations(t, f.dir) >= 200 })
	f.nats.kill()
	down := time.Now()
	time.Sleep(time.Second) // the server is down: clients must notice and retry
	f.nats.start()
	waitJetStream(t, f.nats.url())
	t.Logf("nats-server down for %v", time.Since(down).Round(time.Millisecond))
	// The scheduler's metrics count its reconnect.
	waitFor(t, time.Minute, "the scheduler to reconnect", func() bool { return strings.Contains(f.search.logText(), "nats reconnected") })
	if code, scrape := fetch("http://" + metrics + "/metrics"); code != 200 || series(t, scrape)[`automl_nats_reconnects_total{conn="automl-scheduler"}`] < 1 {
		t.Errorf("search /metrics %d: no reconnect of automl-scheduler counted:\n%s", code, scrape)
	}
	f.finish(t, f.search)
	completed, lost, twice, reruns := fleetFigures(t, f.dir, "natskill", trials, f.search)
	t.Logf("FIGURE nats-server kill: %d trials, SIGKILL of nats-server, restarted on the same store -> %d completed, %d lost, %d counted twice (%d evaluations re-run)",
		trials, completed, lost, twice, reruns)
	if completed != trials || lost != 0 || twice != 0 {
		t.Fatalf("completed %d, lost %d, counted twice %d; want %d, 0, 0", completed, lost, twice, trials)
	}
	for _, p := range append([]*proc{f.search}, f.workers.live...) {
		log := p.logText()
		if !strings.Contains(log, "reconnecting forever") || !strings.Contains(log, "nats reconnected") {
			t.Errorf("%s does not log its reconnect:\n%s", p.name, tailFile(p.log, 20))
		}
	}
}

// A worker SIGSTOPped past its lease loses its trial to another worker;
// resumed, it finishes the trial late, and that result is discarded: the
// trial is recorded from the other worker's delivery.
func TestFleetDiscardsLateResult(t *testing.T) {
	bin := natsServerBin(t)
	dir := t.TempDir()
	fleetSpace(t, dir, "frozen", 2, 3*time.Second)
	n := startNATS(t, bin, "n1", freePort(t), dir, nil)
	waitJetStream(t, n.url())
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--nats", n.url(), "--parallel", "1", "--ack-wait", fleetLease, "--top", "0")
	metrics := map[string]string{"a": fmt.Sprintf("127.0.0.1:%d", freePort(t)), "b": fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	workerArgs := func(name string) []string {
		return append([]string{"worker", "--nats", n.url(), "--gpus", "none", "--slots", "1", "--name", name, "--metrics", metrics[name]}, trustFlag(t, dir)...)
	}
	a := startAutoml(t, dir, "worker-a", workerArgs("a")...)
	running := func(worker string, delivery int) func() bool {
		return func() bool {
			trs, ok := fleetTrials(t, dir, "frozen")
			return ok && len(trs) > 0 && trs[0].ID == 0 && trs[0].State == "running" && trs[0].Worker == worker && trs[0].Delivery == delivery
		}
	}
	waitFor(t, time.Minute, "trial 0 running on a", running("a", 1))
	a.signal(t, syscall.SIGSTOP)
	stopped := time.Now()
	b := startAutoml(t, dir, "worker-b", workerArgs("b")...)
	waitFor(t, time.Minute, "trial 0 redelivered to b", running("b", 2))
	a.signal(t, syscall.SIGCONT)
	frozen := time.Since(stopped)
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("automl search exited %d; log:\n%s", code, tailFile(search.log, 30))
	}
	waitFor(t, 30*time.Second, "worker a to report its lapsed lease", func() bool { return strings.Contains(a.logText(), "lease lapsed") })
	// The metrics say so too: a's lease expiry, b's redelivery.
	for _, m := range []struct{ worker, series string }{
		{"a", `automl_lease_expiries_total{pool="default"}`},
		{"b", `automl_redeliveries_total{pool="default"}`},
	} {
		code, scrape := fetch("http://" + metrics[m.worker] + "/metrics")
		if got := series(t, scrape)[m.series]; code != 200 || got != 1 {
			t.Errorf("worker %s: /metrics %d, %s = %v, want 1", m.worker, code, m.series, got)
		}
	}
	trs, _ := fleetTrials(t, dir, "frozen")
	var t0 fleetTrial
	for _, tr := range trs {
		if tr.ID == 0 {
			t0 = tr
		}
	}
	evals := evaluations(t, dir)[0]
	t.Logf("FIGURE frozen worker: worker a SIGSTOPped %v (lease %s) -> trial 0 ran again on b (delivery %d), recorded from worker %s, %s; a's late result (delivery 1) discarded; trial 0 evaluated %d times",
		frozen.Round(time.Millisecond), fleetLease, t0.Delivery, t0.Worker, t0.State, len(evals))
	if t0.State != "completed" || t0.Worker != "b" || t0.Delivery != 2 || t0.Attempt != 1 {
		t.Fatalf("trial 0: %+v; want completed by b at delivery 2 of attempt 1", t0)
	}
	for _, p := range []*proc{a, b} {
		p.signal(t, syscall.SIGTERM)
		if code := p.wait(t, 30*time.Second); code != 0 {
			t.Errorf("%s exited %d after SIGTERM", p.name, code)
		}
	}
	if len(evals) != 2 {
		t.Errorf("trial 0 evaluated %d times, want 2 (a's late run and b's)", len(evals))
	}
}

// A 3-node JetStream cluster with R3 streams: one node is SIGKILLed
// mid-study; clients fail over and the study completes.
func TestFleetSurvivesClusterNodeKill(t *testing.T) {
	const trials = 200
	bin := natsServerBin(t)
	dir := t.TempDir()
	fleetSpace(t, dir, "cluster", trials, 50*time.Millisecond)
	cl := &clusterConf{ports: []int{freePort(t), freePort(t), freePort(t)}}
	var nodes []*natsNode
	var urls []string
	for i := range 3 {
		ndir := fmt.Sprintf("%s/n%d", dir, i+1)
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			t.Fatal(err)
		}
		c := *cl
		c.self = i
		nodes = append(nodes, startNATS(t, bin, fmt.Sprintf("n%d", i+1), freePort(t), ndir, &c))
		urls = append(urls, nodes[i].url())
	}
	for _, n := range nodes {
		waitJetStream(t, n.url())
	}
	all := strings.Join(urls, ",")
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--nats", all, "--replicas", "3",
		"--parallel", "6", "--ack-wait", fleetLease, "--top", "0")
	ws := &workerSet{t: t, dir: dir}
	for i := range 3 {
		// Each worker prefers another node.
		ws.args = append([]string{"--nats", strings.Join(append(append([]string{}, urls[i:]...), urls[:i]...), ","), "--gpus", "none", "--slots", "2"}, trustFlag(t, dir)...)
		ws.add()
	}
	waitFor(t, 40*time.Second, "80 evaluations", func() bool { return countEvaluations(t, dir) >= 80 })
	nodes[1].kill()
	if code := search.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("automl search exited %d; log:\n%s", code, tailFile(search.log, 40))
	}
	ws.stopAll(t)
	completed, lost, twice, reruns := fleetFigures(t, dir, "cluster", trials, search)
	t.Logf("FIGURE cluster: %d trials on a 3-node JetStream cluster (R3 streams), node n2 SIGKILLed mid-study -> %d completed, %d lost, %d counted twice (%d evaluations re-run)",
		trials, completed, lost, twice, reruns)
	if completed != trials || lost != 0 || twice != 0 {
		t.Fatalf("completed %d, lost %d, counted twice %d; want %d, 0, 0", completed, lost, twice, trials)
	}
}
