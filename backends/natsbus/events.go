package natsbus

// The scheduler side of the events stream: a durable consumer per study
// incarnation, whose messages become scheduler.Inbound values.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/internal/probe"
	"automl/scheduler"
	"automl/trial"
)

// consume hands the study's events to the scheduler until Close, or until
// the claim is lost; then it closes Events.
func (d *Dispatcher) consume() {
	defer d.wg.Done()
	defer d.closeEvents()
	for {
		d.consMu.Lock()
		iter := d.iter
		d.consMu.Unlock()
		msg, err := iter.Next()
		switch {
		case err == nil:
		case errors.Is(err, jetstream.ErrMsgIteratorClosed):
			if d.closing() || d.Err() != nil {
				return
			}
			d.resubscribe()
			continue
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
			d.resubscribe()
			continue
		case errors.Is(err, jetstream.ErrNoHeartbeat):
			// The pulls go unanswered: the consumer may be gone without
			// the iterator having been told (deleted while this client was
			// away, or with a server that lost it). Setting it up again is
			// idempotent, and it is a no-op cost when it still exists.
			d.log.Warn("event consumer silent", "err", err)
			d.resubscribe()
			continue
		default:
			d.log.Warn("event consumer", "err", err)
			continue
		}
		ins, err := d.inbound(msg)
		if errors.Is(err, errForged) {
			security(d.log, "event rejected, not applied", "subject", msg.Subject(), "sender", senderOf(msg.Subject()), "why", err)
			probe.Get().Dropped("forged")
			_ = msg.TermWithReason(err.Error())
			continue
		}
		if err != nil {
			d.log.Error("dropping undecodable event", "subject", msg.Subject(), "err", err)
			probe.Get().Dropped("undecodable")
			_ = msg.TermWithReason(err.Error())
			continue
		}
		d.handOver(msg, ins)
	}
}

func (d *Dispatcher) closing() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// resubscribe sets up the study's event consumer again (someone deleted
// it) and consumes from it, retrying until it works or the dispatcher
// closes. The consumer delivers from the start of the study's events:
// those applied already come again, and applying them is a no-op.
func (d *Dispatcher) resubscribe() {
	d.log.Warn("setting up the study's event consumer again")
	for wait := 100 * time.Millisecond; !d.closing(); wait = min(2*wait, 5*time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cons, err := ensureEventConsumer(ctx, d.js, d.study, d.inc, d.o.EventAckWait)
		cancel()
		if err == nil {
			var iter jetstream.MessagesContext
			if iter, err = cons.Messages(jetstream.PullMaxMessages(d.o.EventBuffer), jetstream.PullHeartbeat(pullHeartbeat)); err == nil {
				d.consMu.Lock()
				prev := d.iter
				d.cons, d.iter = cons, iter
				d.consMu.Unlock()
				if prev != nil {
					prev.Stop()
				}
				if d.closing() {
					iter.Drain()
				}
				return
			}
		}
		d.log.Warn("set up the event consumer again; retrying", "in", wait, "err", err)
		select {
		case <-d.done:
		case <-time.After(wait):
		}
	}
}

// handOver passes a message's events to the scheduler. When closing, the
// message is given back (nak) rather than race the reader; events of it
// already handed over are then delivered again, which is harmless.
func (d *Dispatcher) handOver(msg jetstream.Msg, ins []scheduler.Inbound) {
	for _, in := range ins {
		select {
		case <-d.done:
			_ = msg.Nak()
			return
		default:
		}
		d.noteCheckpoint(&in.Event)
		select {
		case d.events <- in:
		case <-d.done:
			_ = msg.Nak()
			return
		}
	}
}

// inbound decodes a message: one event, or a JSON array of events of one
// trial (a run's Started and Exited, see startedDelay). The message is
// acked once every one of its events is.
func (d *Dispatcher) inbound(msg jetstream.Msg) ([]scheduler.Inbound, error) {
	evs, err := decodeEvents(msg.Data())
	if err != nil {
		return nil, err
	}
	for i := range evs {
		ev := &evs[i]
		if ev.Key.Study != d.study || ev.Key.Incarnation != d.inc || ev.Kind < trial.Started || ev.Kind > trial.Logged {
			return nil, fmt.Errorf("event %v kind %v does not belong to study %q, incarnation %s", ev.Key, ev.Kind, d.study, d.inc)
		}
		if ev.Kind == trial.Exited && ev.Result == nil {
			return nil, fmt.Errorf("exited event %v without a result", ev.Key)
		}
		if ev.Kind == trial.Logged && ev.Log == nil {
			return nil, fmt.Errorf("logged event %v without lines", ev.Key)
		}
	}
	if err := d.authentic(msg.Subject(), evs); err != nil {
		return nil, err
	}
	ack := func() {
		if err := msg.Ack(); err != nil {
			d.log.Warn("ack event", "subject", msg.Subject(), "err", err)
		}
	}
	ins := make([]scheduler.Inbound, len(evs))
	if len(evs) == 1 {
		ins[0] = scheduler.Inbound{Event: evs[0], Ack: ack}
		return ins, nil
	}
	left := new(atomic.Int32)
	left.Store(int32(len(evs)))
	for i := range evs {
		var once sync.Once
		ins[i] = scheduler.Inbound{Event: evs[i], Ack: func() {
			once.Do(func() {
				if left.Add(-1) == 0 {
					ack()
				}
			})
		}}
	}
	return ins, nil
}

// decodeEvents reads an event message's payload: an event or an array of
// them.
func decodeEvents(data []byte) ([]trial.Event, error) {
	if i := firstNonSpace(data); i < len(data) && data[i] == '[' {
		var evs []trial.Event
		if err := json.Unmarshal(data, &evs); err != nil {
			return nil, fmt.Errorf("decode events: %w", err)
		}
		if len(evs) == 0 {
			return nil, errors.New("decode events: empty array")
		}
		return evs, nil
	}
	evs := make([]trial.Event, 1)
	if err := json.Unmarshal(data, &evs[0]); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return evs, nil
}

func firstNonSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
