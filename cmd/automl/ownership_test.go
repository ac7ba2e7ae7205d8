package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two automl search runs with the same study name and different study
// files on one NATS: the second is refused at once, naming the first; the
// first completes every trial once, untouched.
func TestSecondSchedulerOfAStudyIsRefused(t *testing.T) {
	const trials = 40
	bin := natsServerBin(t)
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		fleetSpace(t, d, "shared", trials, 100*time.Millisecond)
	}
	n := startNATS(t, bin, "n1", freePort(t), root, nil)
	waitJetStream(t, n.url())
	first := startAutoml(t, a, "first", "search", "-space", "space.yaml", "--nats", n.url(), "--workers", "2", "--top", "0")
	waitFor(t, time.Minute, "the first study to run trials", func() bool { return countEvaluations(t, a) > 0 })

	start := time.Now()
	second := startAutoml(t, b, "second", "search", "-space", "space.yaml", "--nats", n.url(), "--workers", "2", "--top", "0")
	if code := second.wait(t, 30*time.Second); code != 1 {
		t.Fatalf("the second scheduler exited %d, want 1; its log:\n%s", code, second.logText())
	}
	log := second.logText()
	for _, want := range []string{"owned by another scheduler", `study "shared"`, "pid", filepath.Join("automl.db")} {
		if !strings.Contains(log, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, log)
		}
	}
	t.Logf("FIGURE second scheduler refused in %v", time.Since(start).Round(time.Millisecond))
	if got := countEvaluations(t, b); got != 0 {
		t.Errorf("the refused scheduler ran %d trials", got)
	}
	if code := first.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("the first study exited %d; its log:\n%s", code, tailFile(first.log, 30))
	}
	tr, _ := trialsJSON(t, a, "automl.db", "shared")
	if c := completed(tr); c != trials || countMulti(evaluations(t, a)) != 0 {
		t.Fatalf("the first study: %d of %d completed, %d trials evaluated twice", c, trials, countMulti(evaluations(t, a)))
	}
}

// A study name used again with a fresh study file on the same NATS, right
// after the first study ended (inside JetStream's duplicate window): the
// new study is a new incarnation, so none of its jobs is taken for the old
// one's, and it completes.
func TestSameNameAgainWithAFreshStudyFile(t *testing.T) {
	const trials = 30
	bin := natsServerBin(t)
	root := t.TempDir()
	n := startNATS(t, bin, "n1", freePort(t), root, nil)
	waitJetStream(t, n.url())
	for _, run := range []string{"first", "again"} {
		d := filepath.Join(root, run)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		fleetSpace(t, d, "reused", trials, 0)
		p := startAutoml(t, d, run, "search", "-space", "space.yaml", "--nats", n.url(), "--workers", "2", "--top", "0")
		if code := p.wait(t, 2*time.Minute); code != 0 {
			t.Fatalf("%s run exited %d; its log:\n%s", run, code, tailFile(p.log, 30))
		}
		tr, _ := trialsJSON(t, d, "automl.db", "reused")
		if c := completed(tr); c != trials {
			t.Fatalf("%s run: %d of %d completed", run, c, trials)
		}
	}
}
