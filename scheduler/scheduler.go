// Package scheduler runs a study: one goroutine that turns worker events
// into searcher decisions, commits each step to the Store in one
// transaction (trial records and the searcher snapshot together), then
// dispatches the new jobs. It defines the Store and Dispatcher interfaces
// it consumes (implemented in backends/) and recovers a study after any
// crash.
//
// The loop (Scheduler.Run, this file) is thin: the trials and their rules
// live in a pure ledger (ledger.go; the exit policy itself is
// trial.Decide), one step's writes and jobs in a step buffer (step.go),
// loading and crash recovery in recover.go, users' stops and changes to a
// running study in requests.go (Edit: what a change may be is package
// control's), reruns in rerun.go, the configurations users queued in
// queue.go, a study continued with an edited space and the versions of its
// space in spaceedit.go, and how a run ends (drain, timeout, failure,
// cancel) in lifecycle.go.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"automl/internal/errtree"
	"automl/internal/slotload"
	"automl/search"
	"automl/spacefile"
	"automl/trial"
)

// Scheduler runs one study. Create it with New, then call Run once.
type Scheduler struct {
	cfg      Config
	log      *slog.Logger
	drain    chan struct{}
	requests chan request
	running  chan struct{} // closed when Run ends

	study    *Study
	searcher search.Searcher
	rng      *rand.Rand
	pcg      *rand.PCG
	nextID   int
	ledger   *ledger
	buf      *step
	resumed  bool
	edit     *SpaceEdit // an edit of the space to apply as the study opens

	budget           spacefile.Budget // the file's, with the command line's over it
	maxResourceTotal float64
	fails            failures
	popped           map[string]string // queued configurations the searcher took, to their trials' origin

	reconcile *reconcile
	load      slotload.Load // the slots seen busy, which bound the jobs in flight

	// lifecycle
	searcherDone bool
	doneReason   string
	draining     bool
	timeUp       time.Time // when the time budget was found used (zero: not yet)
	timeEnded    bool      // the time budget, not a user, began the drain
	timeStopped  bool      // the trials running past the grace were stopped
	failedStudy  string    // why the study failed ("": it has not)
	idle         bool      // the last offer of room made the searcher create nothing
	runStart     time.Time
	baseElapsed  time.Duration
	lastCommit   time.Time
	dispatchFail time.Time // when a failed dispatch was last logged (zero: it works)
}

// New checks the configuration.
func New(cfg Config) (*Scheduler, error) {
	cfg, err := cfg.check()
	if err != nil {
		return nil, err
	}
	return &Scheduler{
		cfg:      cfg,
		log:      cfg.Log,
		drain:    make(chan struct{}),
		requests: make(chan request),
		running:  make(chan struct{}),
		buf:      newStep(),
	}, nil
}

// Drain stops creating and dispatching trials; running trials finish and
// Run then returns, leaving a study that resumes where it stopped. Safe to
// call from any goroutine, more than once.
func (s *Scheduler) Drain() {
	select {
	case <-s.drain:
	default:
		close(s.drain)
	}
}

// Run runs the study until its budget is used, its space is exhausted, it
// is drained, or ctx is cancelled (running trials are then asked to stop
// and left to be re-run on resume).
func (s *Scheduler) Run(ctx context.Context) (Summary, error) {
	defer close(s.running)
	if err := s.open(ctx); err != nil {
		return Summary{}, err
	}
	s.runStart = s.cfg.Now()
	if err := s.recover(ctx); err != nil {
		return Summary{}, err
	}
	// Trials a user asked to rerun while no scheduler ran the study.
	rerun := s.study.Rerun
	s.study.Rerun = nil
	if err := s.rerun(rerun, "rerun by the user (automl retry)"); err != nil {
		return Summary{}, err
	}
	// A study continued with its time budget used runs nothing (its
	// re-queued trials are not dispatched) and ends at once.
	if err := s.checkTime(ctx); err != nil {
		return Summary{}, err
	}
	if err := s.step(ctx, nil, true); err != nil {
		return Summary{}, err
	}
	if s.cfg.Ready != nil {
		s.cfg.Ready()
	}
	events := s.cfg.Dispatcher.Events()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	s.reconcile = newReconcile(s.cfg.Dispatcher)
	s.reconcile.log = func(err error) { s.log.Warn("check the jobs in flight", "err", err) }
	defer s.reconcile.stop()
	for !s.finished() {
		// A stop or a drain goes first: select picks among ready cases at
		// random, and a loop whose every step waits on a failing dispatch
		// could otherwise miss a drain for many steps.
		if ctx.Err() != nil {
			return s.interrupt()
		}
		s.drainIfAsked(ctx)
		var batch []Inbound
		select {
		case <-s.reconcile.due():
			s.reconcile.start(ctx, s.inFlightKeys())
		case gone := <-s.reconcile.results:
			if err := s.vanished(gone); err != nil {
				return s.summary(), err
			}
		case <-s.flushDue():
		case <-ctx.Done():
			return s.interrupt()
		case <-s.drain:
			s.drainIfAsked(ctx)
		case in, ok := <-events:
			if !ok {
				if o, isOwner := s.cfg.Dispatcher.(Owner); isOwner && o.Err() != nil {
					return s.summary(), o.Err()
				}
				return s.summary(), errors.New("scheduler: the dispatcher closed its event stream")
			}
			batch = gather(events, append(batch, in), 1024)
		case r := <-s.requests:
			if err := s.serve(ctx, r); err != nil {
				return s.summary(), err
			}
		case <-tick.C:
		}
		if err := s.checkTime(ctx); err != nil {
			return s.summary(), err
		}
		if err := s.step(ctx, batch, false); err != nil {
			if ctx.Err() != nil {
				// Cancelled mid-step (a commit or a dispatch that saw it):
				// end as cancelled, the step committed by interrupt.
				return s.interrupt()
			}
			return s.summary(), err
		}
		if s.failedStudy != "" && !s.draining {
			// The study has failed: the queued trials would most likely
			// fail alike, so they are withdrawn (they stay pending, and
			// run if the study is continued), not run for nothing.
			s.startDrain(ctx, "the study failed")
		}
	}
	if ctx.Err() != nil {
		return s.interrupt()
	}
	return s.finish(ctx)
}

// drainIfAsked starts the drain Drain asked for, once.
func (s *Scheduler) drainIfAsked(ctx context.Context) {
	select {
	case <-s.drain:
		if !s.draining {
			s.startDrain(ctx, "interrupted by the user")
		}
	default:
	}
}

// gather takes the events already waiting, up to max, so one commit covers
// many events when trials finish faster than a commit.
func gather(ch <-chan Inbound, batch []Inbound, max int) []Inbound {
	for len(batch) < max {
		select {
		case in, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, in)
		default:
			return batch
		}
	}
	return batch
}

// step applies a batch of events, lets the searcher act, commits once,
// then acknowledges the events and dispatches the new jobs.
func (s *Scheduler) step(ctx context.Context, batch []Inbound, start bool) error {
	s.load.Roll(s.cfg.Now())
	for _, in := range batch {
		eff, err := s.ledger.apply(in.Event)
		if err != nil {
			return err
		}
		if err := s.carryOut(eff); err != nil {
			return err
		}
		s.buf.acks = append(s.buf.acks, in.Ack)
	}
	var acts []search.Action
	var err error
	asked := false
	switch {
	case start && !s.resumed:
		acts, err = s.searcher.Start(s.context())
		asked = true
	case s.jobs() > 0:
		acts, err = s.searcher.Next(s.context())
		asked = true
	}
	if err != nil {
		return fmt.Errorf("searcher: %w", err)
	}
	if err := s.act(acts); err != nil {
		return err
	}
	// Idle: offered room for jobs, the searcher had nothing to run (its
	// trial budget is used, or it waits for trials that are not running).
	// With nothing pending or running either, the study is over.
	s.idle = asked && s.jobs() > 0 && len(s.buf.toSend) == 0
	// A step that only records what workers said (trials started,
	// intermediate reports) may wait for the next step's commit, up to
	// commitDelay: its events stay unacknowledged until then, so nothing is
	// lost, and a busy study makes half as many fsyncs.
	now := s.cfg.Now()
	if !start && !s.draining && !s.buf.urgent() && (s.buf.pendingSince.IsZero() || now.Sub(s.buf.pendingSince) < commitDelay) {
		if s.buf.pendingSince.IsZero() && s.buf.holds() {
			s.buf.pendingSince = now
		}
		s.progress()
		return nil
	}
	// Stop requests go out before the events that decided them are
	// acknowledged: a worker told "committed" can count on its stop.
	if err := s.commit(ctx); err != nil {
		return err
	}
	s.sendStops(ctx)
	s.buf.acknowledge()
	s.send(ctx)
	s.progress()
	return nil
}

// commitDelay bounds how long a step that dispatches nothing may wait for
// the next commit.
const commitDelay = 20 * time.Millisecond

// flushDue is when the deferred commit must happen (nil: none pending).
func (s *Scheduler) flushDue() <-chan time.Time {
	if s.buf.pendingSince.IsZero() {
		return nil
	}
	return time.After(max(0, commitDelay-s.cfg.Now().Sub(s.buf.pendingSince)))
}

// carryOut takes a ledger change's effects into the step and shows the
// searcher what it must see; the searcher's answers are carried out too.
func (s *Scheduler) carryOut(eff effects) error {
	s.buf.add(eff, s.spec)
	for _, d := range eff.ran {
		s.load.Ended(d)
	}
	for _, id := range eff.unknown {
		s.log.Warn("event for an unknown trial dropped", "study", s.study.Name, "trial", id)
	}
	for _, id := range eff.requeued {
		rec, _ := s.ledger.get(id)
		s.log.Info("trial re-queued", "study", s.study.Name, "trial", id, "attempt", rec.Attempt, "worker", rec.Worker, "why", rec.Note)
	}
	for _, id := range eff.failed {
		rec, _ := s.ledger.get(id)
		if why := s.fails.failed(id, rec.Error, s.ledger.counts[trial.Failed]); why != "" && s.failedStudy == "" {
			s.failedStudy = why
			s.log.Error("study failing", "study", s.study.Name, "why", why)
		}
	}
	for _, ev := range eff.observe {
		if ev.Kind == search.Exited && (ev.Status == search.Complete || ev.Status == search.Pruned) {
			s.fails.worked()
		}
		acts, err := s.searcher.Observe(s.context(), ev)
		if err != nil {
			return fmt.Errorf("searcher: %w", err)
		}
		if err := s.act(acts); err != nil {
			return err
		}
	}
	return nil
}

// act carries out the searcher's actions.
func (s *Scheduler) act(acts []search.Action) error {
	now := s.cfg.Now()
	for _, a := range acts {
		var eff effects
		var err error
		switch a.Kind {
		case search.Create:
			if _, exists := s.ledger.get(a.ID); exists {
				eff, err = s.ledger.promote(a.ID, a.Span)
				break
			}
			if err := s.cfg.File.Space.Check(a.Point); err != nil {
				return fmt.Errorf("searcher proposed an invalid point for trial %d: %w", a.ID, err)
			}
			eff = s.ledger.create(a.ID, a.Point, a.Span, now)
			if o, ok := s.popped[a.Point.Key()]; ok {
				delete(s.popped, a.Point.Key())
				s.ledger.records[a.ID].Origin = o
			}
		case search.Stop:
			eff, err = s.ledger.stopBySearcher(a.ID, a.Reason)
		case search.Done:
			if !s.searcherDone {
				s.searcherDone, s.doneReason = true, a.Reason
				s.log.Info("searcher finished", "study", s.study.Name, "reason", a.Reason)
			}
		}
		if err != nil {
			return err
		}
		if err := s.carryOut(eff); err != nil {
			return err
		}
	}
	return nil
}

// spec is the job of a trial's current attempt.
func (s *Scheduler) spec(id int) trial.Spec {
	rec, _ := s.ledger.get(id)
	f := s.cfg.File
	return trial.Spec{
		Key:         s.ledger.key(rec),
		Params:      rec.Params,
		Trainer:     f.JobTrainer(),
		Objective:   f.Objective,
		Resource:    f.Resource,
		From:        rec.From,
		To:          rec.To,
		Checkpoint:  rec.Checkpoint,
		Seed:        trialSeed(s.study.Seed, rec.ID),
		MaxResource: f.Algorithm.MaxResource(),
	}
}

// trialSeed derives a trial's own seed (splitmix64 of the study seed and id).
func trialSeed(study uint64, id int) uint64 {
	z := study + uint64(id+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// context gives the searcher its view; Want is recomputed for each call.
func (s *Scheduler) context() search.Context {
	return search.Context{
		Space:   s.cfg.File.Space,
		History: s.ledger.history,
		Rng:     s.rng,
		Want:    s.want(),
		Jobs:    s.jobs(),
		NewID:   s.newID,
		Queue:   s.takeQueued,
	}
}

// resourceSpent reports whether the resource budget (max_resource_total)
// is used: what trials trained plus what queued and running jobs will
// train.
func (s *Scheduler) resourceSpent() bool {
	limit := s.maxResourceTotal
	return limit > 0 && s.ledger.trained+s.ledger.reserved() >= limit
}

// flush commits the step's changes, then acknowledges their events.
func (s *Scheduler) flush(ctx context.Context) error {
	if err := s.commit(ctx); err != nil {
		return err
	}
	s.buf.acknowledge()
	return nil
}

func (s *Scheduler) commit(ctx context.Context) error {
	// Nothing new: no commit, but for the study's elapsed time every 5 s.
	if len(s.buf.dirty) == 0 && len(s.buf.reports) == 0 && len(s.buf.logs) == 0 && len(s.buf.toSend) == 0 && !s.lastCommit.IsZero() && s.cfg.Now().Sub(s.lastCommit) <= 5*time.Second {
		return nil
	}
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	s.study.Updated = s.cfg.Now()
	s.study.Elapsed = s.elapsed()
	study := *s.study
	c := s.buf.change(&study, &snap, func(id int) trial.Record { rec, _ := s.ledger.get(id); return *rec })
	for i := range c.Logs {
		c.Logs[i].Limit = s.cfg.File.Trainer.LogLimit
	}
	if err := s.cfg.Store.Commit(ctx, s.study.Name, c); err != nil {
		return fmt.Errorf("commit study %s: %w", s.study.Name, err)
	}
	s.buf.committed()
	s.lastCommit = s.cfg.Now()
	return nil
}

func (s *Scheduler) snapshot() (Snapshot, error) {
	blob, err := s.searcher.Snapshot()
	if err != nil {
		return Snapshot{}, fmt.Errorf("searcher snapshot: %w", err)
	}
	rng, err := s.pcg.MarshalBinary()
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Version: SnapshotVersion, Searcher: blob, Rng: rng, NextID: s.nextID}, nil
}

// send dispatches the step's new jobs and stop requests. A failed dispatch
// is retried on later steps: the jobs are committed, so nothing is lost.
func (s *Scheduler) send(ctx context.Context) {
	specs := s.buf.jobs()
	if s.failedStudy != "" || s.draining {
		// The study is ending: a retry or promotion decided in the step
		// that failed it (or since the drain began) stays pending, as the
		// withdrawn jobs do, and runs if the study is continued. Sent now,
		// a worker could start it before the drain withdraws it.
		specs = nil
	}
	if len(specs) > 0 {
		// Retried every step; logged every 30 s (a full disk can last).
		if err := s.cfg.Dispatcher.Dispatch(ctx, specs); err != nil {
			rejected := map[trial.Key]bool{}
			for _, u := range errtree.All[*Undeliverable](err) {
				rejected[u.Key] = true
				eff := s.ledger.reject(u.Key, u.Error())
				s.log.Error("trial failed: its job cannot be dispatched", "study", u.Key.Study, "trial", u.Key.ID, "attempt", u.Key.Attempt, "why", u.Reason)
				if err := s.carryOut(eff); err != nil {
					s.log.Error("searcher", "err", err)
				}
			}
			var retry []trial.Spec
			for _, sp := range specs {
				if !rejected[sp.Key] {
					retry = append(retry, sp)
				}
			}
			if now := time.Now(); len(retry) > 0 && now.Sub(s.dispatchFail) >= 30*time.Second {
				s.log.Warn("dispatch failed; will retry", "jobs", len(retry), "err", err)
				s.dispatchFail = now
			}
			s.buf.unsent = retry
		} else if !s.dispatchFail.IsZero() {
			s.log.Info("dispatch works again", "jobs", len(specs))
			s.dispatchFail = time.Time{}
		}
	}
	s.sendStops(ctx)
	s.clean(ctx)
}

func (s *Scheduler) sendStops(ctx context.Context) {
	for _, k := range s.buf.stops() {
		if err := s.cfg.Dispatcher.Stop(ctx, k); err != nil {
			s.log.Warn("stop request failed", "study", k.Study, "trial", k.ID, "attempt", k.Attempt, "err", err)
		}
	}
}

// clean deletes the checkpoints of trials now final, when the dispatcher
// keeps checkpoints. Best effort: a failure is logged, and a checkpoint
// left behind costs only space.
func (s *Scheduler) clean(ctx context.Context) {
	ids := s.buf.cleanups()
	if len(ids) == 0 {
		return
	}
	if c, ok := s.cfg.Dispatcher.(CheckpointCleaner); ok {
		if err := c.DeleteCheckpoints(ctx, s.study.Name, ids); err != nil {
			s.log.Warn("delete checkpoints of finished trials", "trials", len(ids), "err", err)
		}
	}
}
