package natsbus

import (
	"cmp"
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

	"automl/backends/natsbus/fleet"
	"automl/trial"
)

// RunnerFor returns the Runner for a job on a worker slot (typically by
// its trainer plugin, on the slot's GPUs). An error fails the attempt: as
// lost when it wraps trial.ErrLost (a plugin that could not start), as
// crashed otherwise (an unknown trainer).
type RunnerFor func(slot int, spec trial.Spec) (trial.Runner, error)

// WorkerOptions tune a Worker. Zero values take the defaults.
type WorkerOptions struct {
	// Pool whose jobs the worker takes (default trial.DefaultPool).
	Pool string
	// Slots is how many jobs run at once (default: the number of CPUs, or
	// len(GPUs) when GPUs is set).
	Slots int
	// GPUs, when set, are each slot's GPUs (len(GPUs) == Slots): events and
	// trial records carry them, and RunnerFor gets the slot's index.
	GPUs [][]string
	// Name identifies the worker in events and trial records (default
	// hostname-pid).
	Name string
	// AckWait is the lease: a job whose worker stops renewing it (dead,
	// frozen, cut off) goes to another worker after AckWait. Running jobs
	// renew it every AckWait/3. The pool's consumer is shared: zero keeps
	// the AckWait it has (DefaultAckWait when this worker creates it), and
	// the worker renews at the consumer's actual AckWait either way.
	AckWait time.Duration
	// MaxDeliver bounds how often one job is handed out; zero keeps the
	// consumer's (DefaultMaxDeliver when this worker creates it).
	MaxDeliver int
	// Store, when set, tells of the server's store (the embedded server):
	// events and checkpoints it may have dropped during a fault are stored
	// once the fault is gone, however long that takes (until Run's context
	// ends), instead of the run being lost.
	Store StoreHealth
	// MaxAckPending caps the pool's jobs held at once (default Slots). The
	// pool's consumer keeps the largest value any of its workers asked for,
	// so in a fleet set it to the pool's total slots.
	MaxAckPending int
	// FetchWait is how long a pull request for idle slots waits for jobs
	// before they ask again (default 2 s). It also bounds (plus about a
	// second) how long Run takes to return after its context ends or Drain:
	// jobs that open requests still bring are handed back.
	FetchWait time.Duration
	// CheckpointDir is where the worker makes its slots' checkpoint
	// directories (default os.TempDir()): each run gets its slot's,
	// empty; they are removed when Run returns.
	CheckpointDir string
	// Trust are the job keys whose jobs the worker runs (required): a job
	// or stop request signed by no key of them is refused and logged as a
	// security event.
	Trust fleet.Trust
	// LocalKey, when set, is the job key of the scheduler in this process:
	// jobs it signed here pass without a signature check (see
	// fleet.Verifier.TrustLocal).
	LocalKey *fleet.JobKey
	Logger   *slog.Logger
	// OnEnded, when set, is called when a scheduler this worker trusts
	// says its search has ended (Dispatcher.Ended).
	OnEnded func(study, status string)
	// TrainerLogs logs each line a trainer prints at info (default: debug),
	// with the trial's attributes.
	TrainerLogs bool
}

// publishTimeout bounds one event publish, reconnects included; past it the
// job is handed back and runs again.
const publishTimeout = 30 * time.Second

// Worker runs jobs of one pool: Slots goroutines, each running one job at
// a time, publishing its events and acking it only after its Exited event
// is stored. A feeder pulls the jobs, exactly as many as slots are idle
// (never more: a prefetched job would age past its lease unseen).
type Worker struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	runners RunnerFor
	o       WorkerOptions
	log     *slog.Logger
	ckpt    *checkpoints
	dirs    *slotDirs
	sender  string // SenderToken(Name): the token of its event subjects
	verify  *fleet.Verifier

	drain     chan struct{}
	drainOnce sync.Once

	mu      sync.Mutex
	running map[trial.Key]*run
	cons    jetstream.Consumer // the pool's, as last bound
	ackWait time.Duration      // its AckWait, as last read
	readAt  time.Time          // when ackWait was read
	// idleSince is when the last trial ended (or the worker was made).
	idleSince time.Time
}

// NewWorker makes a worker on nc (which stays the caller's). Nothing
// happens until Run.
func NewWorker(nc *nats.Conn, runners RunnerFor, o WorkerOptions) (*Worker, error) {
	if runners == nil {
		return nil, errors.New("worker: no RunnerFor")
	}
	if o.Pool == "" {
		o.Pool = trial.DefaultPool
	}
	if err := checkToken("pool", o.Pool); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if o.Slots <= 0 {
		o.Slots = runtime.NumCPU()
		if len(o.GPUs) > 0 {
			o.Slots = len(o.GPUs)
		}
	}
	if len(o.Trust) == 0 {
		return nil, errors.New("worker: no trusted job key (WorkerOptions.Trust): it would run nothing")
	}
	if o.GPUs != nil && len(o.GPUs) != o.Slots {
		return nil, fmt.Errorf("worker: %d slots but GPUs for %d", o.Slots, len(o.GPUs))
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = o.Slots
	}
	if o.FetchWait <= 0 {
		o.FetchWait = 2 * time.Second
	}
	if o.CheckpointDir == "" {
		o.CheckpointDir = os.TempDir()
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
		log:       o.Logger.With("worker", o.Name, "pool", o.Pool),
		ckpt:      &checkpoints{js: js},
		dirs:      newSlotDirs(o.CheckpointDir),
		sender:    SenderToken(o.Name),
		verify:    verifier(o),
		drain:     make(chan struct{}),
		running:   map[trial.Key]*run{},
		idleSince: time.Now(),
	}, nil
}

func verifier(o WorkerOptions) *fleet.Verifier {
	v := fleet.NewVerifier(o.Trust)
	if o.LocalKey != nil {
		v.TrustLocal(*o.LocalKey)
	}
	return v
}

// Name is the worker's name as events carry it.
func (w *Worker) Name() string { return w.o.Name }

// Drain stops taking jobs: each slot finishes its running trial (or hands
// it back when Run's context ends first) and Run returns once all are
// idle. Safe to call more than once, from any goroutine.
func (w *Worker) Drain() {
	w.drainOnce.Do(func() {
		w.log.Info("draining: no new jobs; running trials finish", "running", w.Running())
		close(w.drain)
	})
}

// Running is the number of trials running now.
func (w *Worker) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

func (w *Worker) draining() bool {
	select {
	case <-w.drain:
		return true
	default:
		return false
	}
}

// Run takes and runs jobs until ctx ends or Drain. When ctx ends it stops
// taking jobs, cancels the running ones and hands them back (nak) so they
// run again at once elsewhere; after Drain it lets them finish. It returns
// nil once every slot is idle. It waits (retrying, with log lines) while it
// cannot bind the pool's consumer, e.g. before the server is up or, for a
// worker whose credentials cannot create consumers, until a scheduler has
// created it.
func (w *Worker) Run(ctx context.Context) error {
	_, err := w.bind(ctx)
	if err != nil {
		return nil // ctx ended while waiting
	}
	sub, err := w.nc.Subscribe(controlPrefix+">", w.onControl)
	if err != nil {
		return fmt.Errorf("worker %s: subscribe to stop requests: %w", w.o.Name, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	f, err := startFeeder(w.nc, TrialsStream, WorkerConsumer(w.o.Pool), w.o.Slots, w.o.FetchWait, w.log, func() {
		if _, err := w.setup(ctx); err != nil {
			w.log.Warn("set up the pool's job consumer", "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("worker %s: subscribe for jobs: %w", w.o.Name, err)
	}
	w.log.Info("worker started", "slots", w.o.Slots, "ack_wait", w.leaseTime())
	idle := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-w.drain:
		case <-idle:
		}
		f.halt()
	}()
	var wg sync.WaitGroup
	for i := range w.o.Slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.slot(ctx, i, f)
		}()
	}
	wg.Wait()
	close(idle)
	f.close()
	w.dirs.close()
	w.log.Info("worker stopped")
	return nil
}

// bind sets up the pool's consumer, retrying until it works, ctx ends or
// the worker is drained.
func (w *Worker) bind(ctx context.Context) (jetstream.Consumer, error) {
	for wait := 500 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		c, err := w.setup(ctx)
		if err == nil {
			return c, nil
		}
		w.log.Warn("cannot bind the pool's job consumer yet; retrying", "in", wait, "err", err)
		select { // Drain ends the wait too
		case <-time.After(wait):
		case <-ctx.Done():
		case <-w.drain:
		}
		if ctx.Err() != nil || w.draining() {
			return nil, cmp.Or(ctx.Err(), errors.New("drained"))
		}
	}
}

func (w *Worker) setup(ctx context.Context) (jetstream.Consumer, error) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := ensureWorkConsumer(sctx, w.js, w.o.Pool, consumerSettings{AckWait: w.o.AckWait, MaxDeliver: w.o.MaxDeliver, MaxAckPending: w.o.MaxAckPending})
	if err != nil && c == nil {
		return nil, fmt.Errorf("worker %s: %w", w.o.Name, err)
	}
	if err != nil {
		// Bound but not updated: this worker may not change the consumer.
		w.log.Info("using the pool's consumer as it is", "reason", err)
	}
	w.mu.Lock()
	w.cons, w.ackWait, w.readAt = c, c.CachedInfo().Config.AckWait, time.Now()
	w.mu.Unlock()
	return c, nil
}

// leaseRefresh bounds how stale a worker's idea of its pool's AckWait may
// be when it checks a lease: a scheduler (or another worker) may change it.
const leaseRefresh = time.Second

// refreshLease re-reads the consumer's AckWait when the value is older than
// leaseRefresh (one slot at a time asks; the others use the value they
// have). On error the old value stays.
func (w *Worker) refreshLease() {
	w.mu.Lock()
	// Cut off from the server it would only wait for its timeout (a
	// stopping worker's hand-back with it).
	due := w.cons != nil && time.Since(w.readAt) > leaseRefresh && w.nc.IsConnected()
	cons := w.cons
	if due {
		w.readAt = time.Now()
	}
	w.mu.Unlock()
	if !due {
		return
	}
	ictx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	info, err := cons.Info(ictx)
	if err != nil {
		w.log.Debug("re-read the pool consumer", "err", err)
		return
	}
	w.mu.Lock()
	if info.Config.AckWait != w.ackWait {
		w.log.Info("the pool's lease changed", "ack_wait", info.Config.AckWait)
	}
	w.ackWait = info.Config.AckWait
	w.mu.Unlock()
}

// leaseTime is the pool consumer's AckWait: how long a job stays ours
// without a renewal.
func (w *Worker) leaseTime() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return cmp.Or(w.ackWait, DefaultAckWait)
}

// slot is one job at a time: take one from the feeder, run it, repeat.
func (w *Worker) slot(ctx context.Context, i int, f *feeder) {
	log := w.log.With("slot", i)
	ch := make(chan *nats.Msg, 1)
	for ctx.Err() == nil && !w.draining() {
		m := f.get(ch)
		if m == nil {
			return
		}
		if ctx.Err() != nil || w.draining() {
			_ = m.Nak()
			return
		}
		w.handle(ctx, i, log, jobMsg{m})
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

// onControl handles a stop request (the payload is the attempt's Key) or
// the end of a search (endedSubject).
func (w *Worker) onControl(m *nats.Msg) {
	if m.Subject == endedSubject {
		w.onEnded(m)
		return
	}
	var k trial.Key
	if err := json.Unmarshal(m.Data, &k); err != nil {
		w.log.Warn("bad stop request", "subject", m.Subject, "err", err)
		return
	}
	if err := verify(w.verify, m.Subject, m.Header, stopID(k), m.Data); err != nil || m.Subject != controlSubject(k) {
		security(w.log, "stop request rejected", "subject", m.Subject, "key", k, "signer", m.Header.Get(signerHeader), "why", err)
		return
	}
	w.mu.Lock()
	r := w.running[k]
	w.mu.Unlock()
	if r != nil {
		w.log.Info("stopping trial on request", append(keyAttrs(k), "slot", r.slot)...)
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
	if len(w.running) == 0 {
		w.idleSince = time.Now()
	}
	w.mu.Unlock()
}

// eventMsg is an event's message, sent under this worker's token; its
// Nats-Msg-Id makes a retried publish a no-op. With first (the run's
// Started event, held back), the message carries both, as a JSON array in
// order; it is named after ev.
func (w *Worker) eventMsg(first, ev *trial.Event) (*nats.Msg, error) {
	var data []byte
	var err error
	if first != nil {
		data, err = json.Marshal([2]*trial.Event{first, ev})
	} else {
		data, err = json.Marshal(ev)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %v event of %v: %w", ev.Kind, ev.Key, err)
	}
	msg := nats.NewMsg(eventSubject(ev.Key, w.sender))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, eventMsgID(ev, w.sender))
	return msg, nil
}

// publish stores an event (and first, when not nil, in the same message),
// waiting for its PubAck (publishMsg: through a store fault, until ctx
// ends).
func (w *Worker) publish(ctx context.Context, first, ev *trial.Event) error {
	msg, err := w.eventMsg(first, ev)
	if err != nil {
		return err
	}
	if err := w.publishMsg(ctx, msg); err != nil {
		return fmt.Errorf("%v event of %v: %w", ev.Kind, ev.Key, err)
	}
	return nil
}

// sent is an event published without waiting, and the store's epoch
// when it went (see StoreHealth).
type sent struct {
	f     jetstream.PubAckFuture
	epoch uint64
}

// publishAsync sends one event without waiting; confirm waits for it.
func (w *Worker) publishAsync(ev *trial.Event) (*sent, error) {
	msg, err := w.eventMsg(nil, ev)
	if err != nil {
		return nil, err
	}
	var epoch uint64
	if w.o.Store != nil {
		epoch = w.o.Store.Epoch()
	}
	f, err := w.js.PublishMsgAsync(msg, jetstream.WithExpectStream(EventsStream))
	if err != nil {
		return nil, fmt.Errorf("publish %v event of %v: %w", ev.Kind, ev.Key, err)
	}
	return &sent{f, epoch}, nil
}

// confirm waits for an async publish (nil: none) and, if it failed,
// publishes the message once more synchronously (the same Nats-Msg-Id, so
// it is stored at most once).
func (w *Worker) confirm(ctx context.Context, s *sent) error {
	if s == nil {
		return nil
	}
	err := w.await(s.f, s.epoch)
	if err == nil {
		return nil
	}
	w.log.Warn("event publish failed; retrying", "subject", s.f.Msg().Subject, "err", err)
	return w.publishMsg(ctx, s.f.Msg())
}

// slotGPUs are the GPUs of slot i (nil: a CPU slot).
func (w *Worker) slotGPUs(i int) []string {
	if i < len(w.o.GPUs) {
		return w.o.GPUs[i]
	}
	return nil
}
