package natsbus

import (
	"fmt"
	"time"

	"automl/trial"
)

// startedDelay is how long a run holds back its Started event. A run that
// ends sooner sends it in one message with its Exited event (see
// publishEvents); a longer run publishes it when the delay passes, or
// before its first report, whichever comes first, so the scheduler shows
// it running. On short trials this saves a third of the event traffic: one
// stored message, one delivery and one ack per trial (BenchmarkSimulated64).
// The event keeps the time the run started either way, so the trial's
// start and busy time are unchanged.
const startedDelay = 100 * time.Millisecond

// holdStarted makes the run's Started event (its first) and arms the
// timer that publishes it after startedDelay.
func (r *run) holdStarted() {
	ev := r.event(trial.Started)
	r.mu.Lock()
	r.held = ev
	r.heldTimer = time.AfterFunc(startedDelay, func() { _ = r.releaseStarted() })
	r.mu.Unlock()
}

// releaseStarted publishes the held-back Started event, if it still is
// held; r.started is then its pending publish. A publish that fails makes
// the run lost and stops it: its result could not be trusted to arrive.
// It returns that failure (now or from an earlier call). The lock is held
// across the publish so that takeStarted, which the end of the run calls,
// never sees the event gone before its publish is pending: Exited must
// follow it.
func (r *run) releaseStarted() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.held
	if ev == nil {
		return r.lost
	}
	r.held = nil
	f, err := r.w.publishAsync(ev)
	if err != nil {
		if r.lost == nil {
			r.lost = fmt.Errorf("%w: %w", trial.ErrLost, err)
		}
		r.cancel(r.lost)
		return r.lost
	}
	r.started = f
	return nil
}

// takeStarted ends the hold: it returns the Started event when it was not
// published (nil otherwise), for the caller to send with Exited.
func (r *run) takeStarted() *trial.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.heldTimer != nil {
		r.heldTimer.Stop()
	}
	ev := r.held
	r.held = nil
	return ev
}
