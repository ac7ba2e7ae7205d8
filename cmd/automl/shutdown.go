package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// stopLimit bounds how long automl search may take to end once its
// running trials are told to stop: the scheduler gives its last commit and
// stop requests 5 s and a trainer 2 s to exit; past it something does not
// answer (a NATS server that is gone, a stuck disk), and the process exits
// without it. A step is committed whole or not at all, so the study
// continues from its last committed step.
const stopLimit = 5 * time.Second

// stopper turns SIGINT and SIGTERM into an end of automl search that is
// bounded whatever the study is doing (draining, retrying a dispatch to a
// NATS server that is gone, committing to a full disk, waiting for a trial
// whose job vanished): the first signal drains (no new trials; the running
// ones may finish within grace); a second signal, or grace running out,
// stops the running trials at once; a third signal, or stopLimit after the
// stop, exits at once. It says what it does as it does it, and the exit
// status is 128 + the first signal's number (130 SIGINT, 143 SIGTERM).
type stopper struct {
	log         *slog.Logger
	grace       time.Duration
	interactive bool // Ctrl-C comes from a terminal: "Ctrl-C again" is a true hint
	drain, hard func()
	resume      string         // the command that continues the study
	exit        func(code int) // os.Exit
	stderr      io.Writer
	limit       time.Duration // stopLimit (tests shorten it)

	sigs chan os.Signal
	done chan struct{}

	mu      sync.Mutex
	first   os.Signal // nil: no signal yet
	stopped bool      // the running trials were told to stop
}

// start watches for the signals (on s.sigs when a test set it).
func (s *stopper) start() {
	if s.sigs == nil {
		s.sigs = make(chan os.Signal, 4)
		signal.Notify(s.sigs, os.Interrupt, syscall.SIGTERM)
	}
	if s.limit == 0 {
		s.limit = stopLimit
	}
	s.done = make(chan struct{})
	go s.loop()
}

// release ends the watch after a run no signal interrupted. After a signal
// it keeps watching until the process exits, so the clean-up that follows
// is bounded too.
func (s *stopper) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == nil {
		signal.Stop(s.sigs)
		close(s.done)
	}
}

// signal is the first signal received (nil: none).
func (s *stopper) signal() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// hint is what the progress line of a draining study says ("": no signal
// came, the study drains by itself).
func (s *stopper) hint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.first == nil:
		return ""
	case s.stopped:
		return "stopping running trials"
	case s.first == os.Interrupt && s.interactive:
		return "finishing running trials; Ctrl-C again to stop them"
	}
	return "finishing running trials; a second signal stops them"
}

func (s *stopper) loop() {
	var graceOver, limit <-chan time.Time
	done := s.done
	for {
		select {
		case sig := <-s.sigs:
			s.mu.Lock()
			first, stopped := s.first == nil, s.stopped
			if first {
				s.first = sig
			}
			s.mu.Unlock()
			switch {
			case stopped:
				s.die(fmt.Sprintf("%s while stopping", sigName(sig)))
			case first && s.grace > 0:
				s.log.Warn(s.drainMessage(sig))
				s.drain()
				graceOver = time.After(s.grace)
			case first:
				limit = s.stop(sigName(sig) + ": stopping the running trials now (--timeout-grace 0); they run again when the study continues")
			default:
				limit = s.stop(sigName(sig) + " again: stopping the running trials now; they run again when the study continues")
			}
		case <-graceOver:
			graceOver = nil
			limit = s.stop(fmt.Sprintf("the grace period of %s is over: stopping the running trials; they run again when the study continues", s.grace))
		case <-limit:
			s.die(fmt.Sprintf("still stopping %s after the running trials were told to stop", s.limit))
		case <-done:
			s.mu.Lock()
			quit := s.first == nil
			s.mu.Unlock()
			if quit {
				return
			}
			done = nil
		}
	}
}

func (s *stopper) drainMessage(sig os.Signal) string {
	again := "a second SIGINT or SIGTERM stops them now"
	if sig == os.Interrupt && s.interactive {
		again = "Ctrl-C again stops them now"
	}
	return fmt.Sprintf("%s: stopping: no new trials; running trials may finish within %s (--timeout-grace), then they are stopped; %s", sigName(sig), s.grace, again)
}

// stop says why and tells the running trials to stop (once), and starts
// the clock of the stop's limit. It is marked stopped first, so the
// progress line drawn with the message no longer offers to stop them.
func (s *stopper) stop(why string) <-chan time.Time {
	s.mu.Lock()
	already := s.stopped
	s.stopped = true
	s.mu.Unlock()
	if !already {
		s.log.Warn(why)
		s.hard()
	}
	return time.After(s.limit)
}

// die exits at once, saying why and that the study is safe.
func (s *stopper) die(why string) {
	say(s.stderr, slog.LevelError, "automl: %s; exiting now. The study file keeps every step committed so far (each whole or not at all); continue it with: %s", why, s.resume)
	s.exit(s.code())
}

// code is the exit status after a signal: 128 + its number.
func (s *stopper) code() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return signalCode(s.first)
}

func signalCode(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return exitInterrupted
}

func sigName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// waitBounded runs f and waits for it up to limit; past it, late is
// called and f is left to finish (or not) on its own.
func waitBounded(f func(), limit time.Duration, late func()) {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		late()
	}
}

// interrupted is the error of a study a signal ended; the exit status is
// 128 + the signal's number.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + sigName(e.sig) }
func (e interrupted) Is(target error) bool {
	return target == errInterrupted
}
