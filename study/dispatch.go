package study

import (
	"context"
	"sync"
	"time"

	"automl/scheduler"
	"automl/trial"
)

// handout is the scheduler's Dispatcher for a program that trains the
// trials itself: a job is handed to the next Ask instead of a worker, and
// Report and Tell become the worker's events.
type handout struct {
	events chan scheduler.Inbound
	done   <-chan struct{} // closed when the scheduler's Run has returned

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every change of the queue
	queue   []trial.Spec
	stops   map[trial.Key]bool // attempts the scheduler asked to stop (a prune, a user's stop)
	seq     map[trial.Key]int  // the last event's sequence number per attempt
}

func newHandout(done <-chan struct{}) *handout {
	return &handout{
		events:  make(chan scheduler.Inbound, 64),
		done:    done,
		changed: make(chan struct{}),
		stops:   map[trial.Key]bool{},
		seq:     map[trial.Key]int{},
	}
}

func (h *handout) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Dispatch queues jobs for Ask; a key already queued is queued once.
func (h *handout) Dispatch(_ context.Context, specs []trial.Spec) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range specs {
		if !h.queuedLocked(s.Key) {
			h.queue = append(h.queue, s)
		}
	}
	h.notify()
	return nil
}

func (h *handout) queuedLocked(k trial.Key) bool {
	for _, q := range h.queue {
		if q.Key == k {
			return true
		}
	}
	return false
}

// Withdraw drops the queued jobs of a trial.
func (h *handout) Withdraw(_ context.Context, study string, id int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.queue[:0]
	for _, s := range h.queue {
		if s.Key.Study != study || s.Key.ID != id {
			kept = append(kept, s)
		}
	}
	h.queue = kept
	return nil
}

// Stop marks an attempt stopped: its next Report answers stop, and Tell
// records it as the scheduler decided (pruned, or stopped by the user).
func (h *handout) Stop(_ context.Context, key trial.Key) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stops[key] = true
	return nil
}

func (h *handout) Events() <-chan scheduler.Inbound { return h.events }

// next waits for a job: ok false when the run is over or ctx is done.
func (h *handout) next(ctx context.Context) (trial.Spec, error) {
	for {
		h.mu.Lock()
		if len(h.queue) > 0 {
			s := h.queue[0]
			h.queue = h.queue[1:]
			h.mu.Unlock()
			return s, nil
		}
		changed := h.changed
		h.mu.Unlock()
		select {
		case <-changed:
		case <-h.done:
			return trial.Spec{}, ErrDone
		case <-ctx.Done():
			return trial.Spec{}, ctx.Err()
		}
	}
}

func (h *handout) stopped(key trial.Key) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stops[key]
}

// emit sends an event of the attempt and, when wait is set, returns once
// the scheduler has committed it (so that the next Ask sees its effect).
func (h *handout) emit(ctx context.Context, key trial.Key, ev trial.Event, wait bool) error {
	h.mu.Lock()
	h.seq[key]++
	ev.Seq = h.seq[key]
	if ev.Kind == trial.Exited {
		delete(h.seq, key)
		delete(h.stops, key)
	}
	h.mu.Unlock()
	ev.Key, ev.Delivery, ev.Worker, ev.Time = key, 1, "ask", time.Now()
	acked := make(chan struct{})
	in := scheduler.Inbound{Event: ev, Ack: func() { close(acked) }}
	select {
	case h.events <- in:
	case <-h.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	if !wait {
		return nil
	}
	select {
	case <-acked:
		return nil
	case <-h.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}
