package plugins_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/plugins"
	"automl/plugins/internal/proc"
	"automl/trial"
)

// runHost is a worker in a subprocess: it runs an exec trial whose program
// becomes `sleep 1000`, without reuse so that the slot also launches a
// spare for the next trial, prints the plugin's pid, the program's and the
// spare's, and waits to be killed.
func runHost() {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(nil)})
	s := spec("exec", 1)
	s.Trainer.Config = map[string]any{"command": []any{"sh", "-c", `echo '{"step": 1, "loss": 1}'; exec sleep 1000`}}
	s.Trainer.Reuse = new(false)
	rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
		pid := slot.Pid()
		deadline := time.Now().Add(20 * time.Second)
		for slot.SparePid() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Printf("plugin %d children %v\n", pid, append(others(pid), slot.SparePid()))
		return trial.Continue
	}}
	_, err := slot.Run(context.Background(), s, rep)
	fmt.Fprintln(os.Stderr, "host: trial ended:", err)
	os.Exit(1)
}

// A worker killed with SIGKILL takes its plugin, the plugin's program, and
// the spare launched in the background for the next trial with it
// (parent-death signals on locked threads, at both levels).
func TestWorkerKilledLeavesNoPlugin(t *testing.T) {
	cmd := exec.Command(selfExe(t))
	cmd.Env = append(os.Environ(), "AUTOML_TEST_ROLE=host")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("the host never started its trial")
	}
	// "plugin PID children [PID ...]"
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '[' || r == ']' })
	if len(f) < 4 || f[0] != "plugin" || f[2] != "children" {
		t.Fatalf("host said %q", line)
	}
	var pids []int
	for _, s := range append([]string{f[1]}, f[3:]...) {
		pid, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("host said %q", line)
		}
		pids = append(pids, pid)
	}
	if len(pids) < 3 || pids[len(pids)-1] == 0 {
		t.Fatalf("host said %q, want the plugin, its program and a spare", line)
	}
	for _, pid := range pids {
		if !proc.Alive(pid) {
			t.Fatalf("process %d not alive before the kill", pid)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, pid := range pids {
		eventually(t, 5*time.Second, fmt.Sprintf("process %d outlived its SIGKILLed worker", pid), func() bool { return !proc.Alive(pid) })
	}
	assertSessionGone(t, pids[0])
	assertSessionGone(t, pids[len(pids)-1])
}

func alive(pid int) bool { return proc.Alive(pid) }

// runStrayHost is a worker in a subprocess whose exec trial leaves a
// process in a session of its own (STRAY_MARK in its environment): it
// prints the plugin's pid once the trial runs, and waits to be killed.
func runStrayHost() {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(nil)})
	s := strayJob(1, straysScript+"\nexec sleep 1000", os.Getenv("STRAY_MARK"), "", true)
	rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
		fmt.Printf("plugin %d\n", slot.Pid())
		return trial.Continue
	}}
	_, err := slot.Run(context.Background(), s, rep)
	fmt.Fprintln(os.Stderr, "host: trial ended:", err)
	os.Exit(1)
}

// A worker killed with SIGKILL cannot sweep: its plugin and the plugin's
// program die with it (parent-death signals), but what the program
// started (a child that left the session, a nohup'd one) lives on, in the
// dead worker's cgroup. The next worker on the machine ends it when it
// makes its first box.
func TestDeadWorkersStraysEndWithTheNextWorker(t *testing.T) {
	if m := boxModes(t); len(m) < 2 {
		t.Skip("no cgroup box on this machine: a dead worker's escaped processes go to init")
	}
	mark := newMark(t)
	cmd := exec.Command(selfExe(t))
	cmd.Env = append(os.Environ(), "AUTOML_TEST_ROLE=stray-host", "STRAY_MARK="+mark)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var plugin int
	select {
	case line := <-lines:
		if _, err := fmt.Sscanf(line, "plugin %d", &plugin); err != nil {
			t.Fatalf("host said %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the host never started its trial")
	}
	before := marked(mark)
	if len(before) < 3 {
		t.Fatalf("the trial runs %v, want its program and two strays", before)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	eventually(t, 5*time.Second, "the plugin outlived its SIGKILLed worker", func() bool { return !proc.Alive(plugin) })
	// The program (exec sleep) dies with the plugin (its parent-death
	// signal); the strays, which have none, are left.
	eventually(t, 5*time.Second, "the program outlived its plugin", func() bool { return len(marked(mark)) < len(before) })
	left := marked(mark)
	if len(left) == 0 {
		t.Fatalf("nothing of %v outlived the worker: the test shows no escape", before)
	}
	next := exec.Command(selfExe(t))
	next.Env = append(os.Environ(), "AUTOML_TEST_ROLE=next-worker")
	said, err := next.Output()
	if err != nil {
		t.Fatalf("next worker: %v", err)
	}
	eventually(t, 5*time.Second, fmt.Sprintf("the dead worker's stray %v outlived the next worker's start (%s)", left, strings.TrimSpace(string(said))),
		func() bool { return len(marked(mark)) == 0 })
}

// TestKilledPluginLeavesNoSocket: a plugin is always ended with SIGKILL,
// so its go-plugin server never removes its unix socket; the host gives it
// a directory of its own and removes that, so the plugin's TMPDIR stays
// empty.
func TestKilledPluginLeavesNoSocket(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg := builtinConfig(t, "funcs")
	cfg.Env = append(cfg.Env, "TMPDIR="+tmp)
	p, err := plugins.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sockets := 0
	filepath.WalkDir(tmp, func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && d.Type()&fs.ModeSocket != 0 {
			sockets++
		}
		return nil
	})
	if sockets != 1 {
		t.Errorf("%d unix sockets under TMPDIR while the plugin runs, want its 1", sockets)
	}
	p.Kill()
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		names := make([]string, len(left))
		for i, e := range left {
			names[i] = e.Name()
		}
		t.Errorf("after Kill, TMPDIR holds %v", names)
	}
}
