// Package local is an in-process Dispatcher: a queue and N worker slots
// running a trial.Runner in goroutines. It is what scheduler tests and
// programs that embed the scheduler as a library use; the automl command
// always dispatches through NATS (backends/natsbus).
package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"automl/scheduler"
	"automl/trial"
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
	running map[trial.Key]context.CancelFunc
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
		running:   map[trial.Key]context.CancelFunc{},
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
	if cancel := d.running[key]; cancel != nil {
		cancel()
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

type reporter struct {
	d      *Dispatcher
	spec   trial.Spec
	worker string
	seq    *int
	ctx    context.Context
}

func (r reporter) Report(ctx context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	if k, ok := m.Finite(); !ok {
		return trial.Stop, fmt.Errorf("metric %q is %v: metrics must be finite numbers", k, m[k])
	}
	r.d.emit(ctx, r.spec, r.worker, r.seq, trial.Event{Kind: trial.Reported, Step: step, Metrics: m})
	if r.ctx.Err() != nil {
		return trial.Stop, nil
	}
	return trial.Continue, nil
}

func (d *Dispatcher) run(ctx context.Context, spec trial.Spec, worker string) {
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.mu.Lock()
	d.running[spec.Key] = cancel
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.running, spec.Key)
		d.mu.Unlock()
	}()
	seq := 0
	d.emit(ctx, spec, worker, &seq, trial.Event{Kind: trial.Started})
	res := d.invoke(tctx, spec, reporter{d: d, spec: spec, worker: worker, seq: &seq, ctx: tctx})
	if tctx.Err() != nil && res.Outcome == trial.ExitDone {
		res.Outcome = trial.ExitAborted
	}
	d.emit(ctx, spec, worker, &seq, trial.Event{Kind: trial.Exited, Result: &res})
}

// invoke runs the trainer, turning errors and panics into outcomes.
func (d *Dispatcher) invoke(ctx context.Context, spec trial.Spec, rep trial.Reporter) (res trial.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = trial.Result{Outcome: trial.ExitCrashed, Error: fmt.Sprintf("trainer panicked: %v", p)}
		}
	}()
	runner, err := d.runnerFor(spec)
	if err != nil {
		return trial.Result{Outcome: trial.ExitCrashed, Error: err.Error()}
	}
	res, err = runner.Run(ctx, spec, rep)
	switch {
	case err != nil && errors.Is(err, trial.ErrLost):
		return trial.Result{Outcome: trial.ExitLost, Error: err.Error()}
	case err != nil && ctx.Err() != nil:
		return trial.Result{Outcome: trial.ExitAborted, Error: err.Error()}
	case err != nil:
		return trial.Result{Outcome: trial.ExitCrashed, Error: err.Error(), Metrics: res.Metrics}
	}
	return res
}

func (d *Dispatcher) emit(ctx context.Context, spec trial.Spec, worker string, seq *int, ev trial.Event) {
	*seq++
	ev.Key, ev.Delivery, ev.Seq, ev.Worker, ev.Time = spec.Key, 1, *seq, worker, time.Now()
	select {
	case d.events <- scheduler.Inbound{Event: ev}:
	case <-ctx.Done():
		// Closing: the scheduler is gone; the event would be delivered again
		// by a durable transport, and here the study re-runs the trial on resume.
	}
}
