package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
)

// The tests of issue 16 point 5, "bounded by construction": a budget of a
// billion trials and --parallel at its most cost what a small study does,
// and SIGTERM ends automl search within its grace whatever it is doing.

// quickSpace writes a random search over Branin whose trials take no time.
func quickSpace(t *testing.T, dir string) {
	t.Helper()
	space := `study: bounded
objective: {metric: value, direction: minimize}
budget: {trials: 100}
algorithm: {name: random, seed: 5}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
}

// studyTrials reads the running study's trial counts by state through
// automl studies (which asks the running search process).
func studyTrials(t *testing.T, dir string) (map[string]int, bool) {
	t.Helper()
	out, _, code := automl(t, dir, "studies", "--json")
	if code != 0 {
		return nil, false
	}
	var st []struct {
		Trials map[string]int `json:"trials"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 1 {
		return nil, false
	}
	return st[0].Trials, true
}

// rssMB is a process's resident memory (VmRSS), in MB.
func rssMB(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("the search's memory: %v (has it exited?)", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// A billion-trial budget with --parallel at its most (4096), on two local
// slots: the trials pending stay within the ramp's floor of 128 (never
// thousands ahead of the slots), the process stays under 300 MB, and
// SIGTERM ends it within its grace with 143 and a message that says what
// happened (and nothing about Ctrl-C). With --listen other workers could
// join, so --parallel is not capped at the slots here: the ramp alone
// keeps the backlog small.
func TestBillionTrialBudgetStaysSmallAndStopsOnSIGTERM(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"local slots", nil},
		{"listen", []string{"--listen", "127.0.0.1:0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat("/proc/self/status"); err != nil {
				t.Skipf("no /proc to read the search's memory from: %v", err)
			}
			dir := t.TempDir()
			quickSpace(t, dir)
			const grace = 20 * time.Second
			args := append([]string{"search", "-space", "space.yaml", "--trials", "1000000000", "--parallel", "4096",
				"--workers", "2", "--timeout-grace", grace.String(), "--top", "3"}, tc.extra...)
			p := startAutoml(t, dir, "search", args...)
			mostPending, mostRSS, completed := 0, 0.0, 0
			deadline := time.Now().Add(90 * time.Second)
			for completed < 2000 {
				if time.Now().After(deadline) {
					t.Fatalf("%d trials completed in 90 s; log:\n%s", completed, tailFile(p.log, 20))
				}
				if c, ok := studyTrials(t, dir); ok {
					mostPending, completed = max(mostPending, c["pending"]), c["completed"]
				}
				mostRSS = max(mostRSS, rssMB(t, p.cmd.Process.Pid))
				time.Sleep(100 * time.Millisecond)
			}
			p.signal(t, syscall.SIGTERM)
			stopped := time.Now()
			code := p.wait(t, 2*grace)
			took := time.Since(stopped)
			t.Logf("FIGURE billion-trial budget (%s): %d completed; at most %d pending, %.0f MB resident; SIGTERM -> exit %d after %v",
				tc.name, completed, mostPending, mostRSS, code, took.Round(time.Millisecond))
			if mostPending > 128 {
				t.Errorf("%d trials pending at once; want at most 128", mostPending)
			}
			if mostRSS > 300 {
				t.Errorf("%.0f MB resident; want under 300", mostRSS)
			}
			if code != 128+int(syscall.SIGTERM) || took > grace {
				t.Errorf("exit %d after %v; want 143 within the grace of %v", code, took, grace)
			}
			log := p.logText()
			if !strings.Contains(log, "interrupted by SIGTERM: its running trials finished; continue it with: automl search -space space.yaml") {
				t.Errorf("no word of how it ended; log:\n%s", tailFile(p.log, 10))
			}
			if strings.Contains(log, "Ctrl-C") {
				t.Errorf("a hint about Ctrl-C after SIGTERM without a terminal:\n%s", tailFile(p.log, 10))
			}
		})
	}
}

// SIGTERM while the study cannot reach its NATS server ends it within its
// grace (and the stop's own limit). With the server killed, the drain
// cannot finish (the running trials' results cannot arrive, and the
// scheduler may sit in a dispatch waiting for acks): the grace runs out,
// the running trials are stopped, and what does not answer is not waited
// for. The old code drained forever: only SIGKILL ended it. With the jobs
// stream deleted, every dispatch fails and is retried at each step (a
// model-based search on two slots dispatches as each trial ends): the
// drain is taken up at once, nothing is running, and it ends well within
// its grace.
func TestSIGTERMWithNATSGoneEndsWithinGrace(t *testing.T) {
	bin := natsServerBin(t)
	for _, tc := range []struct {
		name   string
		args   []string
		grace  time.Duration
		break_ func(t *testing.T, n *natsNode)
		sign   string // in the search log once it is broken
		ended  string // in the search log at the end
	}{
		{"server killed", []string{"--trials", "1000000000"}, 2 * time.Second,
			func(t *testing.T, n *natsNode) { n.kill() }, "nats disconnected", "the grace period of 2s is over"},
		{"jobs stream deleted", []string{"--trials", "1000", "--parallel", "2"}, 20 * time.Second,
			deleteJobsStream, "dispatch failed; will retry", "interrupted by SIGTERM: its running trials finished"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			quickSpace(t, dir)
			if tc.name == "jobs stream deleted" {
				space := strings.Replace(readFile(filepath.Join(dir, "space.yaml")), "name: random", "name: tpe", 1)
				space = strings.Replace(space, "function: branin", "function: branin, sleep: 100ms", 1)
				if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			n := startNATS(t, bin, "nats", freePort(t), dir, nil)
			waitJetStream(t, n.url())
			args := append([]string{"search", "-space", "space.yaml", "--nats", n.url(), "--workers", "2",
				"--timeout-grace", tc.grace.String(), "--top", "0"}, tc.args...)
			p := startAutoml(t, dir, "search", args...)
			waitFor(t, time.Minute, "20 completed trials", func() bool {
				c, ok := studyTrials(t, dir)
				return ok && c["completed"] >= 20
			})
			tc.break_(t, n)
			waitFor(t, time.Minute, "the search to notice", func() bool { return strings.Contains(p.logText(), tc.sign) })
			time.Sleep(time.Second) // let it settle into retrying
			p.signal(t, syscall.SIGTERM)
			stopped := time.Now()
			code := p.wait(t, time.Minute)
			took := time.Since(stopped)
			t.Logf("FIGURE NATS gone (%s): SIGTERM -> exit %d after %v (grace %v, stop limit %v)", tc.name, code, took.Round(time.Millisecond), tc.grace, stopLimit)
			if code != 128+int(syscall.SIGTERM) {
				t.Errorf("exit %d, want 143; log:\n%s", code, tailFile(p.log, 15))
			}
			// The grace, then the stop's own limit, and slack for a loaded
			// machine (the old code never ended).
			if limit := tc.grace + stopLimit + 5*time.Second; took > limit {
				t.Errorf("exited %v after SIGTERM; want within %v; log:\n%s", took, limit, tailFile(p.log, 15))
			}
			if log := p.logText(); !strings.Contains(log, "SIGTERM: stopping: no new trials") || !strings.Contains(log, tc.ended) {
				t.Errorf("no word of the drain, or not %q; log:\n%s", tc.ended, tailFile(p.log, 15))
			}
		})
	}
}

// deleteJobsStream deletes AUTOML_TRIALS, as an operator's mistake or a
// lost stream file would: every dispatch then fails at once.
func deleteJobsStream(t *testing.T, n *natsNode) {
	t.Helper()
	nc, err := nats.Connect(n.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, natsbus.TrialsStream); err != nil {
		t.Fatal(err)
	}
}
