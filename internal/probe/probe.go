// Package probe carries what the working packages observe (a store
// commit, a searcher call, a job delivered again, a NATS reconnect, a
// plugin that crashed, a slot busy with a trial) to whoever measures it:
// the automl command sets a Sink that feeds its Prometheus metrics
// (internal/telemetry), so the scheduler, the backends, the plugins host
// and the worker observe without importing a metrics library. With no Sink
// set (tests, programs that embed the packages) every call is a no-op that
// costs an atomic load.
//
// One Sink serves a process: Set it once, before the work starts. A Sink's
// methods are called from many goroutines at once and must not block.
package probe

import (
	"sync/atomic"
	"time"
)

// Sink receives observations. Every string argument comes from a bounded
// set (a pool, a worker, a GPU list, a reason class, a plugin name), never
// a trial id, so a Sink may use them as metric labels.
type Sink interface {
	// StoreCommitted: one store transaction (a scheduler step) took d.
	StoreCommitted(d time.Duration)
	// Searched: one call of the searcher (start, next, observe) took d.
	Searched(call string, d time.Duration)
	// Redelivered: a worker of the pool took a job delivered before (its
	// previous holder died, froze or handed it back).
	Redelivered(pool string)
	// LeaseLapsed: a worker of the pool held a job past its lease (the job
	// may have gone to another worker).
	LeaseLapsed(pool string)
	// Reconnected: the NATS connection named conn reconnected.
	Reconnected(conn string)
	// Dropped: an event or job was dropped or rejected, for the reason
	// class (forged, undecodable, foreign, poison).
	Dropped(reason string)
	// PluginLaunched: a trainer plugin process was started; PluginCrashed:
	// one ended without a result (a crash, a panic, a killed process).
	PluginLaunched(plugin string)
	PluginCrashed(plugin string)
	// Checkpoint: a checkpoint of n bytes was saved or loaded (op).
	Checkpoint(op string, n int64)
	// SlotsChanged: a worker opened (delta > 0) or closed slots on gpu
	// ("none" for CPU slots).
	SlotsChanged(worker, gpu string, delta int)
	// SlotBusy: a worker's slot on gpu ("none" for a CPU slot) started a
	// run (a trial, or one rung of it); SlotFree: it ended after d with the
	// outcome (done, crashed, pruned, aborted, lost, paused; error when the
	// runner failed without one), and, when it failed, the reason class
	// (trainer, plugin_crashed, timeout, not_finite, protocol, lost, ...;
	// "" when it did not fail).
	SlotBusy(worker, gpu string)
	SlotFree(worker, gpu, outcome, reason string, d time.Duration)
}

var current atomic.Pointer[Sink]

// Set makes s the process's Sink (nil: none); it returns a function that
// puts the previous one back (for tests).
func Set(s Sink) (restore func()) {
	var prev *Sink
	if s == nil {
		prev = current.Swap(nil)
	} else {
		prev = current.Swap(&s)
	}
	return func() { current.Store(prev) }
}

// Get is the process's Sink, or one that discards everything.
func Get() Sink {
	if s := current.Load(); s != nil {
		return *s
	}
	return nop{}
}

type nop struct{}

func (nop) StoreCommitted(time.Duration)                           {}
func (nop) Searched(string, time.Duration)                         {}
func (nop) Redelivered(string)                                     {}
func (nop) LeaseLapsed(string)                                     {}
func (nop) Reconnected(string)                                     {}
func (nop) Dropped(string)                                         {}
func (nop) PluginLaunched(string)                                  {}
func (nop) PluginCrashed(string)                                   {}
func (nop) Checkpoint(string, int64)                               {}
func (nop) SlotsChanged(string, string, int)                       {}
func (nop) SlotBusy(string, string)                                {}
func (nop) SlotFree(string, string, string, string, time.Duration) {}
