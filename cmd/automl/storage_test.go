package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/backends/natsbus/natstest"
)

// A --listen port that is taken, or a <db>.nats that cannot be used,
// fails at once with one line saying what and where, exit status 2.
func TestSearchStartupErrors(t *testing.T) {
	root, _ := filepath.Abs("../..")
	space := filepath.Join(root, "examples/quickstart/space.yaml")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file.db.nats"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"port taken", []string{"--db", "a.db", "--listen", ln.Addr().String()}, []string{"address already in use", ln.Addr().String()}},
		{"store is a file", []string{"--db", "file.db"}, []string{"file.db.nats", "not a directory"}},
		{"bad size", []string{"--db", "b.db", "--nats-storage", "12XB"}, []string{"--nats-storage", `unknown unit "XB"`}},
	}
	if why := natstest.ReadOnlyDisk(t, filepath.Join(dir, "ro.db.nats")); why != "" {
		t.Logf("no read-only store: %s", why)
	} else {
		cases = append(cases, struct {
			name string
			args []string
			want []string
		}{"read-only store", []string{"--db", "ro.db"}, []string{"ro.db.nats", "read-only file system"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			out, errOut, code := automl(t, dir, append([]string{"search", "-space", space}, c.args...)...)
			took := time.Since(start)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
				t.Errorf("%d lines, want one:\n%s", n+1, errOut)
			}
			if took > time.Second {
				t.Errorf("took %v to fail", took)
			}
			t.Logf("%v: %s", took.Round(time.Millisecond), strings.TrimSpace(errOut))
		})
	}
}

// The disk of <db>.nats fills during a study (the study file is
// elsewhere): the log says which store and how much is free, the study
// waits, and once space is freed it goes on by itself and completes, every
// trial completed and evaluated once.
func TestSearchWaitsOutAFullDisk(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "automl.db.nats")
	if why := natstest.SmallDisk(t, store, "48m"); why != "" {
		t.Skip(why)
	}
	const trials = 400 // 7 s on 3 slots: the disk fills after 20
	space := fmt.Sprintf(`study: fulldisk
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 5}
trainer: {plugin: funcs, config: {function: branin, sleep: 50ms, record: evaluations.jsonl}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`, trials)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	// Files, not pipes: the test reads them while the process writes, and
	// Wait does not wait for pipes its trainer processes may hold.
	outPath, logPath := filepath.Join(dir, "stdout.txt"), filepath.Join(dir, "stderr.log")
	outf, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer outf.Close()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(automlBin, "search", "-space", "space.yaml", "--workers", "3", "--nats-storage", "16MiB", "--top", "0")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = outf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // it and its trainers
		<-exited
	})
	stderr := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within a minute; stderr:\n%s", what, stderr())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	until("progress", func() bool { tr, ok := trialsJSON(t, dir, "automl.db", "fulldisk"); return ok && completed(tr) >= 20 })
	free := natstest.FillDisk(t, store)
	until("fault in the log", func() bool { return strings.Contains(stderr(), "free on its filesystem") })
	tr, _ := trialsJSON(t, dir, "automl.db", "fulldisk")
	atFault := completed(tr)
	free()
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the study did not finish after space came back; stderr:\n%s", stderr())
	}
	log := stderr()
	out, _ := os.ReadFile(outPath)
	if waitErr != nil || !strings.Contains(string(out), fmt.Sprintf("%d/%d done", trials, trials)) {
		t.Fatalf("exit %v\nstdout:\n%s\nstderr:\n%s", waitErr, out, log)
	}
	for _, want := range []string{store + " (", "free on its filesystem", "no space left on device", "writes work again"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	after, _ := trialsJSON(t, dir, "automl.db", "fulldisk")
	if len(after.Trials) != trials || completed(after) != trials {
		t.Fatalf("%d trials, %d completed; want %d", len(after.Trials), completed(after), trials)
	}
	evals := map[int]int{}
	f, err := os.Open(filepath.Join(dir, "evaluations.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct{ Trial int }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		evals[e.Trial]++
	}
	again := false
	for _, tr := range after.Trials {
		if tr.Attempt != 1 || evals[tr.ID] != 1 {
			t.Errorf("trial %d: attempt %d, evaluated %d times; want once", tr.ID, tr.Attempt, evals[tr.ID])
			again = true
		}
	}
	if again { // why a run went again: the log's warnings name it
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
				t.Log(l)
			}
		}
	}
	var faultLine string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "free on its filesystem") {
			faultLine = l
			break
		}
	}
	t.Logf("%d of %d completed when the fault was logged; all completed once after space came back\n%s", atFault, trials, faultLine)
}
