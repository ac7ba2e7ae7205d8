package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/trial"
)

// errStopped is the cancel cause of a run stopped by request.
var errStopped = errors.New("stopped by request")

// run is one delivery of one job on a slot.
type run struct {
	w        *Worker
	spec     trial.Spec
	delivery int
	cancel   context.CancelCauseFunc

	mu      sync.Mutex
	seq     int
	stopped bool
	// failure is a metric the trainer reported that fails the trial (NaN).
	failure error
	// lost is an event that could not be stored: the infrastructure failed.
	lost error
	// started is the pending publish of the Started event.
	started jetstream.PubAckFuture
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
		Time: time.Now().UTC(), Worker: r.w.o.Name,
	}
}

// Report implements trial.Reporter: it stores a Reported event and answers
// Stop once the run is asked to stop.
func (r *run) Report(_ context.Context, step float64, metrics trial.Metrics) (trial.Directive, error) {
	if name, ok := metrics.Finite(); !ok {
		err := fmt.Errorf("trial %v: metric %q is %v at step %v", r.spec.Key, name, metrics[name], step)
		r.mu.Lock()
		if r.failure == nil {
			r.failure = err
		}
		r.mu.Unlock()
		return trial.Stop, err
	}
	ev := r.event(trial.Reported)
	ev.Step, ev.Metrics = step, metrics
	if err := r.w.publish(ev); err != nil {
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
func (w *Worker) handle(ctx context.Context, log *slog.Logger, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		log.Error("job without metadata", "subject", msg.Subject(), "err", err)
		_ = msg.TermWithReason("no metadata")
		return
	}
	delivery := int(meta.NumDelivered)
	var spec trial.Spec
	if err := decodeJob(msg, &spec); err != nil {
		w.poison(log, msg, delivery, err)
		return
	}
	log = log.With("key", spec.Key, "delivery", delivery)

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if spec.Trainer.Timeout > 0 {
		var c context.CancelFunc
		runCtx, c = context.WithTimeoutCause(runCtx, spec.Trainer.Timeout,
			fmt.Errorf("trial %v: timed out after %v", spec.Key, spec.Trainer.Timeout))
		defer c()
	}
	r := &run{w: w, spec: spec, delivery: delivery, cancel: cancel}
	w.register(r)
	defer w.unregister(r)
	stopLease := w.keepLease(log, msg)
	res := r.execute(runCtx, log)
	stopLease()

	if ctx.Err() != nil && !r.isStopped() {
		log.Info("handing job back: worker stopping")
		_ = msg.Nak()
		return
	}
	if err := w.confirm(r.started); err != nil {
		log.Error("job handed back: cannot store its start", "err", err)
		_ = msg.Nak()
		return
	}
	ev := r.event(trial.Exited)
	ev.Result = &res
	if err := w.publish(ev); err != nil {
		log.Error("job handed back: cannot store its result", "err", err)
		_ = msg.Nak()
		return
	}
	if err := msg.Ack(); err != nil {
		log.Warn("ack job", "err", err)
	}
}

// decodeJob reads and checks a job's spec, and that it sits on its subject.
func decodeJob(msg jetstream.Msg, spec *trial.Spec) error {
	if err := json.Unmarshal(msg.Data(), spec); err != nil {
		return fmt.Errorf("decode spec: %w", err)
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if want := jobSubject(poolOf(spec), spec.Key.Study, spec.Key.ID); msg.Subject() != want {
		return fmt.Errorf("spec %v arrived on subject %s, want %s", spec.Key, msg.Subject(), want)
	}
	return nil
}

// execute starts the runner and turns however it ends into a Result.
func (r *run) execute(ctx context.Context, log *slog.Logger) trial.Result {
	key := r.spec.Key
	runner, err := r.w.runners(r.spec)
	if err != nil {
		return failed(key, err)
	}
	// Started is stored while the trainer runs; handle confirms it before
	// publishing Exited. For short trials this halves the waits per job.
	started, err := r.w.publishAsync(r.event(trial.Started))
	if err != nil {
		return failed(key, fmt.Errorf("%w: %w", trial.ErrLost, err))
	}
	r.started = started
	res, err := safeRun(ctx, log, runner, r.spec, r)
	r.mu.Lock()
	stopped, failure, lost := r.stopped, r.failure, r.lost
	r.mu.Unlock()
	switch {
	case stopped:
		res.Outcome, res.Error = trial.ExitAborted, "trial "+key.String()+": "+errStopped.Error()
	case lost != nil:
		res = failed(key, lost)
	case failure != nil:
		res.Outcome, res.Error = trial.ExitCrashed, failure.Error()
	case context.Cause(ctx) != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Outcome, res.Error = trial.ExitCrashed, context.Cause(ctx).Error()
	case err != nil:
		res = failed(key, err)
	default:
		if res.Outcome == 0 {
			res.Outcome = trial.ExitDone
		}
		if name, ok := res.Metrics.Finite(); !ok {
			res.Outcome = trial.ExitCrashed
			res.Error = fmt.Sprintf("trial %v: final metric %q is %v", key, name, res.Metrics[name])
		}
	}
	return res
}

// failed is the result of a runner error: lost for infrastructure
// failures, crashed otherwise.
func failed(key trial.Key, err error) trial.Result {
	o := trial.ExitCrashed
	if errors.Is(err, trial.ErrLost) {
		o = trial.ExitLost
	}
	return trial.Result{Outcome: o, Error: fmt.Sprintf("trial %v: %v", key, err)}
}

var errPanic = errors.New("runner panicked")

// safeRun turns a panic of the runner's goroutine into an error, so the
// slot keeps working; the stack goes to the log, not into the trial's
// error. (A panic on a goroutine the runner starts itself still kills the
// process; plugins run out of process for that reason.)
func safeRun(ctx context.Context, log *slog.Logger, runner trial.Runner, spec trial.Spec, rep trial.Reporter) (res trial.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = trial.Result{}, fmt.Errorf("%w: %v", errPanic, p)
			log.Error("runner panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return runner.Run(ctx, spec, rep)
}

// keepLease renews the job's lease every AckWait/3 until the returned
// function is called.
func (w *Worker) keepLease(log *slog.Logger, msg jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(w.o.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					log.Warn("renew job lease", "err", err)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// poison terminates a job that cannot run, and reports it crashed when its
// key can be read, so the scheduler fails the trial instead of waiting.
func (w *Worker) poison(log *slog.Logger, msg jetstream.Msg, delivery int, cause error) {
	hdr := msg.Headers()
	var k trial.Key
	var ok bool
	// A spec that decodes but does not validate still names its trial.
	var partial struct {
		Key *trial.Key `json:"key"`
	}
	if json.Unmarshal(msg.Data(), &partial) == nil && partial.Key != nil && checkToken("study", partial.Key.Study) == nil {
		k, ok = *partial.Key, true
	} else {
		k, ok = keyFromJob(msg.Subject(), hdr.Get(jetstream.MsgIDHeader))
	}
	log.Error("terminating poison job", "subject", msg.Subject(), "err", cause)
	if ok {
		ev := &trial.Event{
			Key: k, Delivery: delivery, Seq: 1, Kind: trial.Exited, Time: time.Now().UTC(), Worker: w.o.Name,
			Result: &trial.Result{Outcome: trial.ExitCrashed, Error: fmt.Sprintf("trial %v: unusable job: %v", k, cause)},
		}
		if err := w.publish(ev); err != nil {
			log.Error("cannot report poison job; handing it back", "err", err)
			_ = msg.Nak()
			return
		}
	}
	if err := msg.TermWithReason("poison: " + cause.Error()); err != nil {
		log.Warn("terminate poison job", "err", err)
	}
}
