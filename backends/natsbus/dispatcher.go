package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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
	Pools  []string
	Logger *slog.Logger
}

// pullHeartbeat is how often the server shows a waiting pull request is
// alive: two missed, and the request is asked again. Short, because a
// JetStream restart (storeWatch) drops waiting requests without a word;
// the default (half the 30 s expiry) left a study without events for 30 s.
const pullHeartbeat = 2 * time.Second

// publishChunk bounds the async publishes in flight at once, below the
// client's stall limit (4000 by default).
const publishChunk = 1024

// Dispatcher is the scheduler side of the protocol for one study: it queues
// the study's jobs on AUTOML_TRIALS and consumes its events from
// AUTOML_EVENTS with the durable consumer scheduler-<study>. It implements
// scheduler.Dispatcher and is safe for concurrent use.
type Dispatcher struct {
	study  string
	nc     *nats.Conn
	js     jetstream.JetStream
	jobs   jetstream.Stream
	evs    jetstream.Stream
	cons   jetstream.Consumer
	log    *slog.Logger
	prune  time.Duration
	pruned uint64 // events up to this stream sequence are deleted
	o      DispatcherOptions
	ckpt   *checkpoints

	poolsMu sync.Mutex
	pools   map[string]bool // pools whose consumer is set up

	exhausted jetstream.MessagesContext

	iter   jetstream.MessagesContext
	events chan scheduler.Inbound
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

var _ scheduler.Dispatcher = (*Dispatcher)(nil)

// NewDispatcher sets up the streams and the study's event consumer (both
// idempotent) and starts delivering events. nc stays the caller's: Close
// does not close it.
func NewDispatcher(ctx context.Context, nc *nats.Conn, study string, o DispatcherOptions) (*Dispatcher, error) {
	if err := checkToken("study", study); err != nil {
		return nil, err
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
	var jobs, evs jetstream.Stream
	var cons, adv jetstream.Consumer
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
		if cons, err = ensureEventConsumer(ctx, js, study, o.EventAckWait); err != nil {
			return err
		}
		adv, err = ensureExhaustedConsumer(ctx, js)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dispatcher for %s: %w", study, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(o.EventBuffer), jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		return nil, fmt.Errorf("dispatcher for %s: consume events: %w", study, err)
	}
	d := &Dispatcher{
		study: study, nc: nc, js: js, jobs: jobs, evs: evs, cons: cons,
		log:    o.Logger.With("study", study),
		prune:  o.PruneEvery,
		o:      o,
		ckpt:   &checkpoints{js: js},
		pools:  map[string]bool{},
		iter:   iter,
		events: make(chan scheduler.Inbound),
		done:   make(chan struct{}),
	}
	exhausted, err := adv.Messages(jetstream.PullMaxMessages(16), jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		iter.Stop()
		return nil, fmt.Errorf("dispatcher for %s: consume advisories: %w", study, err)
	}
	d.exhausted = exhausted
	for _, pool := range o.Pools {
		if err := retryTransient(ctx, o.Logger, func() error { return d.ensurePool(ctx, pool) }); err != nil {
			iter.Stop()
			exhausted.Stop()
			return nil, fmt.Errorf("dispatcher for %s: %w", study, err)
		}
	}
	d.wg.Add(3)
	go d.consume()
	go d.pruneLoop()
	go d.consumeExhausted()
	return d, nil
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
	pending := make([]jetstream.PubAckFuture, 0, min(len(specs), publishChunk))
	keys := make([]trial.Key, 0, cap(pending))
	for i := range specs {
		msg, err := d.jobMsg(&specs[i])
		if err != nil {
			return errors.Join(err, d.wait(ctx, pending, keys, epoch))
		}
		f, err := d.js.PublishMsgAsync(msg, jetstream.WithExpectStream(TrialsStream))
		if err != nil {
			return errors.Join(fmt.Errorf("dispatch %v: %w", specs[i].Key, err), d.wait(ctx, pending, keys, epoch))
		}
		pending, keys = append(pending, f), append(keys, specs[i].Key)
		if len(pending) == publishChunk {
			if err := d.wait(ctx, pending, keys, epoch); err != nil {
				return err
			}
			pending, keys = pending[:0], keys[:0]
		}
	}
	return d.wait(ctx, pending, keys, epoch)
}

func (d *Dispatcher) jobMsg(s *trial.Spec) (*nats.Msg, error) {
	if s.Key.Study != d.study {
		return nil, fmt.Errorf("dispatch %v: dispatcher serves study %q", s.Key, d.study)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	pool := s.Trainer.PoolName()
	if err := checkToken("pool", pool); err != nil {
		return nil, fmt.Errorf("dispatch %v: %w", s.Key, err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("dispatch %v: encode spec: %w", s.Key, err)
	}
	if len(data) > maxMsgSize-1024 {
		return nil, fmt.Errorf("dispatch %v: spec is %d bytes, over the %d-byte job limit (keep blobs out of specs)", s.Key, len(data), maxMsgSize-1024)
	}
	msg := nats.NewMsg(jobSubject(pool, s.Key.Study, s.Key.ID))
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

// Withdraw deletes the queued jobs of a trial, in any pool and of any
// attempt. A job a worker already holds is deleted too, but its run goes on
// (use Stop); its events are fenced by the scheduler.
func (d *Dispatcher) Withdraw(ctx context.Context, study string, id int) error {
	if err := checkToken("study", study); err != nil {
		return err
	}
	if err := d.jobs.Purge(ctx, jetstream.WithPurgeSubject(trialJobs(study, id))); err != nil {
		return fmt.Errorf("withdraw %s/%d: %w", study, id, err)
	}
	return nil
}

// Purge deletes every queued job (any pool) and every stored event of the
// study. A scheduler creating a study its store does not know calls it, so
// leftovers of an earlier study of the same name (a deleted database next
// to a kept NATS store) cannot leak into the new one.
func (d *Dispatcher) Purge(ctx context.Context) error {
	if err := d.jobs.Purge(ctx, jetstream.WithPurgeSubject(trialsPrefix+"*."+d.study+".*")); err != nil {
		return fmt.Errorf("purge jobs of %s: %w", d.study, err)
	}
	if err := d.evs.Purge(ctx, jetstream.WithPurgeSubject(studyEvents(d.study))); err != nil {
		return fmt.Errorf("purge events of %s: %w", d.study, err)
	}
	return nil
}

// Stop asks whichever worker runs the attempt to abort it. It is a core
// NATS message: best effort, lost if no worker runs the attempt right now.
func (d *Dispatcher) Stop(ctx context.Context, key trial.Key) error {
	if err := checkToken("study", key.Study); err != nil {
		return err
	}
	data, err := json.Marshal(key)
	if err != nil {
		return fmt.Errorf("stop %v: %w", key, err)
	}
	if err := d.nc.Publish(controlSubject(key), data); err != nil {
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
		d.iter.Drain()
		d.exhausted.Drain()
		d.wg.Wait()
		close(d.events)
	})
	return nil
}

func (d *Dispatcher) consume() {
	defer d.wg.Done()
	for {
		msg, err := d.iter.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			d.log.Warn("event consumer", "err", err)
			continue
		}
		ins, err := d.inbound(msg)
		if err != nil {
			d.log.Error("dropping undecodable event", "subject", msg.Subject(), "err", err)
			_ = msg.TermWithReason(err.Error())
			continue
		}
		d.handOver(msg, ins)
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
		if ev.Key.Study != d.study || ev.Kind < trial.Started || ev.Kind > trial.Exited {
			return nil, fmt.Errorf("event %v kind %v does not belong to study %q", ev.Key, ev.Kind, d.study)
		}
		if ev.Kind == trial.Exited && ev.Result == nil {
			return nil, fmt.Errorf("exited event %v without a result", ev.Key)
		}
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
	info, err := d.cons.Info(ctx)
	if err != nil {
		d.log.Warn("prune events: consumer info", "err", err)
		return
	}
	floor := info.AckFloor.Stream
	if floor <= d.pruned {
		return
	}
	if err := d.evs.Purge(ctx, jetstream.WithPurgeSubject(studyEvents(d.study)), jetstream.WithPurgeSequence(floor+1)); err != nil {
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

// DeleteCheckpoints deletes every stored checkpoint of the given trials
// (scheduler.CheckpointCleaner): the scheduler calls it once they are final.
func (d *Dispatcher) DeleteCheckpoints(ctx context.Context, study string, ids []int) error {
	if err := checkToken("study", study); err != nil {
		return err
	}
	return d.ckpt.deleteTrials(ctx, study, ids)
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

// transient reports errors of a server (or cluster) that is not ready yet.
func transient(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.Code == 503 {
		return true
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}
