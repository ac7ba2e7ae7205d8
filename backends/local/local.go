// Package local is an in-process Dispatcher: a queue and N worker slots
// running a trial.Runner in goroutines. It is what scheduler tests and
// programs that embed the scheduler as a library use; the automl command
// always dispatches through NATS (backends/natsbus). A run ends by the same
// rule as on a NATS worker (trial.Ended.Classify).
package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"automl/internal/stall"
	"automl/scheduler"
	"automl/trial"
	"automl/trial/triallog"
)

// RunnerFor returns the runner for a spec.
type RunnerFor func(spec trial.Spec) (trial.Runner, error)

// Dispatcher runs jobs in-process. It is safe for concurrent use.
type Dispatcher struct {
	runnerFor RunnerFor
	events    chan scheduler.Inbound
	worker    string

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []trial.Spec
	queued  map[trial.Key]bool
	running map[trial.Key]*run
	closed  bool
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

// New starts a dispatcher with the given number of slots.
func New(slots int, runnerFor RunnerFor) *Dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{
		runnerFor: runnerFor,
		events:    make(chan scheduler.Inbound, 4*slots+16),
		worker:    "local",
		queued:    map[trial.Key]bool{},
		running:   map[trial.Key]*run{},
		cancel:    cancel,
	}
	d.cond = sync.NewCond(&d.mu)
	for i := 0; i < slots; i++ {
		d.wg.Add(1)
		go d.slot(ctx, i)
	}
	return d
}

// Dispatch queues jobs; a key already queued or running is ignored.
func (d *Dispatcher) Dispatch(_ context.Context, specs []trial.Spec) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("local dispatcher closed")
	}
	for _, s := range specs {
		if d.queued[s.Key] || d.running[s.Key] != nil {
			continue
		}
		d.queued[s.Key] = true
		d.queue = append(d.queue, s)
	}
	d.cond.Broadcast()
	return nil
}

// Withdraw drops the queued jobs of a trial.
func (d *Dispatcher) Withdraw(_ context.Context, study string, id int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := d.queue[:0]
	for _, s := range d.queue {
		if s.Key.Study == study && s.Key.ID == id {
			delete(d.queued, s.Key)
			continue
		}
		kept = append(kept, s)
	}
	d.queue = kept
	return nil
}

// Stop cancels a running attempt.
func (d *Dispatcher) Stop(_ context.Context, key trial.Key) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.running[key]; r != nil {
		r.stop()
	}
	return nil
}

// Events delivers the workers' events; Ack is a no-op.
func (d *Dispatcher) Events() <-chan scheduler.Inbound { return d.events }

// Close cancels running trials and stops the slots. Events are not closed
// until every slot has returned.
func (d *Dispatcher) Close() error {
	d.mu.Lock()
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	return nil
}

func (d *Dispatcher) next() (trial.Spec, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.queue) == 0 && !d.closed {
		d.cond.Wait()
	}
	if d.closed {
		return trial.Spec{}, false
	}
	s := d.queue[0]
	d.queue = d.queue[1:]
	delete(d.queued, s.Key)
	return s, true
}

func (d *Dispatcher) slot(ctx context.Context, n int) {
	defer d.wg.Done()
	for {
		spec, ok := d.next()
		if !ok {
			return
		}
		d.run(ctx, spec, fmt.Sprintf("%s/%d", d.worker, n))
	}
}

// reporter stores a running trial's reports as events and tells the
// trainer to stop once the run is asked to (or a metric fails the trial).
type reporter struct {
	d      *Dispatcher
	run    *run
	worker string
	ctx    context.Context
	base   context.Context // the dispatcher's: a line logged after a stop still goes
}

func (r reporter) Report(ctx context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	r.run.watch.Beat()
	if err := trial.CheckReport(step, m); err != nil {
		r.run.fail(err)
		return trial.Stop, err
	}
	r.d.emit(ctx, r.run, r.worker, trial.Event{Kind: trial.Reported, Step: step, Metrics: m})
	if r.ctx.Err() != nil {
		return trial.Stop, nil
	}
	return trial.Continue, nil
}

// AddLine implements triallog.Sink: each line goes to the scheduler as a
// Logged event of its own (in-process, nothing to batch for).
func (r reporter) AddLine(l triallog.Line) {
	r.run.mu.Lock()
	r.run.logSeq++
	seq := r.run.logSeq
	r.run.mu.Unlock()
	r.d.emit(r.base, r.run, r.worker, trial.Event{Kind: trial.Logged, Log: &triallog.Chunk{Seq: seq, Lines: []triallog.Line{l}}})
}

// run is one attempt on a slot.
type run struct {
	spec    trial.Spec
	cancel  context.CancelFunc
	mu      sync.Mutex
	seq     int
	logSeq  int           // Logged chunks sent
	stopped bool          // the scheduler asked to stop it
	failure error         // a reported metric that failed it
	stalled time.Duration // the progress timeout, when it stopped the run
	watch   *stall.Watch  // the progress timeout's watch
}

func (r *run) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
}

func (r *run) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failure == nil {
		r.failure = err
	}
}

func (d *Dispatcher) run(ctx context.Context, spec trial.Spec, worker string) {
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &run{spec: spec, cancel: cancel}
	if spec.Trainer.Timeout > 0 {
		var c context.CancelFunc
		tctx, c = context.WithTimeoutCause(tctx, spec.Trainer.Timeout, fmt.Errorf("timed out after %v (trainer.timeout)", spec.Trainer.Timeout))
		defer c()
	}
	// A trainer that reports nothing for the progress timeout is stopped;
	// the run is then lost (trial.Ended.Stalled).
	limit := spec.Trainer.ProgressLimit()
	r.watch = stall.Start(limit, func() {
		r.mu.Lock()
		if tctx.Err() == nil {
			r.stalled = limit
		}
		r.mu.Unlock()
		cancel()
	})
	defer r.watch.Stop()
	d.mu.Lock()
	d.running[spec.Key] = r
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.running, spec.Key)
		d.mu.Unlock()
	}()
	d.emit(ctx, r, worker, trial.Event{Kind: trial.Started})
	end := trial.Ended{}
	if runner, err := d.runnerFor(spec); err != nil {
		end.Err = err
	} else {
		end.Result, end.Err = trial.RunSafely(tctx, runner, spec, reporter{d: d, run: r, worker: worker, ctx: tctx, base: ctx})
	}
	r.mu.Lock()
	end.Stopped, end.Failure, end.Stalled = r.stopped, r.failure, r.stalled
	r.mu.Unlock()
	end.Cancelled = ctx.Err() != nil
	if errors.Is(tctx.Err(), context.DeadlineExceeded) {
		end.TimedOut = context.Cause(tctx)
	}
	res := end.Classify(spec.Key)
	d.emit(ctx, r, worker, trial.Event{Kind: trial.Exited, Result: &res})
}

func (d *Dispatcher) emit(ctx context.Context, r *run, worker string, ev trial.Event) {
	r.mu.Lock()
	r.seq++
	ev.Seq = r.seq
	r.mu.Unlock()
	ev.Key, ev.Delivery, ev.Worker, ev.Time = r.spec.Key, 1, worker, time.Now()
	select {
	case d.events <- scheduler.Inbound{Event: ev}:
	case <-ctx.Done():
		// Closing: the scheduler is gone; the event would be delivered again
		// by a durable transport, and here the study re-runs the trial on resume.
	}
}
