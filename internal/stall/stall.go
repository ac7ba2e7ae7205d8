// Package stall notices work that stopped making progress: a Watch calls
// its function once when nobody called Beat for a given time. Workers use
// it for the trainer's progress timeout (a trainer that reports nothing
// for that long is stopped, however it got stuck: a stopped process, a
// deadlock, a dead file system).
package stall

import (
	"sync"
	"time"
)

// Watch calls a function once when Beat has not been called for its
// period, counted from Start and from each Beat. A Beat costs a lock and a
// clock read: the timer is re-armed only when it fires early.
type Watch struct {
	period time.Duration
	fire   func()

	mu      sync.Mutex
	last    time.Time
	timer   *time.Timer
	stopped bool
}

// Start starts a watch that calls fire, on its own goroutine, once nothing
// beat for period (> 0).
func Start(period time.Duration, fire func()) *Watch {
	w := &Watch{period: period, fire: fire, last: time.Now()}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(period, w.check)
	return w
}

// Beat records progress.
func (w *Watch) Beat() {
	w.mu.Lock()
	w.last = time.Now()
	w.mu.Unlock()
}

func (w *Watch) check() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	if idle := time.Since(w.last); idle < w.period {
		w.timer.Reset(w.period - idle)
		w.mu.Unlock()
		return
	}
	w.stopped = true
	w.mu.Unlock()
	w.fire()
}

// Stop ends the watch: fire is not called after Stop returns, unless it
// was already running.
func (w *Watch) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
}
