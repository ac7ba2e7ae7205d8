package exec

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"automl/trial/triallog"
)

const (
	logBytes     = 1 << 20  // the log keeps the last 1 MiB of lines
	maxLineBytes = 64 << 10 // longer lines are cut (and are never metrics)
	errorLines   = 50       // log lines quoted in a failed trial's error
)

// lineLog keeps the last logBytes of a program's log lines, for a
// failure's message, and passes each line on: to the trial's log when its
// Reporter keeps one (sink), else to out. Safe for concurrent use.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	size  int
	sink  triallog.Sink
	out   io.Writer
}

// addAt keeps a line the program printed on a stream, read at t.
func (l *lineLog) addAt(t time.Time, stream triallog.Stream, line string) {
	if l.sink != nil {
		l.sink.AddLine(triallog.Line{Time: t, Stream: stream, Text: line})
	}
	l.add(line)
}

func (l *lineLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	l.size += len(line) + 1
	drop := 0
	for l.size > logBytes && drop < len(l.lines)-1 {
		l.size -= len(l.lines[drop]) + 1
		drop++
	}
	if drop > 0 {
		l.lines = append(l.lines[:0], l.lines[drop:]...)
	}
	if l.out != nil && l.sink == nil {
		io.WriteString(l.out, line+"\n")
	}
}

// note writes a line to out without keeping it: a message about the log
// (a warning), not a line of it.
func (l *lineLog) note(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.out != nil {
		io.WriteString(l.out, line+"\n")
	}
}

// last returns the last n lines, joined.
func (l *lineLog) last(n int) string { return strings.Join(l.tail(n), "\n") }

// tail returns a copy of the last n lines.
func (l *lineLog) tail(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := max(0, len(l.lines)-n)
	return append([]string(nil), l.lines[from:]...)
}

// String returns the whole kept log.
func (l *lineLog) String() string { return l.last(logBytes) }

// readLines calls emit for each line of r until r ends or fails; a line
// longer than maxLineBytes is cut there and the rest of it dropped, so a
// program printing a huge line never blocks on a full pipe.
func readLines(r io.Reader, emit func(string)) {
	br := bufio.NewReaderSize(r, maxLineBytes)
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			emit(string(b))
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of the line
				_, err = br.ReadSlice('\n')
			}
			if err != nil {
				return
			}
			continue
		}
		if len(b) > 0 {
			emit(strings.TrimRight(string(b), "\r\n"))
		}
		if err != nil {
			return
		}
	}
}
