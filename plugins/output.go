package plugins

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"time"

	"automl/trial/triallog"
)

// output takes what a plugin process writes: its stderr (read by
// go-plugin) and, through go-plugin's stdio stream, its os.Stdout and
// os.Stderr. It splits each into lines and gives every line to the log of
// the trial running on the process (a triallog.Sink), or, between trials,
// to the host's writer (Config.Stderr: the slot's log). A trainer's
// warnings (WarningPrefix) always go to the host's writer: they are
// messages to the person running the study, not lines of the log.
//
// The sources are independent streams, so a line written just before a
// trial ends may be read after its result. Each trial therefore ends with
// a marker the plugin writes to every source (Start.log_marker) after the
// runner returns: the host gives the trial the lines read up to the
// markers (waitMarkers), and only then takes the sink away.
type output struct {
	mu       sync.Mutex
	fallback io.Writer
	sink     triallog.Sink
	marker   string
	pending  int           // sources whose marker has not come
	marked   chan struct{} // closed when pending reaches 0
	sources  []*source
}

// source is one of a plugin's output streams.
type source struct {
	o      *output
	stream triallog.Stream
	part   []byte // a line not yet ended
}

func newOutput(fallback io.Writer) *output {
	o := &output{fallback: fallback}
	for _, s := range []triallog.Stream{triallog.Stderr, triallog.Stdout, triallog.Stderr} {
		o.sources = append(o.sources, &source{o: o, stream: s})
	}
	return o
}

// stderr, syncStdout and syncStderr are the writers to give go-plugin.
func (o *output) stderr() *source     { return o.sources[0] }
func (o *output) syncStdout() *source { return o.sources[1] }
func (o *output) syncStderr() *source { return o.sources[2] }

// attach starts a trial: its lines go to sink until detach. It returns
// the marker to send in Start.
func (o *output) attach(sink triallog.Sink) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sink = sink
	o.marker = markerPrefix + hex.EncodeToString(b[:])
	o.pending = len(o.sources)
	o.marked = make(chan struct{})
	return o.marker
}

// markerPrefix starts a trial's end marker; the control character keeps
// it from looking like anything a trainer prints.
const markerPrefix = "\x1eautoml-end-of-trial "

// waitMarkers waits, up to d, for the trial's marker on every source.
func (o *output) waitMarkers(d time.Duration) {
	o.mu.Lock()
	ch := o.marked
	o.mu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// detach ends the trial: later lines go to the host's writer.
func (o *output) detach() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sink, o.marker, o.marked = nil, "", nil
}

func (s *source) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(s.part)+len(p) > triallog.MaxLineBytes {
				// A line without end (a progress bar redrawn with \r):
				// cut it here rather than hold it.
				s.line(string(append(s.part, p...)))
				s.part = s.part[:0]
			} else {
				s.part = append(s.part, p...)
			}
			break
		}
		if len(s.part) > 0 {
			s.line(string(append(s.part, p[:i]...)))
			s.part = s.part[:0]
		} else {
			s.line(string(p[:i]))
		}
		p = p[i+1:]
	}
	return n, nil
}

func (s *source) line(text string) {
	text = strings.TrimSuffix(text, "\r")
	if i := strings.Index(text, markerPrefix); i > 0 {
		// The trial's last line had no newline: the marker ended it.
		s.line(text[:i])
		text = text[i:]
	}
	o := s.o
	o.mu.Lock()
	if o.marker != "" && text == o.marker {
		if o.pending--; o.pending == 0 {
			close(o.marked)
		}
		o.mu.Unlock()
		return
	}
	sink, fallback := o.sink, o.fallback
	o.mu.Unlock()
	if strings.HasPrefix(text, markerPrefix) {
		return // a marker of a trial already over
	}
	if sink != nil && !strings.HasPrefix(text, WarningPrefix) {
		sink.AddLine(triallog.Line{Time: time.Now().UTC(), Stream: s.stream, Text: triallog.Clip(text)})
		return
	}
	if fallback != nil {
		io.WriteString(fallback, text+"\n")
	}
}
