package plugins_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
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
