package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"automl/scheduler"
)

// screen is a minimal terminal: it keeps the rows a terminal of a given
// width would show for what the console writes (carriage return, erase to
// the end of the line, newline, and wrapping at the last column), so a
// test sees what a person would.
type screen struct {
	width    int
	rows     [][]rune
	row, col int
}

func (s *screen) Write(p []byte) (int, error) {
	text := string(p)
	for len(text) > 0 {
		if strings.HasPrefix(text, "\033[K") {
			s.ensure()
			s.rows[s.row] = s.rows[s.row][:min(s.col, len(s.rows[s.row]))]
			text = text[3:]
			continue
		}
		r, n := utf8.DecodeRuneInString(text)
		text = text[n:]
		switch r {
		case '\r':
			s.col = 0
		case '\n':
			s.row, s.col = s.row+1, 0
		default:
			if s.col == s.width { // the cursor waits at the margin: this rune wraps
				s.row, s.col = s.row+1, 0
			}
			s.ensure()
			line := s.rows[s.row]
			for len(line) <= s.col {
				line = append(line, ' ')
			}
			line[s.col] = r
			s.rows[s.row] = line
			s.col++
		}
	}
	return len(p), nil
}

func (s *screen) ensure() {
	for len(s.rows) <= s.row {
		s.rows = append(s.rows, nil)
	}
}

// lines are the screen's rows holding sub.
func (s *screen) lines(sub string) []string {
	var out []string
	for _, r := range s.rows {
		if strings.Contains(string(r), sub) {
			out = append(out, string(r))
		}
	}
	return out
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func ttyConsole(w *screen, clock *fakeClock) *console {
	return &console{w: w, tty: true, cols: func() int { return w.width }, now: clock.now}
}

const longStudy = "mlp-breast-cancer-with-a-rather-long-study-name-v2"

func busyProgress() scheduler.Progress {
	return scheduler.Progress{
		Study: longStudy, Budget: 20, Completed: 11, Failed: 2, Stopped: 1, Pruned: 1, Running: 2,
		Best: 0.9736842105, BestID: 7, HasBest: true, Elapsed: 83 * time.Second,
	}
}

// The progress line fits the terminal: the name shortens first (with an
// ellipsis, keeping its start and end), then the less important fields
// give way; the count of trials is always there.
func TestProgressLineFitsTheWidth(t *testing.T) {
	p := busyProgress()
	full := progressLine(p, "finishing running trials")
	if utf8.RuneCountInString(full) <= 100 {
		t.Fatalf("the full line is only %d wide; the test needs one wider than the terminals below: %q", utf8.RuneCountInString(full), full)
	}
	for _, c := range []struct {
		width      int
		want, gone []string
	}{
		{200, []string{longStudy + ":", "13/20 trials", "best 0.973684 (trial 7)", "running 2", "failed 2", "stopped 1", "pruned 1", "elapsed 1m23s", "eta "}, nil},
		{79, []string{"mlp-breast", "…", "-v2:", "13/20 trials", "best 0.973684", "running 2", "failed 2"}, []string{longStudy, "pruned", "stopped", "elapsed"}},
		{50, []string{"mlp-", "…", "13/20 trials", "run 2"}, []string{"pruned", "elapsed", "best"}},
		{24, []string{"13/20 trials"}, []string{"best", "run"}},
		{12, []string{"13/20"}, nil},
		{1, nil, nil},
	} {
		line := fitFields(p.Study, progressFields(p, "finishing running trials", false), c.width)
		if n := utf8.RuneCountInString(line); n > c.width {
			t.Errorf("width %d: line of %d: %q", c.width, n, line)
		}
		for _, w := range c.want {
			if !strings.Contains(line, w) {
				t.Errorf("width %d: no %q in %q", c.width, w, line)
			}
		}
		for _, g := range c.gone {
			if strings.Contains(line, g) {
				t.Errorf("width %d: %q still in %q", c.width, g, line)
			}
		}
	}
	// A short name on a wide terminal: the line as it is.
	p.Study = "quick"
	if got, want := fitFields(p.Study, progressFields(p, "", false), 200), progressLine(p, ""); got != want {
		t.Errorf("fitted %q, want it unchanged: %q", got, want)
	}
}

// Redrawn many times on an 80-column terminal, with log lines between,
// the progress line stays one row: nothing wraps, and no earlier state is
// left behind (today's line of a long name wrapped, leaving a row at every
// redraw).
func TestProgressLineStaysOneRowOn80Columns(t *testing.T) {
	scr := &screen{width: 80}
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := ttyConsole(scr, clock)
	p := busyProgress()
	p.Completed, p.Failed, p.Stopped, p.Pruned = 0, 0, 0, 0
	for i := range 40 {
		p.Completed = i / 2
		p.Elapsed = time.Duration(i) * 300 * time.Millisecond
		clock.t = clock.t.Add(300 * time.Millisecond)
		c.progress(p, false)
		if i%10 == 9 {
			c.Write([]byte("level=INFO msg=\"a log line\"\n"))
		}
	}
	c.progress(p, true)
	if rows := scr.lines(" trials"); len(rows) != 1 {
		t.Fatalf("%d rows hold the progress line, want 1:\n%s", len(rows), strings.Join(rows, "\n"))
	}
	if rows := scr.lines("a log line"); len(rows) != 4 {
		t.Errorf("%d log rows, want 4", len(rows))
	}
	last := scr.lines(" trials")[0]
	if !strings.Contains(last, "19/20 trials") || utf8.RuneCountInString(last) >= 80 || strings.Contains(last, "eta") {
		t.Errorf("final line %q; want the last counts, narrower than the terminal, no estimate of a time left", last)
	}
}

// At most 4 redraws a second however often the scheduler reports; the
// newest state is the one drawn next, and the final one always is.
func TestProgressRedrawsAtMostFourTimesASecond(t *testing.T) {
	scr := &screen{width: 200}
	var out syncBuffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := &console{w: &out, tty: true, cols: func() int { return scr.width }, now: clock.now}
	p := scheduler.Progress{Study: "s", Budget: 1000, Running: 4}
	for i := range 200 { // 2 s of reports every 10 ms
		p.Completed = i
		c.progress(p, false)
		clock.t = clock.t.Add(10 * time.Millisecond)
	}
	draws := strings.Count(out.String(), "\r\033[K")
	if draws > 9 || draws < 7 {
		t.Errorf("%d redraws in 2 s of reports every 10 ms; want 8 (4 a second)", draws)
	}
	p.Completed = 1000
	c.progress(p, true)
	if s := out.String(); !strings.HasSuffix(s, "1000/1000 trials  running 4  elapsed 0s\n") {
		t.Errorf("final draw: %q", s[strings.LastIndex(s, "\r"):])
	}
}

// After a Ctrl-C the drain's message is on the progress line once: the
// line is redrawn in place with the counts, never repeated (today it
// wrapped on 80 columns and left a copy about ten times a second).
func TestDrainMessageNotRepeatedAfterASignal(t *testing.T) {
	scr := &screen{width: 80}
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := ttyConsole(scr, clock)
	hint := ""
	c.hint = func() string { return hint }
	p := scheduler.Progress{Study: "mlp-breast-cancer", Budget: 20, Completed: 3, Running: 2, Best: 0.97, BestID: 2, HasBest: true, Elapsed: 5 * time.Second}
	c.progress(p, false)
	hint = "finishing running trials; Ctrl-C again to stop them"
	c.Write([]byte("level=WARN msg=\"SIGINT: stopping: no new trials\"\n"))
	p.Draining = true
	for i := range 50 { // 5 s of a drain, reported every 100 ms
		clock.t = clock.t.Add(100 * time.Millisecond)
		p.Elapsed += 100 * time.Millisecond
		if i == 30 {
			p.Completed, p.Running = 4, 1
		}
		c.progress(p, false)
	}
	rows := scr.lines("mlp-breast-cancer:")
	if len(rows) != 1 || len(scr.lines("Ctrl-C again")) != 1 {
		t.Fatalf("the progress line is on %d rows, the drain's message on %d, want 1 each:\n%s", len(rows), len(scr.lines("Ctrl-C again")), strings.Join(scr.lines(""), "\n"))
	}
	if !strings.Contains(rows[0], "(finishing; Ctrl-C again to stop them)") {
		t.Errorf("the line lost the advice on how to stop the running trials: %q", rows[0])
	}
	if !strings.Contains(rows[0], "4/20 trials") || !strings.Contains(rows[0], "run 1") && !strings.Contains(rows[0], "running 1") {
		t.Errorf("the line does not show the counts as they are now: %q", rows[0])
	}
}

// Not a terminal: no redraws, and a plain line at most every 10 s, only
// when the counts changed (a long drain is not repeated every 10 s).
func TestPlainProgressLinesOnlyWhenSomethingChanged(t *testing.T) {
	var out syncBuffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := &console{w: &out, now: clock.now}
	p := scheduler.Progress{Study: "s", Budget: 10, Running: 2, Draining: true}
	for range 120 { // 2 min of nothing happening
		clock.t = clock.t.Add(time.Second)
		p.Elapsed += time.Second
		c.progress(p, false)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines in 2 min of an unchanged study, want 1:\n%s", n, out.String())
	}
	for i := range 30 { // 30 s of a trial ending every second
		clock.t = clock.t.Add(time.Second)
		p.Completed = i + 1
		c.progress(p, false)
	}
	if n := strings.Count(out.String(), "\n"); n != 4 {
		t.Errorf("%d lines after 30 s of changes, want 1 + 3 (one every 10 s):\n%s", n, out.String())
	}
	if strings.Contains(out.String(), "\r") || strings.Contains(out.String(), "\033") {
		t.Errorf("terminal controls written to a file: %q", out.String())
	}
}

// Stopped trials are counted as stopped, apart from pruned ones.
func TestProgressCountsStoppedAsStopped(t *testing.T) {
	p := scheduler.Progress{Study: "s", Budget: 10, Completed: 2, Stopped: 3, Pruned: 1}
	line := progressLine(p, "")
	for _, want := range []string{"6/10 trials", "stopped 3", "pruned 1"} {
		if !strings.Contains(line, want) {
			t.Errorf("no %q in %q", want, line)
		}
	}
}
