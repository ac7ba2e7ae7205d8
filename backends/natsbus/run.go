package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/internal/probe"
	"automl/internal/stall"
	"automl/trial"
)

// errStopped is the cancel cause of a run stopped by request.
var errStopped = errors.New("stopped by request")

// errStalled is the cancel cause of a run whose trainer reported nothing
// for the progress timeout.
var errStalled = errors.New("no report within trainer.progress_timeout")

// run is one delivery of one job on a slot.
type run struct {
	w        *Worker
	wctx     context.Context // the worker's: a store fault is waited out until it ends
	spec     trial.Spec
	slot     int
	delivery int
	cancel   context.CancelCauseFunc

	mu      sync.Mutex
	seq     int
	stopped bool
	// failure is a metric the trainer reported that fails the trial (NaN).
	failure error
	// lost is an event that could not be stored: the infrastructure failed.
	lost error
	// stalled is the progress timeout when it stopped the run; watch is
	// its watch, which every report beats.
	stalled time.Duration
	watch   *stall.Watch
	// held is the Started event while it is held back (see startedDelay),
	// heldTimer what publishes it; started is its pending publish once it
	// was published on its own.
	held      *trial.Event
	heldTimer *time.Timer
	started   *sent
	// logs sends the trial's log (logship.go).
	logs *logShipper
}

func (r *run) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel(errStopped)
}

func (r *run) isStopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

// event makes the next event of this delivery.
func (r *run) event(kind trial.EventKind) *trial.Event {
	r.mu.Lock()
	r.seq++
	seq := r.seq
	r.mu.Unlock()
	return &trial.Event{
		Key: r.spec.Key, Delivery: r.delivery, Seq: seq, Kind: kind,
		Time: time.Now().UTC(), Worker: r.w.o.Name, GPUs: r.w.slotGPUs(r.slot),
		Lease: r.spec.Lease,
	}
}

// Report implements trial.Reporter: it stores a Reported event and answers
// Stop once the run is asked to stop.
func (r *run) Report(_ context.Context, step float64, metrics trial.Metrics) (trial.Directive, error) {
	r.watch.Beat()
	if err := trial.CheckReport(step, metrics); err != nil {
		r.mu.Lock()
		if r.failure == nil {
			r.failure = err
		}
		r.mu.Unlock()
		return trial.Stop, err
	}
	// The scheduler sees the trial start before its reports.
	if err := r.releaseStarted(); err != nil {
		return trial.Stop, err
	}
	ev := r.event(trial.Reported)
	ev.Step, ev.Metrics = step, metrics
	if err := r.w.publish(r.wctx, nil, ev); err != nil {
		err = fmt.Errorf("%w: %w", trial.ErrLost, err)
		r.mu.Lock()
		if r.lost == nil {
			r.lost = err
		}
		r.mu.Unlock()
		return trial.Stop, err
	}
	if r.isStopped() {
		return trial.Stop, nil
	}
	return trial.Continue, nil
}

// handle runs one delivered job to its end and settles its message: ack
// after the Exited event is stored, nak when the worker is shutting down or
// the event could not be stored, term when the job is poison.
func (w *Worker) handle(ctx context.Context, slot int, log *slog.Logger, msg jobMsg) {
	delivery, err := msg.delivery()
	if err != nil {
		log.Error("job without metadata", "subject", msg.Subject(), "err", err)
		_ = msg.TermWithReason("no metadata")
		return
	}
	if err := verify(w.verify, msg.Subject(), msg.Headers(), msg.Headers().Get(jetstream.MsgIDHeader), msg.Data()); err != nil {
		w.rejectForeign(log, msg, err)
		return
	}
	var spec trial.Spec
	if err := decodeJob(msg, &spec); err != nil {
		w.poison(ctx, log, msg, delivery, err)
		return
	}
	log = log.With(append(keyAttrs(spec.Key), "delivery", delivery)...)
	if delivery > 1 {
		probe.Get().Redelivered(w.o.Pool)
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if spec.Trainer.Timeout > 0 {
		var c context.CancelFunc
		runCtx, c = context.WithTimeoutCause(runCtx, spec.Trainer.Timeout,
			fmt.Errorf("timed out after %v (trainer.timeout)", spec.Trainer.Timeout))
		defer c()
	}
	r := &run{w: w, wctx: ctx, spec: spec, slot: slot, delivery: delivery, cancel: cancel}
	// A trainer that reports nothing for the progress timeout (stopped,
	// deadlocked) is stopped; the run is then lost (trial.Ended.Stalled).
	limit := spec.Trainer.ProgressLimit()
	r.watch = stall.Start(limit, func() {
		r.mu.Lock()
		if runCtx.Err() == nil {
			r.stalled = limit
		}
		r.mu.Unlock()
		cancel(errStalled)
	})
	defer r.watch.Stop()
	w.register(r)
	defer w.unregister(r)
	lease := w.keepLease(log, msg)
	r.shipLogs(log)
	res := r.execute(runCtx, log)
	lines := r.logs.finish()
	started := r.takeStarted()

	if ctx.Err() != nil && !r.isStopped() {
		lease.stop()
		log.Info("handing job back: worker stopping")
		_ = msg.Nak()
		return
	}
	ev := r.event(trial.Exited)
	ev.Result = &res
	var lead []*trial.Event
	if started != nil {
		lead = append(lead, started)
	}
	lead = append(lead, lines...)
	// The lease is kept while the result is stored: storing may take
	// retries, and the job must not go to another worker meanwhile.
	err = w.storeResult(ctx, log, r.started, lead, ev)
	lapsed := lease.stop()
	if err != nil {
		log.Error("job handed back: cannot store its result", "err", err)
		_ = msg.Nak()
		return
	}
	if lapsed {
		probe.Get().LeaseLapsed(w.o.Pool)
		// Another worker may hold the job by now: an ack could delete it
		// under that worker (the server may accept a late ack,
		// nats-server#4786). The result is stored; the scheduler keeps it
		// only if this delivery is still the newest, and the job, if
		// nobody else took it, comes back and its rerun is ignored.
		log.Warn("lease lapsed while the trial ran (the process was paused or cut off): result published, job left unacked", "lease", w.leaseTime())
		return
	}
	if err := msg.Ack(); err != nil {
		log.Warn("ack job", "err", err)
	}
}

// storeRetryFor bounds how long a worker keeps trying to store a result
// before it hands the job back (to be run again).
const storeRetryFor = 2 * time.Minute

// storeResult stores a run's events: its Started event (already sent as
// pending, or held back, first in lead), the last lines of its log (lead)
// and its Exited event ev, in as few messages as fit (packEvents). The
// result is in hand, so a store that fails (the events stream without a
// leader for a few seconds while a cluster node dies, say) is retried with
// backoff until it works, the worker stops, or storeRetryFor passes.
// Handing the job back at once instead would run the trial again and again
// into the same outage, each run a delivery, until MaxDeliver failed a
// trial that had succeeded. Retried publishes carry the same message ids,
// so the stream keeps one copy.
func (w *Worker) storeResult(ctx context.Context, log *slog.Logger, pending *sent, lead []*trial.Event, ev *trial.Event) error {
	var msgs []*nats.Msg // what is still to store, in order
	if err := w.confirm(ctx, pending); err != nil {
		msgs = append(msgs, pending.f.Msg())
	}
	packed, err := w.packEvents(append(lead, ev))
	if err != nil {
		return err
	}
	msgs = append(msgs, packed...)
	deadline := time.Now().Add(storeRetryFor)
	wait := 100 * time.Millisecond
	for {
		for len(msgs) > 0 {
			if err = w.publishMsg(ctx, msgs[0]); err != nil {
				break
			}
			msgs = msgs[1:]
		}
		if len(msgs) == 0 {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		log.Warn("cannot store the result yet; retrying", "err", err, "in", wait)
		sleep(ctx, wait)
		wait = min(2*wait, 2*time.Second)
	}
}

// decodeJob reads and checks a job's spec, and that it sits on its subject.
func decodeJob(msg jobMsg, spec *trial.Spec) error {
	if err := json.Unmarshal(msg.Data(), spec); err != nil {
		return fmt.Errorf("decode spec: %w", err)
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if err := checkKey(spec.Key); err != nil {
		return fmt.Errorf("spec %v: %w", spec.Key, err)
	}
	if want := jobSubject(spec.Trainer.PoolName(), spec.Key); msg.Subject() != want {
		return fmt.Errorf("spec %v arrived on subject %s, want %s", spec.Key, msg.Subject(), want)
	}
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != jobMsgID(spec.Key) {
		return fmt.Errorf("spec %v arrived with message id %q, want %s", spec.Key, id, jobMsgID(spec.Key))
	}
	return nil
}

// execute starts the runner and turns however it ends into a Result, by
// the rule every dispatcher shares (trial.Ended.Classify).
func (r *run) execute(ctx context.Context, log *slog.Logger) trial.Result {
	key := r.spec.Key
	end := r.run(ctx, log)
	r.mu.Lock()
	end.Stopped, end.Failure, end.Lost, end.Stalled = r.stopped, r.failure, r.lost, r.stalled
	r.mu.Unlock()
	if context.Cause(ctx) != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		end.TimedOut = context.Cause(ctx)
	}
	res := end.Classify(key)
	if res.Checkpoint != "" && res.Outcome != trial.ExitCrashed && res.Outcome != trial.ExitLost {
		if err := r.saveCheckpoint(ctx, &res); err != nil {
			return trial.Ended{Err: err}.Classify(key)
		}
	}
	return res
}

// run starts the runner on the slot with the job's checkpoint in place.
func (r *run) run(ctx context.Context, log *slog.Logger) trial.Ended {
	runner, err := r.w.runners(r.slot, r.spec)
	if err != nil {
		return trial.Ended{Err: err}
	}
	// Started goes out while the trainer runs, or with Exited (see
	// startedDelay); handle confirms it before publishing Exited.
	r.holdStarted()
	if err := r.prepareCheckpoint(ctx); err != nil {
		return trial.Ended{Err: err}
	}
	res, err := trial.RunSafely(ctx, runner, r.spec, r)
	if pe := (*trial.PanicError)(nil); errors.As(err, &pe) {
		log.Error("runner panicked", "panic", pe.Value, "stack", string(pe.Stack))
	}
	return trial.Ended{Result: res, Err: err}
}

// prepareCheckpoint gives the run its slot's local checkpoint directory,
// empty, and, when the job resumes from a checkpoint, fills it from the
// object store. A checkpoint that is missing fails the trial; one that
// cannot be fetched is an infrastructure failure.
func (r *run) prepareCheckpoint(ctx context.Context) error {
	dir, err := r.w.dirs.fresh(r.slot)
	if err != nil {
		return fmt.Errorf("%w: checkpoint directory: %w", trial.ErrLost, err)
	}
	r.spec.CheckpointDir = dir
	if r.spec.Checkpoint == "" {
		return nil
	}
	if err := r.w.ckpt.download(ctx, r.spec.Checkpoint, dir); err != nil {
		if errors.Is(err, ErrCheckpointReplaced) {
			security(r.w.log, "checkpoint refused, not resumed from", "key", r.spec.Key, "why", err)
			return err
		}
		if errors.Is(err, ErrNoCheckpoint) || ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w: %w", trial.ErrLost, err)
	}
	return nil
}

// saveCheckpoint uploads what the trainer left in its checkpoint directory
// and names it in the result (<study>/<id>/<resource>), so any worker can
// resume the trial. A trainer that saved nothing keeps its own name.
func (r *run) saveCheckpoint(ctx context.Context, res *trial.Result) error {
	ents, err := os.ReadDir(r.spec.CheckpointDir)
	if err != nil || len(ents) == 0 {
		return nil
	}
	step := res.Step
	if step == 0 {
		step = r.spec.To
	}
	name := CheckpointKey(r.spec.Key, r.delivery, step)
	// The upload must finish even when the run was stopped: the result
	// (paused, pruned) refers to it.
	// A store fault (a full disk) is waited out.
	for {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		ref, err := r.w.ckpt.upload(uctx, name, r.spec.CheckpointDir)
		cancel()
		if err == nil {
			res.Checkpoint = ref
			return nil
		}
		if r.w.fault() == nil || !r.w.waitForStore(r.wctx) {
			return fmt.Errorf("%w: %w", trial.ErrLost, r.w.ckpt.explain(err))
		}
	}
}

// lease renews a job's lease and notices when it lapsed.
type lease struct {
	w       *Worker
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	last    time.Time // when the lease was last renewed (or the job fetched)
	lapsed  bool
	ackWait time.Duration
}

// keepLease renews the job's lease every AckWait/3 until stop. The first
// renewal comes within a second, after re-reading the pool's AckWait, so a
// lease shortened since this worker bound its consumer is kept too.
func (w *Worker) keepLease(log *slog.Logger, msg jobMsg) *lease {
	l := &lease{w: w, done: make(chan struct{}), last: time.Now(), ackWait: w.leaseTime()}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTimer(min(l.ackWait/3, time.Second))
		defer t.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-t.C:
			}
			l.check()
			if err := msg.InProgress(); err != nil {
				log.Warn("renew job lease", "err", err)
			} else {
				l.mu.Lock()
				l.last = time.Now()
				l.mu.Unlock()
			}
			l.mu.Lock()
			t.Reset(l.ackWait / 3)
			l.mu.Unlock()
		}
	}()
	return l
}

// check notes a lapse: no renewal for (nearly) the pool's AckWait, as when
// the process was stopped (SIGSTOP) or starved; the monotonic clock counts
// that time.
func (l *lease) check() {
	l.w.refreshLease()
	ackWait := l.w.leaseTime()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ackWait = ackWait
	if time.Since(l.last) > ackWait*9/10 {
		l.lapsed = true
	}
}

// stop ends the renewals and reports whether the lease lapsed meanwhile.
func (l *lease) stop() bool {
	close(l.done)
	l.wg.Wait()
	l.check()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lapsed
}

// poison terminates a job that cannot run, and reports it crashed when its
// key can be read, so the scheduler fails the trial instead of waiting.
func (w *Worker) poison(ctx context.Context, log *slog.Logger, msg jobMsg, delivery int, cause error) {
	hdr := msg.Headers()
	var k trial.Key
	var ok bool
	// A spec that decodes but does not validate still names its trial, and
	// its lease token (without one, the scheduler refuses the event, and
	// its reconciliation runs the trial again).
	var partial struct {
		Key   *trial.Key `json:"key"`
		Lease string     `json:"lease"`
	}
	if json.Unmarshal(msg.Data(), &partial) == nil && partial.Key != nil && checkKey(*partial.Key) == nil {
		k, ok = *partial.Key, true
	} else {
		k, ok = keyFromJob(msg.Subject(), hdr.Get(jetstream.MsgIDHeader))
	}
	log.Error("terminating poison job", "subject", msg.Subject(), "err", cause)
	probe.Get().Dropped("poison")
	if ok {
		ev := &trial.Event{
			Key: k, Delivery: delivery, Seq: 1, Kind: trial.Exited, Time: time.Now().UTC(), Worker: w.o.Name, Lease: partial.Lease,
			Result: &trial.Result{Outcome: trial.ExitCrashed, Error: fmt.Sprintf("trial %v: unusable job: %v", k, cause)},
		}
		if err := w.publish(ctx, nil, ev); err != nil {
			log.Error("cannot report poison job; handing it back", "err", err)
			_ = msg.Nak()
			return
		}
	}
	if err := msg.TermWithReason("poison: " + cause.Error()); err != nil {
		log.Warn("terminate poison job", "err", err)
	}
}
