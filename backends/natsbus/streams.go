package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream limits. Jobs and events are small (ids, parameters, a few metrics);
// blobs never travel through NATS. On the jobs stream Discard New makes a
// full stream refuse a dispatch (the scheduler sees the error) instead of
// silently dropping queued jobs, which Discard Old would do.
const (
	maxMsgSize     = 512 << 10
	maxStreamBytes = 1 << 30
	// jobDupWindow covers a scheduler that re-dispatches after a restart.
	jobDupWindow = 10 * time.Minute
	// eventDupWindow covers a worker's publish retries, which happen within
	// seconds; the scheduler also drops duplicate events by (attempt,
	// delivery, seq), so a short window keeps the server's id table small.
	eventDupWindow = 2 * time.Minute
	// maxWaiting bounds the pull requests waiting on the job consumer: at
	// most one per idle slot. The server cannot change it after creation, so
	// it is a constant every worker agrees on.
	maxWaiting = 4096
	// eventMaxAge keeps unconsumed events of a stopped study this long.
	eventMaxAge = 30 * 24 * time.Hour
)

// Default consumer settings.
const (
	DefaultAckWait    = 60 * time.Second
	DefaultMaxDeliver = 10
	// DefaultEventAckWait is how long the scheduler may take to commit and
	// ack an event before the server delivers it again.
	DefaultEventAckWait = 30 * time.Second
	eventMaxAckPending  = 20000
)

// EnsureStreams creates the two streams, or updates them to this code's
// configuration. Idempotent: the scheduler and every worker call it.
//
// Jobs use work-queue retention, as the protocol requires (a job is taken
// once, and an acked job is deleted). Events use limits retention instead,
// and each study's Dispatcher deletes its acknowledged events in bulk every
// few seconds (a purge below its consumer's ack floor) rather than the
// server deleting each event as it is acked. Measured with strace on
// BenchmarkRoundTrip/sync=always, that takes the server from 5.7 to 4.1
// fsyncs per trial (per-ack deletes write tombstones and rotate emptied
// blocks), and it lets other consumers (a watcher) read a study's events.
// The age limit keeps the events of a study whose scheduler stopped for a
// long time (past it, its resume reruns the trials whose events expired:
// the store, not NATS, is the system of record); the byte limit drops the
// oldest events rather than refusing new ones, so an abandoned study's
// backlog cannot stall the others.
func EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	cfgs := []jetstream.StreamConfig{{
		Name:        TrialsStream,
		Description: "automl jobs: one message per trial attempt",
		Subjects:    []string{trialsPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxMsgSize:  maxMsgSize,
		MaxBytes:    maxStreamBytes,
		Duplicates:  jobDupWindow,
	}, {
		Name:        EventsStream,
		Description: "automl worker events, kept until the study's scheduler has acked them",
		Subjects:    []string{eventsPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      eventMaxAge,
		MaxMsgSize:  maxMsgSize,
		MaxBytes:    maxStreamBytes,
		Duplicates:  eventDupWindow,
	}}
	for _, cfg := range cfgs {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("set up stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// workConsumerConfig is a pool's job consumer. Several workers share it, so
// MaxAckPending only grows: a worker with fewer slots must not throttle a
// pool that others have raised.
func ensureWorkConsumer(ctx context.Context, js jetstream.JetStream, pool string, ackWait time.Duration, maxDeliver, maxAckPending int) (jetstream.Consumer, error) {
	name := WorkerConsumer(pool)
	if c, err := js.Consumer(ctx, TrialsStream, name); err == nil {
		if n := c.CachedInfo().Config.MaxAckPending; n > maxAckPending {
			maxAckPending = n
		}
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("look up consumer %s: %w", name, err)
	}
	c, err := js.CreateOrUpdateConsumer(ctx, TrialsStream, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "automl workers of pool " + pool,
		FilterSubject: poolFilter(pool),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    maxDeliver,
		MaxAckPending: maxAckPending,
		MaxWaiting:    maxWaiting,
	})
	if err != nil {
		return nil, fmt.Errorf("set up consumer %s: %w", name, err)
	}
	return c, nil
}

// ensureEventConsumer is a study's event consumer. MaxDeliver is unlimited:
// an event must reach the store, however often the scheduler restarts. Its
// ack floor survives restarts, so acked events are not delivered again even
// before they are pruned.
func ensureEventConsumer(ctx context.Context, js jetstream.JetStream, study string, ackWait time.Duration) (jetstream.Consumer, error) {
	name := SchedulerConsumer(study)
	c, err := js.CreateOrUpdateConsumer(ctx, EventsStream, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "automl scheduler of study " + study,
		FilterSubject: studyEvents(study),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: eventMaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("set up consumer %s: %w", name, err)
	}
	return c, nil
}
