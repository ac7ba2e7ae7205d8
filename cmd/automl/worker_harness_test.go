package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus/fleet"
)

// The fleet tests run real processes: the nats-server binary, automl
// search and automl worker, so that any of them can be SIGKILLed or
// SIGSTOPped. They use short leases (--ack-wait) so that a lost worker's
// trials come back within seconds.

// natsServerBin finds a nats-server of at least v2.10 (CI installs v2.15.2
// with go install): $AUTOML_NATS_SERVER, then $(go env GOPATH)/bin, then
// PATH. Without one the test is skipped, saying how to get it.
func natsServerBin(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("AUTOML_NATS_SERVER"); p != "" {
		candidates = append(candidates, p)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			candidates = append(candidates, filepath.Join(dir, "bin", "nats-server"))
		}
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		candidates = append(candidates, p)
	}
	var seen []string
	for _, c := range candidates {
		out, err := exec.Command(c, "--version").Output()
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(out))
		if m := regexp.MustCompile(`v2\.(\d+)\.`).FindStringSubmatch(v); m != nil {
			if minor, _ := strconv.Atoi(m[1]); minor >= 10 {
				return c
			}
		}
		seen = append(seen, c+" ("+v+")")
	}
	t.Skipf("no nats-server >= v2.10 (found: %v): install it with `go install github.com/nats-io/nats-server/v2@v2.15.2` (CI's .ci/run does) or set AUTOML_NATS_SERVER", seen)
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// natsNode is one nats-server process on a fixed port and store directory,
// so it can be killed and started again on the same data.
type natsNode struct {
	t      *testing.T
	bin    string
	name   string
	port   int
	dir    string
	conf   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// cluster describes the routes of a JetStream cluster (nil: a single server).
type clusterConf struct {
	ports []int // cluster (route) ports of every node
	self  int
}

func startNATS(t *testing.T, bin, name string, port int, dir string, cl *clusterConf) *natsNode {
	t.Helper()
	conf := fmt.Sprintf("server_name: %s\nlisten: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n}\n", name, port, filepath.Join(dir, "store"))
	if cl != nil {
		var routes []string
		for i, p := range cl.ports {
			if i != cl.self {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
			}
		}
		conf += fmt.Sprintf("cluster {\n  name: automl\n  listen: 127.0.0.1:%d\n  routes: [%s]\n}\n", cl.ports[cl.self], strings.Join(routes, ", "))
	}
	path := filepath.Join(dir, name+".conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n := &natsNode{t: t, bin: bin, name: name, port: port, dir: dir, conf: path}
	n.start()
	t.Cleanup(n.kill)
	return n
}

func (n *natsNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *natsNode) start() {
	n.t.Helper()
	logf, err := os.OpenFile(filepath.Join(n.dir, n.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	n.cmd = exec.Command(n.bin, "-c", n.conf)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); logf.Close(); close(done) }(n.cmd, n.exited)
	waitPort(n.t, n.port)
}

// kill SIGKILLs the server (no shutdown, nothing flushed beyond the OS).
func (n *natsNode) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
	n.cmd = nil
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on port %d", port)
}

// waitJetStream waits until JetStream answers on url (a cluster needs a
// meta leader first).
func waitJetStream(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(url, nats.Timeout(time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("jetstream at %s not ready: %v", url, last)
}

// proc is an automl process of a test: its output goes to a log file.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    string
	out    string
	exited chan struct{}
	err    error
}

func startAutoml(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	return startAutomlEnv(t, dir, name, nil, args...)
}

// startAutomlEnv is startAutoml with variables added to the environment.
func startAutomlEnv(t *testing.T, dir, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(dir, name+".log"), out: filepath.Join(dir, name+".out"), exited: make(chan struct{})}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	outf, err := os.Create(p.out)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(automlBin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = outf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); logf.Close(); outf.Close(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		if t.Failed() {
			t.Logf("%s's log ends:\n%s", p.name, tailFile(p.log, 15))
		}
	})
	return p
}

// signal sends sig; to a process that has exited (a worker leaves when its
// --listen search ends) it does nothing, and wait gives its exit code.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("%s %v: %v", p.name, sig, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		t.Fatalf("%s still running after %v; its log:\n%s", p.name, limit, tailFile(p.log, 40))
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return 0
}

func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// fleetSpace writes a funcs study of n trials, each sleeping sleep and
// recording its evaluation in evaluations.jsonl.
func fleetSpace(t *testing.T, dir, study string, n int, sleep time.Duration) {
	t.Helper()
	space := fmt.Sprintf(`study: %s
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 7}
trainer: {plugin: funcs, config: {function: branin, sleep: %s, record: evaluations.jsonl}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`, study, n, sleep)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
}

// evaluations reads the audit file: trial id -> attempts of every evaluation.
func evaluations(t *testing.T, dir string) map[int][]int {
	t.Helper()
	evals := map[int][]int{}
	f, err := os.Open(filepath.Join(dir, "evaluations.jsonl"))
	if os.IsNotExist(err) {
		return evals
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct{ Trial, Attempt int }
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // a line being written
		}
		evals[e.Trial] = append(evals[e.Trial], e.Attempt)
	}
	return evals
}

func countEvaluations(t *testing.T, dir string) int {
	n := 0
	for _, a := range evaluations(t, dir) {
		n += len(a)
	}
	return n
}

// fleetTrial is a trial record as automl trials --json prints it.
type fleetTrial struct {
	ID       int      `json:"id"`
	State    string   `json:"state"`
	Attempt  int      `json:"attempt"`
	Delivery int      `json:"delivery"`
	Worker   string   `json:"worker"`
	GPUs     []string `json:"gpus"`
	Note     string   `json:"note"`
	Error    string   `json:"error"`
	Metrics  map[string]float64
}

// fleetTrials reads the study's trials in id order.
func fleetTrials(t *testing.T, dir, study string) ([]fleetTrial, bool) {
	t.Helper()
	out, _, code := automl(t, dir, "trials", study, "--json")
	if code != 0 {
		return nil, false
	}
	var tr struct {
		Trials []fleetTrial `json:"trials"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trials --json: %v\n%s", err, out)
	}
	// automl trials lists the best first; tests index by id.
	slices.SortFunc(tr.Trials, func(a, b fleetTrial) int { return a.ID - b.ID })
	return tr.Trials, true
}

// fleetFigures checks a finished study and returns its figures: completed
// trials (distinct records), lost (budget - completed), counted twice (the
// scheduler's own completed count beyond the distinct records, plus any
// second exit it was asked to apply to a finished trial), and evaluations
// run more than once (expected after kills: their results were fenced).
func fleetFigures(t *testing.T, dir, study string, budget int, search *proc) (completed, lost, twice, reruns int) {
	t.Helper()
	trs, ok := fleetTrials(t, dir, study)
	if !ok {
		t.Fatal("cannot read the study")
	}
	for _, tr := range trs {
		if tr.State == "completed" {
			completed++
		}
	}
	lost = budget - completed
	m := regexp.MustCompile(`trials: (\d+)/\d+ done`).FindStringSubmatch(readFile(search.out))
	if m == nil {
		t.Fatalf("no summary line in automl search's output:\n%s", readFile(search.out))
	}
	summary, _ := strconv.Atoi(m[1])
	twice = summary - completed + strings.Count(search.logText(), "illegal transition")
	if len(trs) != budget {
		t.Errorf("%d trial records, want %d", len(trs), budget)
	}
	for _, a := range evaluations(t, dir) {
		reruns += len(a) - 1
	}
	return completed, lost, twice, reruns
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// waitFor polls cond every 20 ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workerSet runs automl worker processes and replaces killed ones.
type workerSet struct {
	t    *testing.T
	dir  string
	args []string
	mu   sync.Mutex
	live []*proc
	gen  int
}

func (w *workerSet) add() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	name := fmt.Sprintf("w%d", w.gen)
	// Checkpoint directories of killed workers stay in the test's directory.
	args := append([]string{"worker", "--name", name, "--checkpoint-dir", w.dir}, w.args...)
	w.live = append(w.live, startAutoml(w.t, w.dir, "worker-"+name, args...))
}

// killAt SIGKILLs the i-th live worker and starts a new one in its place.
func (w *workerSet) killAt(i int) string {
	w.mu.Lock()
	p := w.live[i]
	w.live = append(w.live[:i], w.live[i+1:]...)
	w.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	w.add()
	return p.name
}

func (w *workerSet) stopAll(t *testing.T) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.live {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range w.live {
		if code := p.wait(t, 60*time.Second); code != 0 {
			t.Errorf("%s exited %d after SIGTERM, want 0; log:\n%s", p.name, code, tailFile(p.log, 20))
		}
	}
}

// trustFlag is what a worker of the study run in dir on an external NATS
// server needs: --trust and the key of the study file's fleet directory
// (made here if automl search has not made it yet; it then uses it).
func trustFlag(t *testing.T, dir string) []string {
	t.Helper()
	d, err := fleet.Open(filepath.Join(dir, "automl.db.fleet"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{"--trust", fleet.FormatKey(d.JobKey().Public())}
}

// joinFlags are what a worker of the study automl search --listen runs in
// dir needs: the join token it wrote to its fleet directory (waited for),
// with the URL of this run's port.
func joinFlags(t *testing.T, dir string, port int) []string {
	t.Helper()
	path := filepath.Join(dir, "automl.db.fleet", "token")
	var tok string
	waitFor(t, 30*time.Second, "the join token", func() bool {
		b, err := os.ReadFile(path)
		tok = strings.TrimSpace(string(b))
		return err == nil && tok != ""
	})
	return []string{"--join", tok, "--nats", fmt.Sprintf("nats://127.0.0.1:%d", port)}
}
