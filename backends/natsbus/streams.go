package natsbus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream limits. Jobs and events are small (ids, parameters, a few metrics);
// blobs never travel through NATS. On the jobs stream Discard New makes a
// full stream refuse a dispatch (the scheduler sees the error) instead of
// silently dropping queued jobs, which Discard Old would do. The byte
// limits come from StreamOptions.Storage (splitStorage).
const (
	maxMsgSize = 512 << 10
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
	// defaultMaxAckPending caps a pool's jobs held at once when its
	// consumer is created without a worker's slot count (by a Dispatcher).
	defaultMaxAckPending = 1024
)

// StreamOptions tune the streams EnsureStreams creates.
type StreamOptions struct {
	// Replicas of every stream and of the checkpoint store (default 1).
	// On a JetStream cluster, 3 keeps a study going when a node dies.
	Replicas int
	// Storage is what the streams and the checkpoint store may hold
	// together (default DefaultStorage), shared among them: a sixteenth
	// for jobs, a quarter for events, a sixty-fourth for advisories, the
	// rest for checkpoints. JetStream reserves it up front.
	Storage int64
	// Resize gives streams that exist already the byte limits of Storage,
	// as it does new ones: for the embedded server's streams, which the
	// process owns. Never below what a stream holds, since that would
	// delete its oldest messages (discard old) or refuse every write until
	// it drained (discard new): such a stream keeps its limit. Without
	// Resize an existing stream keeps its byte limit and its replicas,
	// which on a server someone else runs are the operator's to set.
	Resize bool
}

// EnsureStreams creates the streams and the checkpoint object store, or
// updates them to this code's configuration, keeping the limits an
// existing stream has unless o.Resize. Idempotent: the scheduler and every
// worker allowed to call it.
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
//
// The advisories stream captures the server's max-deliveries advisories for
// jobs, so a job that exhausted its deliveries while no scheduler was
// connected still fails its trial when one is.
//
// Streams that shrink are updated first, so a store whose size went down
// has room for the others.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, opts ...StreamOptions) error {
	var o StreamOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	replicas := max(o.Replicas, 1)
	b := splitStorage(cmp.Or(o.Storage, DefaultStorage))
	cfgs := []jetstream.StreamConfig{{
		Name:        TrialsStream,
		Description: "automl jobs: one message per trial attempt",
		Subjects:    []string{trialsPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxMsgSize:  maxMsgSize,
		MaxBytes:    b.trials,
		Duplicates:  jobDupWindow,
		Replicas:    replicas,
	}, {
		Name:        EventsStream,
		Description: "automl worker events, kept until the study's scheduler has acked them",
		Subjects:    []string{eventsPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      eventMaxAge,
		MaxMsgSize:  maxMsgSize,
		MaxBytes:    b.events,
		Duplicates:  eventDupWindow,
		Replicas:    replicas,
	}, {
		Name:        AdvisoriesStream,
		Description: "automl: jobs that ran out of deliveries, until a scheduler fails their trials",
		Subjects:    []string{maxDeliveries},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      eventMaxAge,
		MaxBytes:    b.advisories,
		Replicas:    replicas,
	}, {
		// The checkpoint object store's stream: only its name, limits and
		// replicas matter here (ensureObjectStore makes the rest).
		Name:     objectStream,
		MaxBytes: b.checkpoints,
		Replicas: replicas,
	}}
	var shrinking, others []func() error
	for _, want := range cfgs {
		cur, err := streamInfo(ctx, js, want.Name)
		if err != nil {
			return fmt.Errorf("set up stream %s: %w", want.Name, err)
		}
		if cur != nil {
			want.MaxBytes, want.Replicas = keptLimits(cur, want, o.Resize)
		}
		step := func() error {
			err := retryPlacement(ctx, replicas, func() error {
				if want.Name == objectStream {
					return retryInUse(func() error { return ensureObjectStore(ctx, js, want) })
				}
				return retryInUse(func() error { _, err := js.CreateOrUpdateStream(ctx, want); return err })
			})
			if err != nil {
				return fmt.Errorf("set up stream %s (%s): %w", want.Name, limitNote(want.MaxBytes), err)
			}
			return nil
		}
		if cur != nil && want.MaxBytes > 0 && (cur.Config.MaxBytes <= 0 || want.MaxBytes < cur.Config.MaxBytes) {
			shrinking = append(shrinking, step)
		} else {
			others = append(others, step)
		}
	}
	for _, step := range append(shrinking, others...) {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// objectStream is the stream behind the checkpoint object store.
const objectStream = "OBJ_" + CheckpointBucket

// streamInfo is a stream's info, nil when it does not exist.
func streamInfo(ctx context.Context, js jetstream.JetStream, name string) (*jetstream.StreamInfo, error) {
	s, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.CachedInfo(), nil
}

// keptLimits are the byte limit and replicas an existing stream gets: its
// own, unless resize (then want's byte limit, when the stream's messages
// fit in it).
func keptLimits(cur *jetstream.StreamInfo, want jetstream.StreamConfig, resize bool) (maxBytes int64, replicas int) {
	if !resize {
		return cur.Config.MaxBytes, max(cur.Config.Replicas, 1)
	}
	if want.MaxBytes > 0 && cur.State.Bytes > uint64(want.MaxBytes) {
		return cur.Config.MaxBytes, want.Replicas
	}
	return want.MaxBytes, want.Replicas
}

func limitNote(maxBytes int64) string {
	if maxBytes <= 0 {
		return "no byte limit"
	}
	return "byte limit " + formatBytes(maxBytes)
}

// ensureObjectStore creates or updates the checkpoint object store with
// the limits of want.
func ensureObjectStore(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) error {
	cfg := checkpointStoreConfig(want.Replicas)
	cfg.MaxBytes = want.MaxBytes
	_, err := js.CreateOrUpdateObjectStore(ctx, cfg)
	return err
}

// retryInUse retries a create-or-update that lost a race with another
// client creating the same stream (its create then fails as "already in
// use"; the retry updates).
func retryInUse(f func() error) error {
	var err error
	for range 3 {
		if err = f(); !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return err
		}
	}
	return err
}

// clusterForming is how long stream setup waits for a JetStream cluster
// that cannot place a stream yet: its servers are still joining, or it is
// electing a meta leader. A study started together with its cluster must
// not fail for that; a cluster with fewer servers than --replicas fails
// after this wait, with the error saying so.
var clusterForming = 30 * time.Second

// The JetStream API errors of a cluster not ready for a stream.
const (
	errCodeNoPeers         jetstream.ErrorCode = 10005 // no suitable peers for placement
	errCodeClusterNotAvail jetstream.ErrorCode = 10008 // JetStream system temporarily unavailable
)

// retryPlacement retries f while the cluster cannot place the stream yet,
// backing off up to clusterForming in all.
func retryPlacement(ctx context.Context, replicas int, f func() error) error {
	deadline := time.Now().Add(clusterForming)
	wait := 100 * time.Millisecond
	for {
		err := f()
		var api *jetstream.APIError
		if err == nil || !errors.As(err, &api) || (api.ErrorCode != errCodeNoPeers && api.ErrorCode != errCodeClusterNotAvail) {
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%w (retried for %v: does the cluster have %d JetStream servers up? --replicas sets how many copies each stream keeps)", err, clusterForming, replicas)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func checkpointStoreConfig(replicas int) jetstream.ObjectStoreConfig {
	return jetstream.ObjectStoreConfig{
		Bucket:      CheckpointBucket,
		Description: "automl trial checkpoints, <study>/<incarnation>/<id>/<resource>; deleted when the trial is final",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
}

// consumerSettings are a pool consumer's knobs; zero means "keep what the
// consumer has" (or the default when creating it).
type consumerSettings struct {
	AckWait       time.Duration
	MaxDeliver    int
	MaxAckPending int
	Replicas      int
}

// ensureWorkConsumer binds a pool's job consumer, creating it when missing
// (the streams must exist), and updating it when asked for settings it
// lacks.
// Several workers and schedulers share it, so settings left zero never
// override another's, and MaxAckPending only grows: a worker with fewer
// slots must not throttle a pool that others have raised. When an update
// is refused (a least-privileged worker), the consumer is returned with
// the error so the caller can go on with it.
func ensureWorkConsumer(ctx context.Context, js jetstream.JetStream, pool string, want consumerSettings) (jetstream.Consumer, error) {
	name := WorkerConsumer(pool)
	c, err := js.Consumer(ctx, TrialsStream, name)
	switch {
	case err == nil:
		cur := c.CachedInfo().Config
		upd := cur
		if want.AckWait > 0 {
			upd.AckWait = want.AckWait
		}
		if want.MaxDeliver != 0 {
			upd.MaxDeliver = want.MaxDeliver
		}
		upd.MaxAckPending = max(upd.MaxAckPending, want.MaxAckPending)
		if upd.AckWait == cur.AckWait && upd.MaxDeliver == cur.MaxDeliver && upd.MaxAckPending == cur.MaxAckPending {
			return c, nil
		}
		u, err := js.UpdateConsumer(ctx, TrialsStream, upd)
		if err != nil {
			return c, fmt.Errorf("update consumer %s: %w", name, err)
		}
		return u, nil
	case errors.Is(err, jetstream.ErrStreamNotFound):
		// The streams are the scheduler's to create (with its replicas):
		// a worker that starts first waits for one.
		return nil, fmt.Errorf("no %s stream yet (a scheduler creates it): %w", TrialsStream, err)
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, fmt.Errorf("look up consumer %s: %w", name, err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "automl workers of pool " + pool,
		FilterSubject: poolFilter(pool),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cmp.Or(want.AckWait, DefaultAckWait),
		MaxDeliver:    cmp.Or(want.MaxDeliver, DefaultMaxDeliver),
		MaxAckPending: cmp.Or(want.MaxAckPending, defaultMaxAckPending),
		MaxWaiting:    maxWaiting,
		Replicas:      want.Replicas,
	}
	c, err = js.CreateOrUpdateConsumer(ctx, TrialsStream, cfg)
	if err != nil {
		return nil, fmt.Errorf("set up consumer %s: %w", name, err)
	}
	return c, nil
}

// ensureEventConsumer is a study's event consumer. MaxDeliver is unlimited:
// an event must reach the store, however often the scheduler restarts. Its
// ack floor survives restarts, so acked events are not delivered again even
// before they are pruned.
func ensureEventConsumer(ctx context.Context, js jetstream.JetStream, study, inc string, ackWait time.Duration) (jetstream.Consumer, error) {
	name := SchedulerConsumer(study, inc)
	c, err := js.CreateOrUpdateConsumer(ctx, EventsStream, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "automl scheduler of study " + study + ", incarnation " + inc,
		FilterSubject: studyEvents(study, inc),
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

// ensureExhaustedConsumer is the consumer of the advisories stream that all
// Dispatchers share: whichever gets an advisory fails its trial.
func ensureExhaustedConsumer(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	c, err := js.CreateOrUpdateConsumer(ctx, AdvisoriesStream, jetstream.ConsumerConfig{
		Durable:       exhaustedConsumer,
		Description:   "automl schedulers: fail the trials of jobs out of deliveries",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
	})
	if err != nil {
		return nil, fmt.Errorf("set up consumer %s: %w", exhaustedConsumer, err)
	}
	return c, nil
}
