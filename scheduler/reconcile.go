package scheduler

import (
	"context"
	"fmt"
	"time"

	"automl/trial"
)

// reconcile checks, on a period, that the jobs the scheduler believes
// queued or running still exist (see Reconciler). One check runs at a time,
// off the loop; its verdict comes back on results and is applied in the
// loop against the ledger as it is then.
type reconcile struct {
	r       Reconciler // nil: the dispatcher cannot tell
	tick    *time.Ticker
	results chan []trial.Key
	running bool
	log     func(err error)
}

func newReconcile(d Dispatcher) *reconcile {
	rc := &reconcile{results: make(chan []trial.Key, 1)}
	if r, ok := d.(Reconciler); ok {
		rc.r = r
		rc.tick = time.NewTicker(r.ReconcileEvery())
	}
	return rc
}

// due fires when a check is due (never without a Reconciler).
func (rc *reconcile) due() <-chan time.Time {
	if rc.tick == nil || rc.running {
		return nil
	}
	return rc.tick.C
}

// start checks the keys in the background.
func (rc *reconcile) start(ctx context.Context, keys []trial.Key) {
	if len(keys) == 0 {
		return
	}
	rc.running = true
	go func() {
		gone, err := rc.r.Vanished(ctx, keys)
		if err != nil {
			gone = nil
			if rc.log != nil {
				rc.log(err)
			}
		}
		rc.results <- gone
	}()
}

func (rc *reconcile) stop() {
	if rc.tick != nil {
		rc.tick.Stop()
	}
}

// inFlightKeys are the attempts to check: every pending and running trial
// whose job was dispatched (none waiting in the step buffer) and, while
// the study drains, the running ones only (its queued jobs are withdrawn
// on purpose).
func (s *Scheduler) inFlightKeys() []trial.Key {
	unsent := map[trial.Key]bool{}
	for _, sp := range s.buf.unsent {
		unsent[sp.Key] = true
	}
	for _, sp := range s.buf.toSend {
		unsent[sp.Key] = true
	}
	var keys []trial.Key
	for id := range s.ledger.inFlight {
		rec := s.ledger.records[id]
		k := s.ledger.key(rec)
		if unsent[k] || (s.draining && rec.State == trial.Pending) {
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

// vanished runs again, as lost, the attempts a check found gone; those that
// moved on since the check are left alone.
func (s *Scheduler) vanished(gone []trial.Key) error {
	s.reconcile.running = false
	for _, k := range gone {
		eff, err := s.ledger.vanished(k, fmt.Sprintf("trial %v: its job vanished from the queue with no result (purged, lost with a stream file, or taken without being run)", k), s.cfg.Now())
		if err != nil {
			return err
		}
		if len(eff.changed) > 0 {
			s.log.Warn("trial's job vanished: running it again", "study", k.Study, "trial", k.ID, "attempt", k.Attempt)
		}
		if err := s.carryOut(eff); err != nil {
			return err
		}
	}
	return nil
}
