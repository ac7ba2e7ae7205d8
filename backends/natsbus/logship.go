package natsbus

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/trial"
	"automl/trial/triallog"
)

// The trial's log on the worker: each line the trainer prints is logged
// (debug, or info with WorkerOptions.TrainerLogs) with the trial's
// attributes (study, trial, attempt, worker, slot), and the lines the trainer prints (run is
// the trial's triallog.Sink) wait in a buffer of the attempt's log limit
// (trainer.log_limit; the oldest go first, counted, when the trainer
// prints faster than lines are sent) and go to the scheduler as Logged
// events on the run's own event subject, bound to the job's lease like
// every event: a chunk as soon as one is full, else every logFlushEvery,
// so a running trial's log can be followed; what is left when the run
// ends goes in the message of its Exited event, or just before it.

// logFlushEvery is how often a running trial's lines are sent when they
// fill no chunk.
const logFlushEvery = 500 * time.Millisecond

// maxPackBytes bounds the events packed in one message (the events
// stream takes 512 KiB).
const maxPackBytes = 256 << 10

type logShipper struct {
	r     *run
	buf   *triallog.Buffer
	lines *slog.Logger // nil: the trainer's lines are not logged
	level slog.Level   // theirs: debug, or info with WorkerOptions.TrainerLogs
	kick  chan struct{}
	full  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	warn  sync.Once
}

// shipLogs starts sending the run's log.
func (r *run) shipLogs(log *slog.Logger) {
	s := &logShipper{
		r: r, buf: triallog.NewBuffer(r.spec.Trainer.LogLimit),
		kick: make(chan struct{}, 1), full: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}),
	}
	s.level = slog.LevelDebug
	if r.w.o.TrainerLogs {
		s.level = slog.LevelInfo
	}
	if log.Enabled(r.wctx, s.level) {
		s.lines = log
	}
	r.logs = s
	go s.loop()
}

// AddLine implements triallog.Sink: a line of the trial's log.
func (r *run) AddLine(l triallog.Line) {
	s := r.logs
	s.buf.AddLine(l)
	if s.lines != nil {
		s.lines.Log(r.wctx, s.level, "trainer", "stream", l.Stream.String(), "line", l.Text)
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	if s.buf.Bytes() >= triallog.ChunkBytes {
		select {
		case s.full <- struct{}{}:
		default:
		}
	}
}

func (s *logShipper) loop() {
	defer close(s.done)
	for {
		select {
		case <-s.quit:
			return
		case <-s.kick:
		}
		if s.buf.Bytes() < triallog.ChunkBytes {
			t := time.NewTimer(logFlushEvery)
			select {
			case <-s.quit:
				t.Stop()
				return
			case <-s.full:
			case <-t.C:
			}
			t.Stop()
		}
		s.send()
	}
}

// send publishes the chunks waiting, each a Logged event after the run's
// Started. A chunk that cannot be stored is dropped (with a warning): the
// result matters more than the lines before it.
func (s *logShipper) send() {
	for {
		c, ok := s.buf.Take(triallog.ChunkBytes)
		if !ok {
			return
		}
		if err := s.r.releaseStarted(); err != nil {
			return
		}
		ev := s.r.event(trial.Logged)
		ev.Log = &c
		if err := s.r.w.publish(s.r.wctx, nil, ev); err != nil {
			s.warn.Do(func() {
				s.r.w.log.Warn("trial log lines lost: cannot store them", append(keyAttrs(s.r.spec.Key), "slot", s.r.slot, "err", err)...)
			})
		}
	}
}

// finish stops the sending and returns the lines left, as the run's last
// Logged events (for the message of its Exited event).
func (s *logShipper) finish() []*trial.Event {
	close(s.quit)
	<-s.done
	var evs []*trial.Event
	for {
		c, ok := s.buf.Take(triallog.ChunkBytes)
		if !ok {
			return evs
		}
		ev := s.r.event(trial.Logged)
		ev.Log = &c
		evs = append(evs, ev)
	}
}

// packEvents encodes a run's events, in order, as few messages as fit
// maxPackBytes each: one event alone, or a JSON array of several. Each
// message's id is its last event's, so a message published again is
// stored once.
func (w *Worker) packEvents(evs []*trial.Event) ([]*nats.Msg, error) {
	var msgs []*nats.Msg
	var group []json.RawMessage
	size := 0
	flush := func(last *trial.Event) error {
		var data []byte
		var err error
		if len(group) == 1 {
			data = group[0]
		} else if data, err = json.Marshal(group); err != nil {
			return err
		}
		msg := nats.NewMsg(eventSubject(last.Key, w.sender))
		msg.Data = data
		msg.Header.Set(jetstream.MsgIDHeader, eventMsgID(last, w.sender))
		msgs = append(msgs, msg)
		group, size = nil, 0
		return nil
	}
	for i, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode %v event of %v: %w", ev.Kind, ev.Key, err)
		}
		if len(group) > 0 && size+len(b) > maxPackBytes {
			if err := flush(evs[i-1]); err != nil {
				return nil, err
			}
		}
		group = append(group, b)
		size += len(b) + 1
	}
	if len(group) > 0 {
		if err := flush(evs[len(evs)-1]); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// keyAttrs are the attributes of a log line about attempt k of a trial:
// study, trial and attempt, the keys every process uses for them (the
// worker's lines add worker and slot).
func keyAttrs(k trial.Key) []any {
	return []any{"study", k.Study, "trial", k.ID, "attempt", k.Attempt}
}
