package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"automl/scheduler"
)

// console writes log lines and, on a terminal, one live progress line
// below them: a log line clears the progress line, prints, and redraws it.
type console struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	line     string             // the progress line shown now
	shown    scheduler.Progress // what it shows, to draw it again as it is now
	lastLog  time.Time
	lastDraw time.Time
	// hint, when set, says what a draining study does ("": finishing
	// running trials), so that how to stop them is only said where it is
	// true.
	hint func() string
}

func newConsole(w *os.File) *console {
	return &console{w: w, tty: term.IsTerminal(int(w.Fd())) && os.Getenv("TERM") != "dumb"}
}

// Write implements io.Writer for the log handler.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tty && c.line != "" {
		fmt.Fprint(c.w, "\r\033[K")
	}
	n, err := c.w.Write(p)
	if c.tty && c.line != "" {
		// Drawn again with the hint as it is now: a signal may have
		// changed it since (the log line may be the one that says so).
		c.line = progressLine(c.shown, c.drainHint())
		fmt.Fprint(c.w, c.line)
	}
	return n, err
}

// progress shows p: on a terminal as the live line (at most 10 times a
// second), otherwise as a plain log line every 10 seconds.
func (c *console) progress(p scheduler.Progress, final bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if final {
		p.Draining = false // it is over: nothing is finishing any more
	}
	now := time.Now()
	if c.tty {
		if !final && now.Sub(c.lastDraw) < 100*time.Millisecond {
			return
		}
		c.lastDraw = now
		c.shown, c.line = p, progressLine(p, c.drainHint())
		fmt.Fprint(c.w, "\r\033[K"+c.line)
		if final {
			fmt.Fprintln(c.w)
			c.line = ""
		}
		return
	}
	if !final && now.Sub(c.lastLog) < 10*time.Second {
		return
	}
	c.lastLog = now
	fmt.Fprintln(c.w, progressLine(p, c.drainHint()))
}

// drainHint is what the progress line says a draining study does.
func (c *console) drainHint() string {
	if c.hint != nil {
		if h := c.hint(); h != "" {
			return h
		}
	}
	return "finishing running trials"
}

// progressLine is p in one line; draining says what a draining study does.
func progressLine(p scheduler.Progress, draining string) string {
	var b strings.Builder
	done := p.Finished()
	if p.Budget > 0 {
		fmt.Fprintf(&b, "%s: %d/%d trials", p.Study, done, p.Budget)
	} else {
		fmt.Fprintf(&b, "%s: %d trials", p.Study, done)
	}
	if p.HasBest {
		fmt.Fprintf(&b, "  best %.6g (trial %d)", p.Best, p.BestID)
	}
	fmt.Fprintf(&b, "  running %d", p.Running)
	if p.Failed > 0 {
		fmt.Fprintf(&b, "  failed %d", p.Failed)
	}
	if p.Pruned > 0 {
		fmt.Fprintf(&b, "  pruned %d", p.Pruned)
	}
	fmt.Fprintf(&b, "  elapsed %s", roundDuration(p.Elapsed))
	if eta, ok := p.ETA(); ok && !p.Draining {
		fmt.Fprintf(&b, "  eta %s", roundDuration(eta))
	}
	if p.Draining {
		b.WriteString("  (" + draining + ")")
	}
	return b.String()
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d < time.Hour:
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// logger makes the slog logger writing through the console.
func (c *console) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(c, &slog.HandlerOptions{Level: level}))
}
