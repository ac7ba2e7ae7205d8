package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/scheduler"
	"automl/trial"
)

var _ scheduler.CheckpointCleaner = (*Dispatcher)(nil)

// maxDeliveriesAdvisory is the part of the server's advisory
// (io.nats.jetstream.advisory.v1.max_deliver) this package reads.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// exhaustedSeq is the Seq of the Exited event a Dispatcher publishes for a
// job out of deliveries; workers number their events from 1.
const exhaustedSeq = 0

// consumeExhausted fails the trials of jobs that ran out of deliveries.
// The advisories stream is shared by every study. A Dispatcher handles the
// advisories of its own study, and those of a study nobody owns now (its
// scheduler is down: the Exited event waits on that study's own subjects
// until it resumes); another owner's advisory it leaves to that owner.
func (d *Dispatcher) consumeExhausted() {
	defer d.wg.Done()
	for {
		msg, err := d.exhausted.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			d.exLog.Warn("advisory consumer", "err", err)
			continue
		}
		if err := d.onExhausted(msg); errors.Is(err, errNotMine) {
			_ = msg.NakWithDelay(othersAdvisoryDelay)
			continue
		} else if err != nil {
			d.exLog.Warn("handle a job out of deliveries; retrying later", "err", err)
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		_ = msg.Ack()
	}
}

// onExhausted turns one max-deliveries advisory into the trial's Exited
// event (crashed, with the reason) and deletes the job, in that order: a
// crash in between redelivers the advisory, the event's Nats-Msg-Id makes
// the second publish a no-op, and a job already gone is fine.
func (d *Dispatcher) onExhausted(m jetstream.Msg) error {
	var adv maxDeliveriesAdvisory
	if err := json.Unmarshal(m.Data(), &adv); err != nil || adv.Stream != TrialsStream || adv.StreamSeq == 0 {
		d.exLog.Error("dropping an unreadable max-deliveries advisory", "subject", m.Subject(), "err", err)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	raw, err := d.jobs.GetMsg(ctx, adv.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // acked late by its last worker, withdrawn, or handled already
	}
	if err != nil {
		return fmt.Errorf("read job %d: %w", adv.StreamSeq, err)
	}
	key, lease, ok := exhaustedKey(raw)
	if ok && key.Study != d.study && d.ownedByOther(ctx, key.Study) {
		return errNotMine
	}
	if ok {
		ev := &trial.Event{
			Key: key, Delivery: int(adv.Deliveries), Seq: exhaustedSeq, Kind: trial.Exited, Time: time.Now().UTC(), Lease: lease,
			Result: &trial.Result{Outcome: trial.ExitCrashed, Error: fmt.Sprintf(
				"trial %v: handed to workers %d times (the pool's max_deliver) and none finished it: each worker died, hung or was cut off under it; the job was removed",
				key, adv.Deliveries)},
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		msg := nats.NewMsg(eventSubject(key, schedulerSender))
		msg.Data = data
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s/%d/exhausted", jobMsgID(key), adv.Deliveries))
		if _, err := d.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(EventsStream)); err != nil {
			return fmt.Errorf("publish the exit of %v: %w", key, err)
		}
		d.exLog.Warn("job out of deliveries: trial failed", append(keyAttrs(key), "deliveries", adv.Deliveries)...)
	} else {
		d.exLog.Error("removing a job out of deliveries that names no trial", "subject", raw.Subject, "seq", adv.StreamSeq)
	}
	if err := d.jobs.DeleteMsg(ctx, adv.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete job %d: %w", adv.StreamSeq, err)
	}
	return nil
}

// exhaustedKey reads the trial a stored job belongs to, and its lease
// token (the exit event carries it like a worker's would).
func exhaustedKey(raw *jetstream.RawStreamMsg) (trial.Key, string, bool) {
	var spec trial.Spec
	if json.Unmarshal(raw.Data, &spec) == nil && checkKey(spec.Key) == nil {
		return spec.Key, spec.Lease, true
	}
	id := ""
	if raw.Header != nil {
		id = nats.Header(raw.Header).Get(jetstream.MsgIDHeader)
	}
	k, ok := keyFromJob(raw.Subject, id)
	return k, "", ok
}

// errNotMine is an advisory of a study another scheduler owns.
var errNotMine = errors.New("another scheduler owns the study")

// othersAdvisoryDelay is how long an advisory of another owner's study
// waits before it is offered again (to that owner, or to anyone once the
// study has no owner).
const othersAdvisoryDelay = 30 * time.Second

// ownedByOther reports whether a live scheduler owns the study (or whether
// that cannot be told, which counts as owned).
func (d *Dispatcher) ownedByOther(ctx context.Context, study string) bool {
	kv, err := d.js.KeyValue(ctx, OwnersBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return false
	}
	if err != nil {
		return true
	}
	_, err = kv.Get(ctx, tok(study))
	return !errors.Is(err, jetstream.ErrKeyNotFound)
}
