package plugins

import (
	"sync"

	"automl/plugins/internal/trainerpb"
	"automl/trial/triallog"
)

// logQueue is the plugin side of a trial's log: the lines the runner adds
// (triallog.Sink) go to the host in Log messages, in batches, from a
// goroutine of their own, so a runner never waits on the stream for a
// line, unless more than maxQueuedLog waits to be sent: then it waits, as
// a program blocks on a full pipe.
type logQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	lines   []*trainerpb.LogLine
	bytes   int
	closed  bool
	pumping bool          // the sending goroutine runs (from the first line on)
	drained chan struct{} // closed when it has sent everything
}

const (
	maxQueuedLog = 4 << 20
	logBatch     = 256 << 10 // well under the host's message cap (Config.MaxMessageSize)
)

// startLog readies the trial's log; its sending goroutine starts with the
// first line (a trial that logs nothing costs none).
func (r *streamReporter) startLog() {
	q := &r.log
	q.cond = sync.NewCond(&q.mu)
	q.drained = make(chan struct{})
}

// AddLine implements triallog.Sink: the line goes to the host's log of
// the trial.
func (r *streamReporter) AddLine(l triallog.Line) {
	q := &r.log
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.bytes > maxQueuedLog && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return // after the trial: nobody keeps it
	}
	pl := &trainerpb.LogLine{Stderr: l.Stream == triallog.Stderr, Text: triallog.Clip(l.Text)}
	if !l.Time.IsZero() {
		pl.TimeUnixNano = l.Time.UnixNano()
	}
	q.lines = append(q.lines, pl)
	q.bytes += len(pl.Text) + 16
	if !q.pumping {
		q.pumping = true
		go r.pumpLog()
	}
	q.cond.Broadcast()
}

// pumpLog sends the queued lines until the queue is closed and empty.
func (r *streamReporter) pumpLog() {
	q := &r.log
	defer close(q.drained)
	for {
		q.mu.Lock()
		for len(q.lines) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.lines) == 0 {
			q.mu.Unlock()
			return
		}
		n, size := 0, 0
		for n < len(q.lines) && (n == 0 || size+len(q.lines[n].Text) < logBatch) {
			size += len(q.lines[n].Text) + 16
			n++
		}
		batch := q.lines[:n:n]
		q.lines = q.lines[n:]
		q.bytes -= size
		q.cond.Broadcast()
		q.mu.Unlock()
		// A send that fails means the host is gone: the lines go with it.
		_ = r.send(&trainerpb.PluginMessage{Msg: &trainerpb.PluginMessage_Log{Log: &trainerpb.Log{Lines: batch}}})
	}
}

// closeLog sends what is queued and returns when it is sent; lines added
// later are dropped.
func (r *streamReporter) closeLog() {
	q := &r.log
	q.mu.Lock()
	q.closed = true
	pumping := q.pumping
	q.cond.Broadcast()
	q.mu.Unlock()
	if pumping {
		<-q.drained
	}
}
