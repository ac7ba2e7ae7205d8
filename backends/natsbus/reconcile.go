package natsbus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/scheduler"
	"automl/trial"
)

var _ scheduler.Reconciler = (*Dispatcher)(nil)

// ReconcileEvery is how often the scheduler checks its jobs: the pools'
// lease (AckWait), at least a second, so a vanished job is run again
// within two leases of vanishing.
func (d *Dispatcher) ReconcileEvery() time.Duration {
	return max(cmp.Or(d.o.AckWait, DefaultAckWait), time.Second)
}

// Vanished reports which attempts have no job left and no result waiting:
// their job is not in AUTOML_TRIALS (where a job stays until the worker
// that ran it acks it, after storing its result) in any of the study's
// pools, and the trial's last event in AUTOML_EVENTS is not this attempt's
// exit. Such a job was purged, lost with a stream file, or acked by a
// worker that never ran it. It also sets up again any pool's job consumer
// that was deleted.
func (d *Dispatcher) Vanished(ctx context.Context, keys []trial.Key) ([]trial.Key, error) {
	pools := d.poolNames()
	for _, pool := range pools {
		if err := d.reviveConsumer(ctx, pool); err != nil {
			return nil, err
		}
	}
	var gone []trial.Key
	for _, k := range keys {
		if k.Study != d.study || k.Incarnation != d.inc {
			continue
		}
		there, err := d.jobThere(ctx, pools, k)
		if err != nil {
			return nil, err
		}
		if there {
			continue
		}
		waiting, err := d.exitWaiting(ctx, k)
		if err != nil {
			return nil, err
		}
		if !waiting {
			gone = append(gone, k)
		}
	}
	return gone, nil
}

// poolNames lists the pools the study dispatches to.
func (d *Dispatcher) poolNames() []string {
	d.poolsMu.Lock()
	defer d.poolsMu.Unlock()
	out := make([]string, 0, len(d.pools))
	for p := range d.pools {
		out = append(out, p)
	}
	return out
}

// jobThere reports whether the attempt's job is in the queue (waiting, or
// held by a worker), in any of the pools.
func (d *Dispatcher) jobThere(ctx context.Context, pools []string, k trial.Key) (bool, error) {
	for _, pool := range pools {
		m, err := d.jobs.GetLastMsgForSubject(ctx, jobSubject(pool, k))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("look for the job of %v: %w", k, err)
		}
		if nats.Header(m.Header).Get(jetstream.MsgIDHeader) == jobMsgID(k) {
			return true, nil
		}
	}
	return false, nil
}

// exitWaiting reports whether the trial's last stored event is the exit of
// this attempt (a worker stores it before it acks the job).
func (d *Dispatcher) exitWaiting(ctx context.Context, k trial.Key) (bool, error) {
	m, err := d.evs.GetLastMsgForSubject(ctx, trialEvents(k)+".*")
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for the result of %v: %w", k, err)
	}
	evs, err := decodeEvents(m.Data)
	if err != nil || d.authentic(m.Subject, evs) != nil {
		return false, nil // not a worker's: no result
	}
	last := evs[len(evs)-1]
	return last.Kind == trial.Exited && last.Key == k, nil
}

// reviveConsumer sets up a pool's job consumer again when it was deleted
// (workers that may not create it wait for one).
func (d *Dispatcher) reviveConsumer(ctx context.Context, pool string) error {
	_, err := d.js.Consumer(ctx, TrialsStream, WorkerConsumer(pool))
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	d.log.Warn("the pool's job consumer was deleted: setting it up again", "pool", pool)
	_, err = ensureWorkConsumer(ctx, d.js, pool, consumerSettings{AckWait: d.o.AckWait, MaxDeliver: d.o.MaxDeliver, Replicas: d.o.Replicas})
	return err
}
