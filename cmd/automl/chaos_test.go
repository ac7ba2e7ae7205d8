package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
)

// chaosFaults are the faults the chaos test draws from, with weights: the
// infrastructure failing (kills, a freeze, a server restart), the queue
// losing work (purge, a job taken and acked unrun, deleted consumers), and
// somebody on the network lying (forged results and stop requests, injected
// jobs, unsigned or signed by another key).
var chaosFaults = []struct {
	name   string
	weight int
}{
	{"worker SIGKILL", 6}, {"worker SIGSTOP 2.5s", 5}, {"scheduler SIGKILL+restart", 3}, {"nats-server SIGKILL+restart", 3},
	{"purge the jobs stream", 4}, {"job acked unrun", 5}, {"delete a consumer", 4},
	{"forged result", 8}, {"forged stop", 4}, {"injected job", 8},
}

// chaos applies faults to a running fleet study.
type chaos struct {
	t     *testing.T
	f     *fleetRun
	study string
	nc    *nats.Conn // the intruder's: the server has no credentials
	js    jetstream.JetStream
	rng   *rand.Rand
	inc   string
	other fleet.JobKey // a key nobody trusts
	count map[string]int
	mu    sync.Mutex // guards f.search across restarts
	stops sync.WaitGroup
}

// A 500-trial fleet study (3 workers of 2 slots, 1 s leases) while 50
// random faults hit it. Whatever happens, every trial completes once, no
// result is counted twice, no forged result is applied, no foreign job
// runs, and no process is left behind.
func TestFleetChaos(t *testing.T) {
	const trials, faults = 500, 50
	bin := natsServerBin(t)
	dir := t.TempDir()
	fleetSpace(t, dir, "chaos", trials, 400*time.Millisecond)
	n := startNATS(t, bin, "n1", freePort(t), dir, nil)
	waitJetStream(t, n.url())
	f := &fleetRun{dir: dir, nats: n}
	f.args = []string{"search", "-space", "space.yaml", "--nats", n.url(), "--parallel", "8", "--ack-wait", "1s", "--top", "0"}
	f.search = startAutoml(t, dir, "search", f.args...)
	f.workers = &workerSet{t: t, dir: dir, args: append([]string{"--nats", n.url(), "--gpus", "none", "--slots", "2", "--grace", "5s"}, trustFlag(t, dir)...)}
	for range 3 {
		f.workers.add()
	}
	nc, err := nats.Connect(n.url(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	other, err := fleet.NewJobKey([]byte("a key that nobody trusts: 32 b.."))
	if err != nil {
		t.Fatal(err)
	}
	c := &chaos{t: t, f: f, study: "chaos", nc: nc, js: js, rng: rand.New(rand.NewPCG(16, 50)), other: other, count: map[string]int{}}
	start := time.Now()
	for k := 1; k <= faults; k++ {
		// Spread the faults over the study: the k-th once 9k evaluations ran.
		at := k * trials * 9 / 10 / faults
		c.waitEvaluations(at)
		name := c.draw()
		t.Logf("chaos %v: fault %d at %d evaluations: %s", time.Since(start).Round(100*time.Millisecond), k, countEvaluations(t, dir), name)
		c.apply(name)
	}
	c.stops.Wait()
	c.mu.Lock()
	final := f.search
	c.mu.Unlock()
	f.finish(t, final)
	wall := time.Since(start)

	completed, lost, twice, reruns := fleetFigures(t, dir, "chaos", trials, final)
	trs, _ := fleetTrials(t, dir, "chaos")
	forged := 0
	for _, tr := range trs {
		if tr.Metrics["value"] == -1e9 || tr.State == "stopped" {
			forged++
		}
	}
	pwned, _ := filepath.Glob(filepath.Join(dir, "PWNED*"))
	left := leftoverProcesses(t, dir)
	rejected := 0
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, l := range logs {
		rejected += strings.Count(readFile(l), "security: ")
	}
	var kinds []string
	for k, v := range c.count {
		kinds = append(kinds, fmt.Sprintf("%s x%d", k, v))
	}
	sort.Strings(kinds)
	t.Logf("FIGURE chaos: %d trials, 3 workers x 2 slots, 1 s leases, %d faults (%s) in %v -> %d completed, %d lost, %d counted twice, %d forged applied, %d foreign jobs run, %d processes left; %d security events logged, %d evaluations re-run",
		trials, faults, strings.Join(kinds, ", "), wall.Round(time.Second), completed, lost, twice, forged, len(pwned), len(left), rejected, reruns)
	if completed != trials || lost != 0 || twice != 0 || forged != 0 || len(pwned) != 0 || len(left) != 0 {
		t.Fatalf("completed %d, lost %d, counted twice %d, forged applied %d, foreign jobs run %v, processes left %v; want %d, 0, 0, 0, none, none",
			completed, lost, twice, forged, pwned, left, trials)
	}
	if rejected == 0 {
		t.Error("no security event was logged for the forged results and injected jobs")
	}
}

// waitEvaluations waits until n evaluations ran; a study that stalls
// fails the test with the logs' tails.
func (c *chaos) waitEvaluations(n int) {
	deadline := time.Now().Add(2 * time.Minute)
	for countEvaluations(c.t, c.f.dir) < n {
		if time.Now().After(deadline) {
			logs, _ := filepath.Glob(filepath.Join(c.f.dir, "*.log"))
			for _, l := range logs {
				c.t.Logf("%s ends:\n%s", filepath.Base(l), tailFile(l, 25))
			}
			c.t.Fatalf("the study stalled: %d evaluations after 2 minutes, want %d", countEvaluations(c.t, c.f.dir), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *chaos) draw() string {
	total := 0
	for _, f := range chaosFaults {
		total += f.weight
	}
	r := c.rng.IntN(total)
	for _, f := range chaosFaults {
		if r -= f.weight; r < 0 {
			return f.name
		}
	}
	return chaosFaults[0].name
}

// apply injects one fault (and counts it).
func (c *chaos) apply(name string) {
	t := c.t
	c.count[name]++
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch name {
	case "worker SIGKILL":
		c.f.workers.killAt(c.rng.IntN(3))
	case "worker SIGSTOP 2.5s":
		c.f.workers.mu.Lock()
		p := c.f.workers.live[c.rng.IntN(len(c.f.workers.live))]
		c.f.workers.mu.Unlock()
		_ = p.cmd.Process.Signal(syscall.SIGSTOP)
		c.stops.Add(1)
		go func() {
			defer c.stops.Done()
			time.Sleep(2500 * time.Millisecond)
			_ = p.cmd.Process.Signal(syscall.SIGCONT)
		}()
	case "scheduler SIGKILL+restart":
		c.mu.Lock()
		c.f.search.signal(t, syscall.SIGKILL)
		c.f.search.wait(t, 30*time.Second)
		c.f.search = startAutoml(t, c.f.dir, fmt.Sprintf("search-%d", c.count[name]), c.f.args...)
		c.mu.Unlock()
	case "nats-server SIGKILL+restart":
		c.f.nats.kill()
		time.Sleep(300 * time.Millisecond)
		c.f.nats.start()
	case "purge the jobs stream":
		if _, err := c.nc.RequestWithContext(ctx, "$JS.API.STREAM.PURGE."+natsbus.TrialsStream, nil); err != nil {
			t.Logf("chaos: purge: %v", err)
		}
	case "job acked unrun":
		cons, err := c.js.Consumer(ctx, natsbus.TrialsStream, natsbus.WorkerConsumer("default"))
		if err == nil {
			var batch jetstream.MessageBatch
			if batch, err = cons.FetchNoWait(1); err == nil {
				for m := range batch.Messages() {
					_ = m.DoubleAck(ctx)
				}
			}
		}
		if err != nil {
			t.Logf("chaos: take a job: %v", err)
		}
	case "delete a consumer":
		stream, consumer := natsbus.TrialsStream, natsbus.WorkerConsumer("default")
		if c.rng.IntN(2) == 0 {
			stream, consumer = natsbus.EventsStream, natsbus.SchedulerConsumer(c.study, c.incarnation(ctx))
		}
		if err := c.js.DeleteConsumer(ctx, stream, consumer); err != nil {
			t.Logf("chaos: delete consumer %s: %v", consumer, err)
		}
	case "forged result":
		id := c.rng.IntN(500)
		inc := c.incarnation(ctx)
		lease := []string{"", c.other.Lease(fmt.Sprintf("%s/%s/%d/1", c.study, inc, id)), "0123456789abcdef0123456789abcdef"}[c.rng.IntN(3)]
		ev := map[string]any{"key": map[string]any{"study": c.study, "incarnation": inc, "id": id, "attempt": 1}, "delivery": 99, "seq": 1,
			"kind": "exited", "time": time.Now(), "worker": "w1", "lease": lease,
			"result": map[string]any{"outcome": "done", "metrics": map[string]float64{"value": -1e9}}}
		data, _ := json.Marshal(ev)
		sender := []string{"w1", "evil"}[c.rng.IntN(2)]
		if _, err := c.js.Publish(ctx, fmt.Sprintf("automl.events.%s.%s.%d.%s", c.study, inc, id, sender), data); err != nil {
			t.Logf("chaos: forge a result: %v", err)
		}
	case "forged stop":
		id, inc := c.rng.IntN(500), c.incarnation(ctx)
		key, _ := json.Marshal(map[string]any{"study": c.study, "incarnation": inc, "id": id, "attempt": 1})
		_ = c.nc.Publish(fmt.Sprintf("automl.control.%s.%s.%d", c.study, inc, id), key)
	case "injected job":
		id := 9000 + c.count[name]
		inc := c.incarnation(ctx)
		subject := fmt.Sprintf("automl.trials.default.%s.%s.%d", c.study, inc, id)
		msgID := fmt.Sprintf("%s/%s/%d/1", c.study, inc, id)
		spec := map[string]any{"key": map[string]any{"study": c.study, "incarnation": inc, "id": id, "attempt": 1}, "params": []any{},
			"trainer":   map[string]any{"plugin": "exec", "config": map[string]any{"command": []string{"sh", "-c", "id > PWNED-" + strconv.Itoa(id)}, "workdir": c.f.dir}},
			"objective": map[string]any{"metric": "value", "direction": "minimize"}, "seed": 1}
		data, _ := json.Marshal(spec)
		m := nats.NewMsg(subject)
		m.Data = data
		m.Header.Set("Nats-Msg-Id", msgID)
		if c.rng.IntN(2) == 0 { // signed, by a key no worker trusts
			m.Header.Set("Automl-Signer", fleet.FormatKey(c.other.Public()))
			m.Header.Set("Automl-Signature", c.other.Sign(subject, msgID, data))
		}
		if _, err := c.js.PublishMsg(ctx, m); err != nil {
			t.Logf("chaos: inject a job: %v", err)
		}
	}
}

// incarnation is the study's, as anyone on the server can see it: its
// scheduler's event consumer is named after it.
func (c *chaos) incarnation(ctx context.Context) string {
	if c.inc != "" {
		return c.inc
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		stream, err := c.js.Stream(ctx, natsbus.EventsStream)
		if err != nil {
			continue
		}
		names := stream.ConsumerNames(ctx)
		for name := range names.Name() {
			if inc, ok := strings.CutPrefix(name, "scheduler-"+c.study+"-"); ok {
				c.inc = inc
				return inc
			}
		}
	}
	c.t.Fatal("chaos: cannot find the study's incarnation")
	return ""
}

// leftoverProcesses lists processes still working in dir (every process of
// the test, trainers included, starts there) once the study and its workers
// have exited.
func leftoverProcesses(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		left = left[:0]
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
			if err != nil || !strings.HasPrefix(cwd, dir) {
				continue
			}
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if strings.Contains(string(cmdline), "nats-server") {
				continue // the test's own server, stopped at cleanup
			}
			left = append(left, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(200 * time.Millisecond)
	}
}
