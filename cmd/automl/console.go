package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"automl/scheduler"
)

// console writes log lines and, on a terminal, one live progress line
// below them: a log line clears the progress line, prints, and redraws it.
// The progress line is redrawn in place (carriage return, erase line), so
// it must never be wider than the terminal: a line that wraps leaves its
// first rows behind at every redraw. It is fitted to the width at each
// draw (a resized terminal included) and drawn at most every redrawEvery.
// Elsewhere (a pipe, a file) there are no redraws, only a plain line now
// and then, when the counts changed. With --log-format json there is no
// live line, on a terminal or not: the progress is a "progress" record,
// now and then as the plain line would be, so that every line is JSON.
type console struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	json bool
	cols func() int       // the terminal's width now (tty only)
	now  func() time.Time // the clock (tests inject one)

	line     string             // the progress line shown now
	shown    scheduler.Progress // the newest state, drawn or not yet
	lastDraw time.Time
	// The last plain line (not a terminal): when, and the state it showed.
	lastLog time.Time
	logged  *scheduler.Progress
	// hint, when set, says what a draining study does ("": finishing
	// running trials), so that how to stop them is only said where it is
	// true.
	hint func() string
}

const (
	// redrawEvery bounds the progress line to 4 redraws a second: more is
	// flicker nobody reads, and load on a slow terminal or ssh link.
	redrawEvery = 250 * time.Millisecond
	// plainEvery spaces the plain progress lines written to a file.
	plainEvery = 10 * time.Second
)

func newConsole(w *os.File) *console {
	fd := int(w.Fd())
	return &console{
		w: w, tty: term.IsTerminal(fd) && os.Getenv("TERM") != "dumb" && !jsonLogs(), json: jsonLogs(),
		cols: func() int { return terminalWidth(fd) }, now: time.Now,
	}
}

// terminalWidth is the terminal's width in columns: as the terminal says,
// else $COLUMNS, else 80.
func terminalWidth(fd int) int {
	if w, _, err := term.GetSize(fd); err == nil && w > 0 {
		return w
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
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
		c.line = c.fitted(c.shown, false)
		fmt.Fprint(c.w, c.line)
	}
	return n, err
}

// progress shows p: on a terminal as the live line (at most every
// redrawEvery; the newest state is drawn next time), otherwise as a plain
// line at most every plainEvery, and only when the counts changed.
func (c *console) progress(p scheduler.Progress, final bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if final {
		p.Draining = false // it is over: nothing is finishing any more
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	if c.tty {
		c.shown = p
		if !final && now.Sub(c.lastDraw) < redrawEvery {
			return
		}
		c.lastDraw = now
		line := c.fitted(p, final)
		if line != c.line || final {
			fmt.Fprint(c.w, "\r\033[K"+line)
			c.line = line
		}
		if final {
			fmt.Fprintln(c.w)
			c.line = ""
		}
		return
	}
	if !final && (now.Sub(c.lastLog) < plainEvery || (c.logged != nil && sameCounts(*c.logged, p))) {
		return
	}
	c.lastLog, c.logged = now, &p
	if c.json {
		c.progressRecord(p, now)
		return
	}
	fmt.Fprintln(c.w, joinFields(p.Study, progressFields(p, c.drainHint(), final)))
}

// progressRecord writes p as a JSON "progress" record.
func (c *console) progressRecord(p scheduler.Progress, now time.Time) {
	r := slog.NewRecord(now, slog.LevelInfo, "progress", 0)
	r.AddAttrs(slog.String("study", p.Study), slog.Int("finished", p.Finished()), slog.Int("budget", p.Budget),
		slog.Int("running", p.Running), slog.Int("failed", p.Failed), slog.Int("stopped", p.Stopped),
		slog.Int("pruned", p.Pruned), slog.Float64("elapsed_s", p.Elapsed.Seconds()), slog.Bool("draining", p.Draining))
	if p.HasBest {
		r.AddAttrs(slog.Float64("best", p.Best), slog.Int("best_trial", p.BestID))
	} else if p.Front > 0 {
		r.AddAttrs(slog.Int("pareto_front", p.Front))
	}
	_ = slog.NewJSONHandler(c.w, nil).Handle(context.Background(), r)
}

// sameCounts reports whether a and b show the same state, time aside.
func sameCounts(a, b scheduler.Progress) bool {
	a.Elapsed, b.Elapsed = 0, 0
	return a == b
}

// fitted is p's progress line for the terminal's width now.
func (c *console) fitted(p scheduler.Progress, final bool) string {
	// One column spare: a line that fills the last column leaves some
	// terminals waiting to wrap.
	cols := 80
	if c.cols != nil {
		cols = c.cols()
	}
	return fitFields(p.Study, progressFields(p, c.drainHint(), final), cols-1)
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

// field is one part of the progress line after the study's name. When the
// line is too wide, fields take their short form and are left out, one
// step at a time in the order of their ranks (shortAt, dropAt; 0: never):
// first what matters least.
type field struct {
	text, short     string
	shortAt, dropAt int
}

// progressFields are p's fields in the order shown; draining says what a
// draining study does; the final line of a run has no estimate of the time
// left.
func progressFields(p scheduler.Progress, draining string, final bool) []field {
	done := p.Finished()
	count := fmt.Sprintf("%d trials", done)
	if p.Budget > 0 {
		count = fmt.Sprintf("%d/%d trials", done, p.Budget)
	}
	fs := []field{{text: count}}
	if p.HasBest {
		fs = append(fs, field{text: fmt.Sprintf("best %.6g (trial %d)", p.Best, p.BestID), short: fmt.Sprintf("best %.6g", p.Best), shortAt: 2, dropAt: 10})
	} else if p.Front > 0 {
		fs = append(fs, field{text: fmt.Sprintf("pareto front %d", p.Front), short: fmt.Sprintf("front %d", p.Front), shortAt: 2, dropAt: 10})
	}
	fs = append(fs, field{text: fmt.Sprintf("running %d", p.Running), short: fmt.Sprintf("run %d", p.Running), shortAt: 7, dropAt: 11})
	if p.Failed > 0 {
		fs = append(fs, field{text: fmt.Sprintf("failed %d", p.Failed), dropAt: 9})
	}
	if p.Stopped > 0 {
		fs = append(fs, field{text: fmt.Sprintf("stopped %d", p.Stopped), dropAt: 5})
	}
	if p.Pruned > 0 {
		fs = append(fs, field{text: fmt.Sprintf("pruned %d", p.Pruned), dropAt: 4})
	}
	elapsed := roundDuration(p.Elapsed).String()
	fs = append(fs, field{text: "elapsed " + elapsed, short: elapsed, shortAt: 1, dropAt: 6})
	if eta, ok := p.ETA(); ok && !p.Draining && !final {
		fs = append(fs, field{text: "eta " + roundDuration(eta).String(), dropAt: 8})
	}
	if p.Draining {
		// "finishing running trials; Ctrl-C again to stop them" keeps its
		// advice, the most useful part of it, as "finishing; Ctrl-C ...".
		short := draining
		if what, advice, ok := strings.Cut(draining, ";"); ok {
			verb, _, _ := strings.Cut(what, " ")
			short = verb + ";" + advice
		}
		fs = append(fs, field{text: "(" + draining + ")", short: "(" + short + ")", shortAt: 3, dropAt: 12})
	}
	return fs
}

// progressLine is p in one line, whatever its width (for a file).
func progressLine(p scheduler.Progress, draining string) string {
	return joinFields(p.Study, progressFields(p, draining, false))
}

func joinFields(name string, fs []field) string {
	var b strings.Builder
	b.WriteString(name + ":")
	sep := " "
	for _, f := range fs {
		if f.text != "" {
			b.WriteString(sep + f.text)
			sep = "  "
		}
	}
	return b.String()
}

// minName is the length a long study name is shortened to before any
// field gives way.
const minName = 20

// fitFields is the line of name and fs at most width runes wide: the name
// is shortened (to minName runes) and fields take their short forms or
// are left out, step by step, until the line fits; the name then takes the
// room left. A line still too wide (a terminal of a few columns) is cut.
func fitFields(name string, fs []field, width int) string {
	width = max(width, 1)
	if l := joinFields(name, fs); runes(l) <= width {
		return l
	}
	fs = slices.Clone(fs)
	short := shorten(name, minName)
	for step := 1; runes(joinFields(short, fs)) > width; step++ {
		left := false
		for i := range fs {
			switch {
			case fs[i].shortAt == step && fs[i].short != "":
				fs[i].text = fs[i].short
			case fs[i].dropAt == step:
				fs[i].text = ""
			}
			left = left || fs[i].dropAt > step
		}
		if !left {
			break
		}
	}
	l := joinFields(shorten(name, max(1, width-runes(joinFields("", fs)))), fs)
	if r := []rune(l); len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return l
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// shorten cuts s to n runes with an ellipsis in the middle, so both the
// start and the end of a name (often a version or a date) stay.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	head := n / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
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
	return slog.New(logHandler(c, level))
}
