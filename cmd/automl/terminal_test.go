package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Terminal tests drive automl in a real terminal: Debian's tmux, a pane of
// a fixed size, read back with capture-pane. CI installs tmux and sets
// AUTOML_TERMINAL_TESTS=1 (or AUTOML_BROWSER_TESTS=1, as for the browser
// tests), which turns a missing tmux into a failure; elsewhere the tests
// skip without one. AUTOML_TMUX names the binary.

func tmuxPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AUTOML_TMUX"); p != "" {
		return p
	}
	if p, err := exec.LookPath("tmux"); err == nil {
		return p
	}
	if os.Getenv("AUTOML_TERMINAL_TESTS") == "1" || os.Getenv("AUTOML_BROWSER_TESTS") == "1" {
		t.Fatal("no tmux on PATH, and AUTOML_TERMINAL_TESTS=1 (or AUTOML_BROWSER_TESTS=1) requires the terminal tests (apt-get install tmux)")
	}
	t.Skip("no tmux on PATH (set AUTOML_TERMINAL_TESTS=1 to make this a failure)")
	return ""
}

// tmuxPane runs shell in a detached tmux pane of cols x rows with a
// server of its own (its socket in the test's directory).
type tmuxPane struct {
	t          *testing.T
	bin, sock  string
	cols, rows int
}

func newTmuxPane(t *testing.T, cols, rows int, shell string) *tmuxPane {
	t.Helper()
	p := &tmuxPane{t: t, bin: tmuxPath(t), sock: filepath.Join(t.TempDir(), "tmux.sock"), cols: cols, rows: rows}
	// -u: the pane is UTF-8 whatever the locale; -f /dev/null: no user
	// configuration.
	p.run("new-session", "-d", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), "-s", "automl", shell)
	t.Cleanup(func() { _ = exec.Command(p.bin, "-S", p.sock, "kill-server").Run() })
	return p
}

func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"-u", "-S", p.sock, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// capture is the pane's whole history and screen, each line as the
// program wrote it: a line the terminal wrapped comes back joined (-J),
// so one wider than the pane shows.
func (p *tmuxPane) capture() string {
	return p.run("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "automl")
}

// waitFor captures the pane until it shows marker.
func (p *tmuxPane) waitFor(marker string, limit time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out := p.capture()
		if strings.Contains(out, marker) {
			return out
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the pane never showed %q:\n%s", marker, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// automl search on an 80-column terminal, with a study name that alone
// takes most of the width: the progress line is redrawn in place as 20
// trials run and stays one line; the pane ends with one progress line (the
// final counts), not a row per redraw (today: 28 rows in 5 s).
func TestProgressLineInAnEightyColumnTerminal(t *testing.T) {
	dir := t.TempDir()
	const study = "mlp-breast-cancer-with-a-rather-long-study-name"
	space := `study: ` + study + `
objective: {metric: value, direction: minimize}
budget: {trials: 20}
algorithm: {name: random, seed: 3}
trainer: {plugin: funcs, config: {function: branin, sleep: 300ms}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	shell := fmt.Sprintf("cd %q && %q search -space space.yaml --workers 2 --top 3; echo \"automl exited $?\"; sleep 600", dir, automlBin)
	pane := newTmuxPane(t, 80, 40, shell)
	out := pane.waitFor("automl exited", 2*time.Minute)

	if !strings.Contains(out, "automl exited 0") {
		t.Fatalf("automl search failed:\n%s", out)
	}
	var progress []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "/20 trials") {
			progress = append(progress, line)
		}
	}
	if len(progress) != 1 {
		t.Fatalf("%d lines of progress in the pane, want 1 (redrawn in place):\n%s", len(progress), out)
	}
	line := strings.TrimRight(progress[0], " ")
	if n := utf8.RuneCountInString(line); n >= 80 {
		t.Errorf("the progress line is %d wide on an 80-column terminal (it wraps): %q", n, line)
	}
	if !strings.HasPrefix(line, "mlp-breast-") || !strings.Contains(line, "…") || !strings.Contains(line, "20/20 trials") || !strings.Contains(line, "best ") {
		t.Errorf("final progress line %q: want the name shortened with an ellipsis, 20/20 trials and the best value", line)
	}
	for _, want := range []string{"study " + study + ": done (trial budget of 20 used)", "trials: 20/20 done", "best: trial"} {
		if !strings.Contains(out, want) {
			t.Errorf("the pane lacks %q:\n%s", want, out)
		}
	}
}

// Ctrl-C in an 80-column terminal: the drain's message is said once in the
// log and once on the progress line, which goes on being redrawn in place
// (today the wrapped line left a copy of itself about ten times a second).
func TestCtrlCInAnEightyColumnTerminal(t *testing.T) {
	dir := t.TempDir()
	space := `study: mlp-breast-cancer
objective: {metric: value, direction: minimize}
budget: {trials: 10}
algorithm: {name: random, seed: 3}
trainer: {plugin: funcs, config: {function: branin, sleep: 3s}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	shell := fmt.Sprintf("cd %q && %q search -space space.yaml --workers 2 --top 3; echo \"automl exited $?\"; sleep 600", dir, automlBin)
	pane := newTmuxPane(t, 80, 40, shell)
	pane.waitFor("running 2", time.Minute)
	pane.run("send-keys", "-t", "automl", "C-c")
	pane.waitFor("SIGINT: stopping", time.Minute)
	// The trials run 3 s: let the line be redrawn a few times while they
	// finish (sampling, not a timing claim).
	time.Sleep(time.Second)
	during := pane.capture()
	if n := strings.Count(during, "(finishing"); n != 1 {
		t.Errorf("while draining the pane shows the drain's message %d times, want once:\n%s", n, during)
	}
	if n := strings.Count(during, "Ctrl-C again"); n != 2 { // the log line and the progress line
		t.Errorf("the pane says how to stop the running trials %d times, want 2 (the log, the progress line):\n%s", n, during)
	}
	out := pane.waitFor("automl exited", time.Minute)
	if !strings.Contains(out, "automl exited 130") {
		t.Fatalf("exit status after Ctrl-C, want 130:\n%s", out)
	}
	if n := strings.Count(out, "/10 trials"); n != 1 {
		t.Errorf("%d progress lines in the pane, want 1:\n%s", n, out)
	}
}
