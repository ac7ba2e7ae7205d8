package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/trial"
)

// RunnerFor returns the Runner for a job (typically by its trainer plugin).
// An error fails the attempt: as lost when it wraps trial.ErrLost (a plugin
// that could not start), as crashed otherwise (an unknown trainer).
type RunnerFor func(spec trial.Spec) (trial.Runner, error)

// WorkerOptions tune a Worker. Zero values take the defaults.
type WorkerOptions struct {
	// Pool whose jobs the worker takes (default DefaultPool).
	Pool string
	// Slots is how many jobs run at once (default: the number of CPUs).
	Slots int
	// Name identifies the worker in events and trial records (default
	// hostname-pid).
	Name string
	// AckWait is the lease: a job whose worker stops renewing it (dead,
	// frozen, cut off) goes to another worker after AckWait. Running jobs
	// renew it every AckWait/3. Default DefaultAckWait. The pool's consumer
	// is shared, so all workers of a pool should agree on it.
	AckWait time.Duration
	// MaxDeliver bounds how often one job is handed out (default
	// DefaultMaxDeliver).
	MaxDeliver int
	// MaxAckPending caps the pool's jobs held at once (default Slots). The
	// pool's consumer keeps the largest value any of its workers asked for,
	// so in a fleet set it to the pool's total slots.
	MaxAckPending int
	// FetchWait is how long an idle slot's pull request waits for a job
	// before it asks again (default 2 s). It also bounds how long Run takes
	// to return after its context ends.
	FetchWait time.Duration
	Logger    *slog.Logger
}

// publishTimeout bounds one event publish, reconnects included; past it the
// job is handed back and runs again.
const publishTimeout = 30 * time.Second

// Worker runs jobs of one pool: Slots goroutines, each pulling one job at a
// time (never more: a prefetched job would age past its lease unseen),
// running it, publishing its events and acking it only after its Exited
// event is stored.
type Worker struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	runners RunnerFor
	o       WorkerOptions
	log     *slog.Logger

	mu      sync.Mutex
	running map[trial.Key]*run
}

// NewWorker makes a worker on nc (which stays the caller's). Nothing
// happens until Run.
func NewWorker(nc *nats.Conn, runners RunnerFor, o WorkerOptions) (*Worker, error) {
	if runners == nil {
		return nil, errors.New("worker: no RunnerFor")
	}
	if o.Pool == "" {
		o.Pool = DefaultPool
	}
	if err := checkToken("pool", o.Pool); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if o.Slots <= 0 {
		o.Slots = runtime.NumCPU()
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = o.Slots
	}
	if o.FetchWait <= 0 {
		o.FetchWait = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(publishTimeout))
	if err != nil {
		return nil, fmt.Errorf("worker %s: %w", o.Name, err)
	}
	return &Worker{
		nc: nc, js: js, runners: runners, o: o,
		log:     o.Logger.With("worker", o.Name, "pool", o.Pool),
		running: map[trial.Key]*run{},
	}, nil
}

// Name is the worker's name as events carry it.
func (w *Worker) Name() string { return w.o.Name }

// Run takes and runs jobs until ctx ends. Then it stops taking jobs, cancels
// the running ones and hands them back (nak) so they run again at once
// elsewhere, and returns nil once every slot is idle. It returns an error
// only when it cannot set up.
func (w *Worker) Run(ctx context.Context) error {
	cons, err := w.setup(ctx)
	if err != nil {
		return err
	}
	sub, err := w.nc.Subscribe(controlPrefix+">", w.onControl)
	if err != nil {
		return fmt.Errorf("worker %s: subscribe to stop requests: %w", w.o.Name, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	w.log.Info("worker started", "slots", w.o.Slots)
	var wg sync.WaitGroup
	for i := range w.o.Slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.slot(ctx, i, cons)
		}()
	}
	wg.Wait()
	w.log.Info("worker stopped")
	return nil
}

func (w *Worker) setup(ctx context.Context) (jetstream.Consumer, error) {
	if err := EnsureStreams(ctx, w.js); err != nil {
		return nil, fmt.Errorf("worker %s: %w", w.o.Name, err)
	}
	c, err := ensureWorkConsumer(ctx, w.js, w.o.Pool, w.o.AckWait, w.o.MaxDeliver, w.o.MaxAckPending)
	if err != nil {
		return nil, fmt.Errorf("worker %s: %w", w.o.Name, err)
	}
	return c, nil
}

// slot is one job at a time: pull one, run it, repeat.
func (w *Worker) slot(ctx context.Context, i int, cons jetstream.Consumer) {
	log := w.log.With("slot", i)
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(w.o.FetchWait))
		if err != nil {
			log.Warn("fetch job", "err", err)
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				if c, err := w.setup(ctx); err == nil {
					cons = c
				}
			}
			sleep(ctx, min(w.o.FetchWait, time.Second))
			continue
		}
		// The batch ends within FetchWait; waiting it out even after ctx
		// ends means a job delivered meanwhile is handed back, not
		// stranded until its lease expires.
		var msg jetstream.Msg
		for m := range batch.Messages() {
			msg = m
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			log.Warn("fetch job", "err", err)
			if msg == nil {
				sleep(ctx, min(w.o.FetchWait, time.Second))
			}
		}
		if msg == nil {
			continue
		}
		if ctx.Err() != nil {
			_ = msg.Nak()
			return
		}
		w.handle(ctx, log, msg)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// onControl handles a stop request: the payload is the attempt's Key.
func (w *Worker) onControl(m *nats.Msg) {
	var k trial.Key
	if err := json.Unmarshal(m.Data, &k); err != nil {
		w.log.Warn("bad stop request", "subject", m.Subject, "err", err)
		return
	}
	w.mu.Lock()
	r := w.running[k]
	w.mu.Unlock()
	if r != nil {
		w.log.Info("stopping trial on request", "key", k)
		r.stop()
	}
}

func (w *Worker) register(r *run) {
	w.mu.Lock()
	w.running[r.spec.Key] = r
	w.mu.Unlock()
}

func (w *Worker) unregister(r *run) {
	w.mu.Lock()
	if w.running[r.spec.Key] == r {
		delete(w.running, r.spec.Key)
	}
	w.mu.Unlock()
}

// eventMsg is an event's message; its Nats-Msg-Id makes a retried
// publish a no-op.
func eventMsg(ev *trial.Event) (*nats.Msg, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode %v event of %v: %w", ev.Kind, ev.Key, err)
	}
	msg := nats.NewMsg(eventSubject(ev.Key))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, eventMsgID(ev))
	return msg, nil
}

// publish stores one event, waiting for its PubAck.
func (w *Worker) publish(ev *trial.Event) error {
	msg, err := eventMsg(ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if _, err := w.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(EventsStream)); err != nil {
		return fmt.Errorf("publish %v event of %v: %w", ev.Kind, ev.Key, err)
	}
	return nil
}

// publishAsync sends one event without waiting; confirm waits for it.
func (w *Worker) publishAsync(ev *trial.Event) (jetstream.PubAckFuture, error) {
	msg, err := eventMsg(ev)
	if err != nil {
		return nil, err
	}
	f, err := w.js.PublishMsgAsync(msg, jetstream.WithExpectStream(EventsStream))
	if err != nil {
		return nil, fmt.Errorf("publish %v event of %v: %w", ev.Kind, ev.Key, err)
	}
	return f, nil
}

// confirm waits for an async publish (nil: none) and, if it failed,
// publishes the message once more synchronously (the same Nats-Msg-Id, so
// it is stored at most once).
func (w *Worker) confirm(f jetstream.PubAckFuture) error {
	if f == nil {
		return nil
	}
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		w.log.Warn("event publish failed; retrying", "subject", f.Msg().Subject, "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if _, err := w.js.PublishMsg(ctx, f.Msg(), jetstream.WithExpectStream(EventsStream)); err != nil {
		return fmt.Errorf("publish event %s: %w", f.Msg().Header.Get(jetstream.MsgIDHeader), err)
	}
	return nil
}
