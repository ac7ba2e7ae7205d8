package bolt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

// helperEnv makes the test binary act as a store writer in a subprocess
// (the os/exec test pattern): a second process that holds the file.
const helperEnv = "AUTOML_BOLT_TEST_WRITER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		if err := runWriter(path, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// cleanups run after all tests and benchmarks (shared fixtures).
var cleanups []func()

// runWriter opens the store, creates study "s" and prints "ready"; then
// each line "commit N" commits trial N (and the snapshot saying N+1
// trials) and prints "ok N". It closes the store when stdin ends.
func runWriter(path string, in io.Reader, out io.Writer) error {
	s, err := Open(path, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Commit(ctx, "s", scheduler.Change{Study: storetest.StudyConfig("s", "minimize"), Snapshot: storetest.Snapshot(0)}); err != nil {
		return err
	}
	fmt.Fprintln(out, "ready")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var id int
		if _, err := fmt.Sscanf(sc.Text(), "commit %d", &id); err != nil {
			return err
		}
		err := s.Commit(ctx, "s", scheduler.Change{
			Snapshot: storetest.Snapshot(id + 1),
			Trials:   []trial.Record{storetest.Record(id, trial.Completed, float64(id))},
			Reports:  []scheduler.Report{storetest.Report(id, 1, float64(id))},
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "ok", id)
	}
	return s.Close()
}

// writerProc is a running runWriter subprocess.
type writerProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startWriter(t *testing.T, path string) *writerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &writerProc{t: t, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		w.cmd.Wait()
	})
	w.expect("ready")
	return w
}

func (w *writerProc) expect(line string) {
	w.t.Helper()
	done := make(chan bool, 1)
	go func() { done <- w.out.Scan() }()
	select {
	case ok := <-done:
		if !ok || strings.TrimSpace(w.out.Text()) != line {
			w.t.Fatalf("writer said %q (%v), want %q", w.out.Text(), w.out.Err(), line)
		}
	case <-time.After(30 * time.Second):
		w.t.Fatalf("writer did not say %q", line)
	}
}

func (w *writerProc) commit(id int) {
	w.t.Helper()
	if _, err := fmt.Fprintf(w.stdin, "commit %d\n", id); err != nil {
		w.t.Fatal(err)
	}
	w.expect(fmt.Sprintf("ok %d", id))
}

// stop closes the writer's stdin and waits for its clean exit.
func (w *writerProc) stop() {
	w.t.Helper()
	w.stdin.Close()
	if err := w.cmd.Wait(); err != nil {
		w.t.Fatalf("writer exit: %v", err)
	}
}
