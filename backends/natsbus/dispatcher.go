package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus/fleet"
	"automl/scheduler"
	"automl/trial"
)

// DispatcherOptions tune a Dispatcher. Zero values take the defaults.
type DispatcherOptions struct {
	// EventAckWait is how long the scheduler may hold an event before
	// committing and acking it; past it the server delivers the event again.
	// Default DefaultEventAckWait.
	EventAckWait time.Duration
	// EventBuffer is how many events are pulled ahead of the scheduler
	// (default 512). Events are idempotent, so a buffered event that outlives
	// EventAckWait and comes again costs only a duplicate.
	EventBuffer int
	// PruneEvery is how often the study's acknowledged events are deleted
	// from the events stream (default 5 s).
	PruneEvery time.Duration
	// AckWait and MaxDeliver set the job consumer of each pool the study
	// dispatches to (zero: keep the consumer's, or the defaults when this
	// Dispatcher creates it). Workers renew leases at the consumer's AckWait.
	AckWait    time.Duration
	MaxDeliver int
	// Replicas of the streams, when this Dispatcher creates them (default
	// 1; 3 on a JetStream cluster).
	Replicas int
	// Storage and ResizeStreams size the streams: see StreamOptions (the
	// embedded server's Storage, with ResizeStreams; on another server,
	// the size of the streams this Dispatcher creates).
	Storage       int64
	ResizeStreams bool
	// Store, when set, tells of the server's store (the embedded server).
	// While it reports a fault, Dispatch fails at once with it (the
	// scheduler tries again later) instead of waiting for acknowledgements
	// that will not come, and acknowledged events are not pruned.
	Store StoreHealth
	// Pools whose job consumers are set up at once (others on their first
	// dispatch), so workers that may not create consumers can start
	// taking jobs as soon as the scheduler runs.
	Pools []string
	// OwnerLease is how long the study stays claimed after the last
	// renewal (default DefaultOwnerLease; the owners bucket keeps the
	// lease it was made with).
	OwnerLease time.Duration
	// JobKey signs the study's jobs and stop requests and checks the lease
	// tokens of its events (required: workers run only signed jobs).
	JobKey fleet.JobKey
	// ModelDir, when set, is where the models of final trials go: before
	// DeleteCheckpoints deletes a trial's checkpoints, the model and
	// holdout files of the one its last result named (checked against the
	// reference's digest; see harvest.go) are copied to
	// <ModelDir>/<study>/<trial>.automl and .holdout (package
	// internal/modelfiles). Best effort, as the cleanup is: a failure is
	// logged with the trial.
	ModelDir string
	// Harvested, when set with ModelDir, is called after DeleteCheckpoints
	// with the trials whose model file it copied (none: not called), to
	// apply a keep policy.
	Harvested func(ctx context.Context, ids []int)
	Logger    *slog.Logger
}

// pullHeartbeat is how often the server shows a waiting pull request is
// alive: two missed, and the request is asked again. Short, because a
// JetStream restart (storeWatch) drops waiting requests without a word;
// the default (half the 30 s expiry) left a study without events for 30 s.
const pullHeartbeat = 2 * time.Second

// publishChunk bounds the async publishes in flight at once, below the
// client's stall limit (4000 by default).
const publishChunk = 1024

// Dispatcher is the scheduler side of the protocol for one study. Claim
// takes the study in the owners bucket and binds the dispatcher to the
// study's incarnation; from then on it queues the incarnation's jobs on
// AUTOML_TRIALS and consumes its events from AUTOML_EVENTS with the durable
// consumer scheduler-<study>-<incarnation>, and touches nothing else of
// any study. It implements scheduler.Dispatcher and scheduler.Owner and is
// safe for concurrent use.
type Dispatcher struct {
	study string
	nc    *nats.Conn
	js    jetstream.JetStream
	jobs  jetstream.Stream
	evs   jetstream.Stream
	log   *slog.Logger
	// exLog is log as NewDispatcher made it, for the advisories' goroutine
	// it starts: Claim then replaces log (with the incarnation), which
	// that goroutine must not read unsynchronised.
	exLog  *slog.Logger
	prune  time.Duration
	pruned uint64 // events up to this stream sequence are deleted
	o      DispatcherOptions
	ckpt   *checkpoints
	refs   trialRefs // checkpoints to harvest the models of (harvest.go)

	// set by Claim
	inc   string
	claim *claim

	consMu sync.Mutex // guards cons and iter, renewed when the consumer is deleted
	cons   jetstream.Consumer

	poolsMu sync.Mutex
	pools   map[string]bool // pools whose consumer is set up

	exhausted jetstream.MessagesContext

	iter       jetstream.MessagesContext
	events     chan scheduler.Inbound
	eventsDone sync.Once // closes events: the consumer ended
	done       chan struct{}
	wg         sync.WaitGroup
	once       sync.Once
}

var (
	_ scheduler.Dispatcher = (*Dispatcher)(nil)
	_ scheduler.Owner      = (*Dispatcher)(nil)
)

// NewDispatcher sets up the streams (idempotent); Claim then binds the
// dispatcher to the study and starts delivering events. nc stays the
// caller's: Close does not close it.
func NewDispatcher(ctx context.Context, nc *nats.Conn, study string, o DispatcherOptions) (*Dispatcher, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	if !o.JobKey.Valid() {
		return nil, errors.New("dispatcher: no job key (DispatcherOptions.JobKey): workers run only signed jobs")
	}
	if o.EventAckWait <= 0 {
		o.EventAckWait = DefaultEventAckWait
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = 512
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("dispatcher for %s: %w", study, err)
	}
	if o.OwnerLease <= 0 {
		o.OwnerLease = DefaultOwnerLease
	}
	var jobs, evs jetstream.Stream
	var adv jetstream.Consumer
	err = retryTransient(ctx, o.Logger, func() error {
		if err := EnsureStreams(ctx, js, StreamOptions{Replicas: o.Replicas, Storage: o.Storage, Resize: o.ResizeStreams}); err != nil {
			return err
		}
		var err error
		if jobs, err = js.Stream(ctx, TrialsStream); err != nil {
			return err
		}
		if evs, err = js.Stream(ctx, EventsStream); err != nil {
			return err
		}
		adv, err = ensureExhaustedConsumer(ctx, js)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dispatcher for %s: %w", study, err)
	}
	d := &Dispatcher{
		study: study, nc: nc, js: js, jobs: jobs, evs: evs,
		log:    o.Logger.With("study", study),
		prune:  o.PruneEvery,
		o:      o,
		ckpt:   &checkpoints{js: js},
		pools:  map[string]bool{},
		events: make(chan scheduler.Inbound),
		done:   make(chan struct{}),
	}
	exhausted, err := adv.Messages(jetstream.PullMaxMessages(16), jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		return nil, fmt.Errorf("dispatcher for %s: consume advisories: %w", study, err)
	}
	d.exhausted = exhausted
	for _, pool := range o.Pools {
		if err := retryTransient(ctx, o.Logger, func() error { return d.ensurePool(ctx, pool) }); err != nil {
			exhausted.Stop()
			return nil, fmt.Errorf("dispatcher for %s: %w", study, err)
		}
	}
	d.wg.Add(1)
	d.exLog = d.log
	go d.consumeExhausted()
	return d, nil
}

// Claim takes the study in the owners bucket (scheduler.Owner) for the
// incarnation, binds the dispatcher to it, and starts delivering its
// events and renewing the claim. It fails, naming the owner (ErrOwned),
// while another live scheduler runs the study.
func (d *Dispatcher) Claim(ctx context.Context, c scheduler.Claim) error {
	if err := checkToken("incarnation", c.Incarnation); err != nil {
		return fmt.Errorf("claim study %s: %w", d.study, err)
	}
	if d.claim != nil {
		return fmt.Errorf("claim study %s: claimed already", d.study)
	}
	var cl *claim
	err := retryTransient(ctx, d.log, func() error {
		kv, lease, err := ownersBucket(ctx, d.js, d.o.OwnerLease, d.o.Replicas)
		if err != nil {
			return err
		}
		cl, err = takeClaim(ctx, kv, d.study, me(c), lease)
		return err
	})
	if err != nil {
		return err
	}
	var cons jetstream.Consumer
	err = retryTransient(ctx, d.log, func() error {
		var err error
		cons, err = ensureEventConsumer(ctx, d.js, d.study, c.Incarnation, d.o.EventAckWait)
		return err
	})
	if err != nil {
		cl.release(ctx)
		return fmt.Errorf("dispatcher for %s: %w", d.study, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(d.o.EventBuffer), jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		cl.release(ctx)
		return fmt.Errorf("dispatcher for %s: consume events: %w", d.study, err)
	}
	d.inc, d.claim = c.Incarnation, cl
	d.consMu.Lock()
	d.cons, d.iter = cons, iter
	d.consMu.Unlock()
	d.log = d.log.With("incarnation", c.Incarnation)
	d.wg.Add(3)
	go d.consume()
	go d.pruneLoop()
	go d.holdClaim()
	return nil
}

// Err says why the dispatcher closed its Events channel by itself: the
// claim on the study was lost (nil while it holds it).
func (d *Dispatcher) Err() error {
	if d.claim == nil {
		return nil
	}
	d.claim.mu.Lock()
	defer d.claim.mu.Unlock()
	return d.claim.lost
}

// holdClaim renews the claim every third of its lease until Close; when
// the claim is lost the dispatcher stops delivering events (the scheduler
// then stops, with Err as the reason).
func (d *Dispatcher) holdClaim() {
	defer d.wg.Done()
	t := time.NewTicker(d.claim.lease / 3)
	defer t.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-d.done:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			d.claim.release(ctx)
			cancel()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), d.claim.lease/3)
		err := d.claim.renew(ctx, lastOK)
		cancel()
		switch {
		case err == nil:
			lastOK = time.Now()
		case errors.Is(err, ErrOwned):
			d.log.Error("stopping: the study's claim is lost", "err", err)
			d.consMu.Lock()
			d.iter.Stop()
			d.consMu.Unlock()
			return
		default:
			d.log.Warn("renew the study's claim; retrying", "err", err)
		}
	}
}

// Dispatch publishes every spec and returns once the server has stored them
// all (or one failed). A spec whose Key was dispatched within the last 10
// minutes is dropped by the server as a duplicate, which is not an error.
func (d *Dispatcher) Dispatch(ctx context.Context, specs []trial.Spec) error {
	if err := d.fault(); err != nil {
		return fmt.Errorf("dispatch %d jobs: %w", len(specs), err)
	}
	epoch := d.epoch()
	for i := range specs {
		if err := d.ensurePool(ctx, specs[i].Trainer.PoolName()); err != nil {
			return err
		}
	}
	var rejected []error
	msgs := make([]*nats.Msg, 0, len(specs))
	keys := make([]trial.Key, 0, len(specs))
	for i := range specs {
		msg, err := d.jobMsg(&specs[i])
		var u *scheduler.Undeliverable
		if errors.As(err, &u) {
			rejected = append(rejected, err) // the others still go
			continue
		}
		if err != nil {
			return errors.Join(append(rejected, err)...)
		}
		msgs, keys = append(msgs, msg), append(keys, specs[i].Key)
	}
	for start := 0; start < len(msgs); start += publishChunk {
		end := min(start+publishChunk, len(msgs))
		ids := make([]string, end-start)
		for i := range ids {
			ids[i] = jobMsgID(keys[start+i])
		}
		signBatch(msgs[start:end], ids, d.o.JobKey)
		pending := make([]jetstream.PubAckFuture, 0, end-start)
		for i := start; i < end; i++ {
			f, err := d.js.PublishMsgAsync(msgs[i], jetstream.WithExpectStream(TrialsStream))
			if err != nil {
				return errors.Join(append(rejected, fmt.Errorf("dispatch %v: %w", keys[i], err), d.wait(ctx, pending, keys[start:i], epoch))...)
			}
			pending = append(pending, f)
		}
		if err := d.wait(ctx, pending, keys[start:end], epoch); err != nil {
			return errors.Join(append(rejected, err)...)
		}
	}
	return errors.Join(rejected...)
}

func (d *Dispatcher) jobMsg(s *trial.Spec) (*nats.Msg, error) {
	if d.claim == nil {
		return nil, fmt.Errorf("dispatch %v: the dispatcher has not claimed study %q", s.Key, d.study)
	}
	if s.Key.Study != d.study || s.Key.Incarnation != d.inc {
		return nil, fmt.Errorf("dispatch %v: the dispatcher serves study %q, incarnation %s", s.Key, d.study, d.inc)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	pool := s.Trainer.PoolName()
	if err := checkToken("pool", pool); err != nil {
		return nil, fmt.Errorf("dispatch %v: %w", s.Key, err)
	}
	job := *s
	job.Lease = d.o.JobKey.Lease(jobMsgID(s.Key))
	data, err := json.Marshal(&job)
	if err != nil {
		return nil, fmt.Errorf("dispatch %v: encode spec: %w", s.Key, err)
	}
	if len(data) > trial.MaxSpecBytes {
		return nil, &scheduler.Undeliverable{Key: s.Key, Reason: fmt.Sprintf("its job is %d bytes, over the %d-byte limit of a job (keep data out of parameters and trainer.config; point to files instead)", len(data), trial.MaxSpecBytes)}
	}
	msg := nats.NewMsg(jobSubject(pool, s.Key))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, jobMsgID(s.Key))
	return msg, nil
}

// wait collects the acks of pending publishes; it reports every failure.
// A store fault, or its end, ends the wait: a stream that cannot write does
// not answer, so what was sent may have been dropped (the scheduler sends
// it again; the server keeps one copy).
func (d *Dispatcher) wait(ctx context.Context, pending []jetstream.PubAckFuture, keys []trial.Key, epoch uint64) error {
	var errs []error
	var check <-chan time.Time
	if d.o.Store != nil && len(pending) > 0 {
		t := time.NewTicker(faultPoll)
		defer t.Stop()
		check = t.C
	}
	for i := 0; i < len(pending); {
		select {
		case <-pending[i].Ok():
		case err := <-pending[i].Err():
			errs = append(errs, fmt.Errorf("dispatch %v: %w", keys[i], d.explain(err)))
		case <-ctx.Done():
			return errors.Join(append(errs, fmt.Errorf("dispatch: waiting for %d acks: %w", len(pending)-i, ctx.Err()))...)
		case <-check:
			if err := d.fault(); err != nil {
				return errors.Join(append(errs, fmt.Errorf("dispatch: %d jobs not acknowledged: %w", len(pending)-i, err))...)
			}
			if d.epoch() != epoch {
				return errors.Join(append(errs, fmt.Errorf("dispatch: %d jobs not acknowledged: the nats store had a fault meanwhile", len(pending)-i))...)
			}
			continue
		}
		i++
	}
	return errors.Join(errs...)
}

// Withdraw deletes the queued jobs of a trial of the claimed incarnation,
// in any pool and of any attempt. A job a worker already holds is deleted
// too, but its run goes on (use Stop); its events are fenced by the
// scheduler.
func (d *Dispatcher) Withdraw(ctx context.Context, study string, id int) error {
	if study != d.study || d.claim == nil {
		return fmt.Errorf("withdraw %s/%d: the dispatcher has not claimed that study", study, id)
	}
	if err := d.jobs.Purge(ctx, jetstream.WithPurgeSubject(trialJobs(study, d.inc, id))); err != nil {
		return fmt.Errorf("withdraw %s/%d: %w", study, id, err)
	}
	return nil
}

// Stop asks whichever worker runs the attempt to abort it. It is a core
// NATS message: best effort, lost if no worker runs the attempt right now.
func (d *Dispatcher) Stop(ctx context.Context, key trial.Key) error {
	if err := checkKey(key); err != nil {
		return err
	}
	data, err := json.Marshal(key)
	if err != nil {
		return fmt.Errorf("stop %v: %w", key, err)
	}
	msg := nats.NewMsg(controlSubject(key))
	msg.Data = data
	setSigned(msg.Header, d.o.JobKey.Sign(fleet.Job{Subject: msg.Subject, ID: stopID(key), Data: data}))
	if err := d.nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("stop %v: %w", key, err)
	}
	return nil
}

// Events delivers the study's events. Each Inbound's Ack acknowledges its
// message; an event not acked within EventAckWait, or not acked before the
// process dies, is delivered again. Closed by Close.
func (d *Dispatcher) Events() <-chan scheduler.Inbound { return d.events }

// Close stops consuming events and closes the Events channel. Events pulled
// but not handed over are given back at once (nak), so a new Dispatcher on
// the study gets them without waiting for EventAckWait; events handed over
// and not acked come back after EventAckWait.
func (d *Dispatcher) Close() error {
	d.once.Do(func() {
		close(d.done)
		d.consMu.Lock()
		if d.iter != nil {
			d.iter.Drain()
		}
		d.consMu.Unlock()
		d.exhausted.Drain()
		d.wg.Wait()
		d.closeEvents()
	})
	return nil
}

func (d *Dispatcher) closeEvents() { d.eventsDone.Do(func() { close(d.events) }) }

// pruneLoop deletes acknowledged events every PruneEvery, and once more on
// Close.
func (d *Dispatcher) pruneLoop() {
	defer d.wg.Done()
	t := time.NewTicker(d.prune)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-d.done:
			d.pruneAcked()
			return
		}
		d.pruneAcked()
	}
}

// pruneAcked purges the study's events at or below its consumer's ack
// floor: all of them are acknowledged.
func (d *Dispatcher) pruneAcked() {
	if d.fault() != nil {
		return // the purge would fail too; acked events wait for the next turn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.consMu.Lock()
	cons := d.cons
	d.consMu.Unlock()
	info, err := cons.Info(ctx)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return // consume sets it up again
	}
	if err != nil {
		d.log.Warn("prune events: consumer info", "err", err)
		return
	}
	floor := info.AckFloor.Stream
	if floor <= d.pruned {
		return
	}
	if err := d.evs.Purge(ctx, jetstream.WithPurgeSubject(studyEvents(d.study, d.inc)), jetstream.WithPurgeSequence(floor+1)); err != nil {
		d.log.Warn("prune events", "err", err)
		return
	}
	d.pruned = floor
}

// ensurePool sets up a pool's job consumer the first time the study
// dispatches to it, so jobs find a consumer (with this study's AckWait and
// MaxDeliver when set) even before a worker of the pool, or when workers
// may not create consumers.
func (d *Dispatcher) ensurePool(ctx context.Context, pool string) error {
	d.poolsMu.Lock()
	defer d.poolsMu.Unlock()
	if d.pools[pool] {
		return nil
	}
	if err := checkToken("pool", pool); err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	if _, err := ensureWorkConsumer(ctx, d.js, pool, consumerSettings{AckWait: d.o.AckWait, MaxDeliver: d.o.MaxDeliver, Replicas: d.o.Replicas}); err != nil {
		return fmt.Errorf("dispatch to pool %s: %w", pool, err)
	}
	d.pools[pool] = true
	return nil
}

// setupPatience bounds how long set-up retries errors a JetStream cluster
// gives while it elects leaders or places replicas.
const setupPatience = 30 * time.Second

// retryTransient runs f until it succeeds, fails for good, or setupPatience
// passes.
func retryTransient(ctx context.Context, log *slog.Logger, f func() error) error {
	deadline := time.Now().Add(setupPatience)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 4*time.Second) {
		err := f()
		if err == nil || !transient(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		log.Warn("nats not ready; retrying", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// transient reports errors of a server (or cluster) that is not ready yet,
// or that went down mid-request: unavailable (503), an internal error (500:
// a server killed while it wrote a consumer's files answers one), no
// answer, or a connection being made again.
func transient(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.Code == 503 || apiErr.Code == 500 && !strings.Contains(apiErr.Description, "insufficient")) {
		return true // (too little storage is a 500 too, and no retry helps it)
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected)
}
