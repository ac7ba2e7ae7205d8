package main

import (
	"context"
	"io"

	"automl/plugins"
	"automl/trial"
)

// slotPool gives each running trial one of N plugin slots: a slot keeps its
// trainer process between trials (trainer.reuse) and replaces it when it
// crashes. Every trial runs in a plugin process, never in this one.
type slotPool struct {
	free  chan *plugins.Slot
	slots []*plugins.Slot
}

func newSlotPool(n int, stderr io.Writer) *slotPool {
	p := &slotPool{free: make(chan *plugins.Slot, n)}
	for i := 0; i < n; i++ {
		s := plugins.NewSlot(plugins.HostOptions{Stderr: stderr})
		p.slots = append(p.slots, s)
		p.free <- s
	}
	return p
}

// Run runs a trial on a free slot. There are as many slots as worker
// slots, so one is always free when a worker runs a trial.
func (p *slotPool) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	var s *plugins.Slot
	select {
	case s = <-p.free:
	case <-ctx.Done():
		return trial.Result{Outcome: trial.ExitAborted}, nil
	}
	defer func() { p.free <- s }()
	return s.Run(ctx, spec, rep)
}

func (p *slotPool) runnerFor(trial.Spec) (trial.Runner, error) { return p, nil }

// Close kills every kept plugin process.
func (p *slotPool) Close() {
	for _, s := range p.slots {
		s.Close()
	}
}
