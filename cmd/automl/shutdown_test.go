package main

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"automl/scheduler"
)

// syncBuffer is a bytes.Buffer safe for the stopper's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type stopperProbe struct {
	s             *stopper
	log, stderr   *syncBuffer
	drained, hard chan struct{}
	exits         chan int
}

func newStopperProbe(grace time.Duration, interactive bool) *stopperProbe {
	p := &stopperProbe{log: &syncBuffer{}, stderr: &syncBuffer{}, drained: make(chan struct{}, 4), hard: make(chan struct{}, 4), exits: make(chan int, 4)}
	p.s = &stopper{
		log: slog.New(slog.NewTextHandler(p.log, nil)), grace: grace, interactive: interactive,
		drain: func() { p.drained <- struct{}{} }, hard: func() { p.hard <- struct{}{} },
		resume: "automl search -space s.yaml", exit: func(code int) { p.exits <- code }, stderr: p.stderr,
		sigs: make(chan os.Signal, 4), limit: 20 * time.Millisecond,
	}
	p.s.start()
	return p
}

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
	}
	var zero T
	return zero
}

// Ctrl-C on a terminal: the first drains and says Ctrl-C again stops the
// running trials, the second stops them, the third exits with 130.
func TestStopperCtrlCTwiceThenThrice(t *testing.T) {
	p := newStopperProbe(time.Hour, true)
	p.s.sigs <- os.Interrupt
	await(t, p.drained, "drain after the first Ctrl-C")
	if h := p.s.hint(); h != "finishing running trials; Ctrl-C again to stop them" {
		t.Errorf("hint %q after one Ctrl-C on a terminal", h)
	}
	if log := p.log.String(); !strings.Contains(log, "Ctrl-C again stops them now") || !strings.Contains(log, "within 1h0m0s") {
		t.Errorf("first message: %s", log)
	}
	p.s.sigs <- os.Interrupt
	await(t, p.hard, "hard stop after the second Ctrl-C")
	if h := p.s.hint(); h != "stopping running trials" {
		t.Errorf("hint %q once the trials are told to stop", h)
	}
	p.s.sigs <- os.Interrupt
	if code := await(t, p.exits, "exit after the third Ctrl-C"); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	if msg := p.stderr.String(); !strings.Contains(msg, "SIGINT while stopping") || !strings.Contains(msg, "continue it with: automl search -space s.yaml") {
		t.Errorf("last words: %s", msg)
	}
}

// SIGTERM (from timeout, a supervisor): no hint about Ctrl-C; the grace
// running out stops the running trials, and a stop that does not end
// within its limit exits with 143.
func TestStopperSIGTERMGraceThenLimit(t *testing.T) {
	p := newStopperProbe(10*time.Millisecond, false)
	p.s.sigs <- syscall.SIGTERM
	await(t, p.drained, "drain after SIGTERM")
	await(t, p.hard, "hard stop when the grace is over")
	if code := await(t, p.exits, "exit when the stop does not end"); code != 143 {
		t.Errorf("exit %d, want 143", code)
	}
	all := p.log.String() + p.stderr.String()
	if strings.Contains(all, "Ctrl-C") {
		t.Errorf("a hint about Ctrl-C after SIGTERM:\n%s", all)
	}
	for _, want := range []string{"SIGTERM: stopping: no new trials", "a second SIGINT or SIGTERM stops them now", "grace period of 10ms is over", "still stopping 20ms after"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
	if sig := p.s.signal(); sig != syscall.SIGTERM {
		t.Errorf("first signal %v", sig)
	}
}

// Ctrl-C without a terminal (a script's kill -INT) does not claim a
// Ctrl-C would help; --timeout-grace 0 stops the running trials at once.
func TestStopperNoTerminalAndNoGrace(t *testing.T) {
	p := newStopperProbe(0, false)
	p.s.sigs <- os.Interrupt
	await(t, p.hard, "hard stop at once with no grace")
	select {
	case <-p.drained:
		t.Error("drained with no grace; want the trials stopped at once")
	default:
	}
	if log := p.log.String(); strings.Contains(log, "Ctrl-C") || !strings.Contains(log, "--timeout-grace 0") {
		t.Errorf("message: %s", log)
	}
}

func TestStopperReleasedWithoutSignal(t *testing.T) {
	p := newStopperProbe(time.Hour, true)
	p.s.release()
	if p.s.signal() != nil || p.s.hint() != "" {
		t.Errorf("signal %v, hint %q without any signal", p.s.signal(), p.s.hint())
	}
}

// The progress line of a draining study says what is true now: how to stop
// the running trials only after a Ctrl-C on a terminal, that they are
// stopping once told to (redrawn under the log line that says so), and
// nothing of either on the final line.
func TestProgressLineSaysWhatTheDrainDoes(t *testing.T) {
	var out syncBuffer
	hint := ""
	c := &console{w: &out, tty: true, hint: func() string { return hint }, cols: func() int { return 200 }}
	p := scheduler.Progress{Study: "s", Budget: 10, Running: 2, Draining: true}
	c.progress(p, false)
	if s := out.String(); !strings.Contains(s, "(finishing running trials)") || strings.Contains(s, "Ctrl-C") {
		t.Errorf("a study draining by itself: %q", s)
	}
	hint = "finishing running trials; Ctrl-C again to stop them"
	c.Write([]byte("a log line\n"))
	if s := out.String(); !strings.HasSuffix(s, "(finishing running trials; Ctrl-C again to stop them)") {
		t.Errorf("after a Ctrl-C: %q", s)
	}
	hint = "stopping running trials"
	c.Write([]byte("stopping the running trials now\n"))
	if s := out.String(); !strings.HasSuffix(s, "(stopping running trials)") {
		t.Errorf("once told to stop: %q", s)
	}
	c.progress(p, true)
	if last := out.String()[strings.LastIndex(out.String(), "\r"):]; strings.Contains(last, "(") {
		t.Errorf("final line: %q", last)
	}
}
