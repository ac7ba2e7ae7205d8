// Package triallog is a trial's log: every line its trainer printed, on
// stdout or stderr, each with its time stamp, kept per trial attempt up to
// a limit (the most recent lines, the cut noted). Lines go from the
// trainer to its worker (a Sink: the Reporter the runner is given), from
// the worker to the scheduler in chunks carried by trial events (Buffer,
// Chunk), into the study file (Keep, a store's Shelf), and back to
// automl logs and the report (Assemble, Log).
//
// It knows nothing of trials beyond their ids, so package trial can carry
// its chunks in events.
package triallog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Stream says where a line came from.
type Stream uint8

const (
	// Stdout and Stderr: what the trainer printed.
	Stdout Stream = iota + 1
	Stderr
	// Note: a line automl wrote into the log, where lines are missing (a
	// cut, a run lost on another worker).
	Note
)

var streamCodes = [...]string{"", "o", "e", "a"}
var streamNames = [...]string{"", "stdout", "stderr", "automl"}

func (s Stream) String() string {
	if s >= Stdout && s <= Note {
		return streamNames[s]
	}
	return "stream(?)"
}

// Line is one line of output, as read (without its newline).
type Line struct {
	Time   time.Time
	Stream Stream
	Text   string
}

// Size is what the line counts against a log's limit: its text and the
// newline it ended with.
func (l Line) Size() int64 { return int64(len(l.Text)) + 1 }

// MarshalJSON writes the line compactly: [unix nanoseconds, "o"|"e"|"a",
// text]. A log holds up to a megabyte of lines, so the keys of an object
// per line would cost a third of it again.
func (l Line) MarshalJSON() ([]byte, error) {
	if l.Stream < Stdout || l.Stream > Note {
		return nil, fmt.Errorf("log line of unknown stream %d", l.Stream)
	}
	var ns int64
	if !l.Time.IsZero() {
		ns = l.Time.UnixNano()
	}
	text, err := json.Marshal(l.Text)
	if err != nil {
		return nil, err
	}
	b := fmt.Appendf(nil, `[%d,"%s",`, ns, streamCodes[l.Stream])
	b = append(b, text...)
	return append(b, ']'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Line) UnmarshalJSON(data []byte) error {
	var raw [3]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw[2] == nil {
		return errors.New("log line: want [time, stream, text]")
	}
	var ns int64
	var code, text string
	if err := json.Unmarshal(raw[0], &ns); err != nil {
		return fmt.Errorf("log line time: %w", err)
	}
	if err := json.Unmarshal(raw[1], &code); err != nil {
		return fmt.Errorf("log line stream: %w", err)
	}
	if err := json.Unmarshal(raw[2], &text); err != nil {
		return fmt.Errorf("log line text: %w", err)
	}
	s := Stream(0)
	for i, c := range streamCodes {
		if i > 0 && c == code {
			s = Stream(i)
		}
	}
	if s == 0 {
		return fmt.Errorf("log line: unknown stream %q", code)
	}
	*l = Line{Stream: s, Text: text}
	if ns != 0 {
		l.Time = time.Unix(0, ns).UTC()
	}
	return nil
}

// MaxLineBytes bounds a line: a longer one is cut there (a progress bar
// redrawn without newlines, a tensor printed whole).
const MaxLineBytes = 64 << 10

// Clip cuts text to MaxLineBytes, at a character boundary, and marks the
// cut.
func Clip(text string) string {
	if len(text) <= MaxLineBytes {
		return text
	}
	const mark = " [automl: line cut at 64 KiB]"
	cut := MaxLineBytes - len(mark)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + mark
}

// Sink takes a running trial's log lines. The Reporter a runner is given
// implements it wherever the trial's log is kept (the worker's, and a
// plugin's, which forwards to its host): a runner with lines to show (the
// output of a program it runs, progress lines) adds them there. AddLine
// does not block on I/O and is safe for concurrent use.
type Sink interface {
	AddLine(Line)
}

// Printf adds a line to the log of the trial whose Reporter is rep, when
// rep keeps one (see Sink); otherwise it does nothing. The line is stamped
// now and counts as stderr, as a program's progress lines usually go.
func Printf(rep any, format string, args ...any) {
	s, ok := rep.(Sink)
	if !ok {
		return
	}
	for _, text := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		s.AddLine(Line{Time: time.Now().UTC(), Stream: Stderr, Text: Clip(text)})
	}
}
