// Package study runs a study inside a Go program that trains the trials
// itself: ask the study for a trial, train it, tell the study how it did.
//
//	space, _ := spacefile.ParseWithoutTrainer("space.yaml", text)
//	s, _ := study.Open("automl.db", space, nil)
//	defer s.Close()
//	for {
//		t, err := s.Ask(ctx)
//		if errors.Is(err, study.ErrDone) {
//			break
//		}
//		loss := train(t.Params)
//		s.Tell(ctx, t, trial.Metrics{"val_loss": loss})
//	}
//
// It is the automl command's study: the same space file, store (a bbolt
// study file that automl report, trials and dashboard read), algorithms,
// budgets, failure policy and resume. A program killed mid-study opens the
// file again and goes on; a trial asked and never told is handed out again.
package study

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"automl/backends/bolt"
	"automl/scheduler"
	_ "automl/search/algorithms" // every algorithm a space file may name
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

var (
	// ErrDone is returned by Ask once the study has ended: its budget is
	// used, its space exhausted, or it failed (Close says why).
	ErrDone = errors.New("study: the study has ended")
	// ErrClosed is returned after Close, or when the study ended while a
	// call waited.
	ErrClosed = errors.New("study: closed")
)

// Options tune a study; the zero value (or nil) is one trial at a time.
type Options struct {
	// Parallel is how many trials may be asked and not yet told at once
	// (default 1). A model-based algorithm proposes each with the results
	// told so far.
	Parallel int
	// Log receives the scheduler's log (default: discarded).
	Log *slog.Logger
	// AllowSpaceChange lets an existing study go on with an edited space
	// (bounds, choices, parameters added with a default: or removed; see
	// scheduler.Config.AllowSpaceChange). Without it Open refuses such a
	// study with scheduler.ErrSpaceChanged, listing the changes.
	AllowSpaceChange bool
}

// Study is an open study. Its methods are safe for concurrent use.
type Study struct {
	name     string
	metric   string // the objective's
	store    *bolt.Store
	handout  *handout
	parallel int
	cancel   context.CancelFunc
	done     chan struct{}

	mu      sync.Mutex
	asked   map[int]*Trial // asked and not told, by trial id
	summary scheduler.Summary
	err     error
	closed  bool
}

// Trial is a trial handed out by Ask.
type Trial struct {
	// ID numbers the trial in its study (as automl trials shows it).
	ID int
	// Params are the trial's hyperparameters; Params.Float("lr", 0),
	// Params.Int, Params.Get read them.
	Params value.Values
	// From and To bound the training of this run in the study's resource
	// (epochs) for multi-fidelity algorithms: train steps From+1..To,
	// resuming from your own checkpoint of step From when From > 0. To is 0
	// for other algorithms: train your full budget.
	From, To float64
	// Seed is the trial's seed, derived from the study's.
	Seed uint64

	key   trial.Key
	study *Study
}

// Open opens (creating when needed) the study the space file describes in
// the study file at path and starts its scheduler. An existing study goes
// on where it stopped; its space must be the one it last ran with, unless
// Options.AllowSpaceChange.
func Open(path string, space *spacefile.File, opts *Options) (*Study, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Parallel == 0 {
		o.Parallel = 1
	}
	if o.Parallel < 1 || o.Parallel > scheduler.MaxSlots {
		return nil, fmt.Errorf("study: Parallel must be 1 to %d, got %d", scheduler.MaxSlots, o.Parallel)
	}
	if space == nil {
		return nil, errors.New("study: no space file")
	}
	store, err := bolt.Open(path, nil)
	if err != nil {
		return nil, err
	}
	s := &Study{name: space.Study, metric: space.Objective.Metric, store: store, parallel: o.Parallel, done: make(chan struct{}), asked: map[int]*Trial{}}
	s.handout = newHandout(s.done)
	ready := make(chan struct{})
	sched, err := scheduler.New(scheduler.Config{
		File: space, Store: store, Dispatcher: s.handout, StoreFile: path,
		Slots: o.Parallel, Log: o.Log, AllowSpaceChange: o.AllowSpaceChange,
		Ready: func() { close(ready) },
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		sum, err := sched.Run(ctx)
		s.mu.Lock()
		s.summary, s.err = sum, err
		s.mu.Unlock()
		close(s.done)
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		if s.err != nil {
			cancel()
			store.Close()
			return nil, s.err
		}
		// A study already over: Ask says ErrDone, Summary what it came to.
		return s, nil
	}
}

// Ask hands out the next trial to train, waiting while the scheduler
// prepares it. It returns ErrDone once the study has ended, and an error
// when Parallel trials are already asked and not told (tell one first).
func (s *Study) Ask(ctx context.Context) (*Trial, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if len(s.asked) >= s.parallel {
		n := len(s.asked)
		s.mu.Unlock()
		return nil, fmt.Errorf("study %s: %d trials asked and not told (Options.Parallel %d): tell one first", s.name, n, s.parallel)
	}
	s.mu.Unlock()
	spec, err := s.handout.next(ctx)
	if err != nil {
		return nil, err
	}
	t := &Trial{ID: spec.Key.ID, Params: spec.Params, From: spec.From, To: spec.To, Seed: spec.Seed, key: spec.Key, study: s}
	s.mu.Lock()
	s.asked[t.ID] = t
	s.mu.Unlock()
	if err := s.handout.emit(ctx, t.key, trial.Event{Kind: trial.Started}, false); err != nil {
		return nil, err
	}
	return t, nil
}

// Report records metrics of a trial at a step (an epoch), for the
// learning curves and for the algorithms that stop poor trials early. It
// returns stop true when the trial should stop now (pruned): tell the
// study what it reached and move on.
func (t *Trial) Report(ctx context.Context, step float64, m trial.Metrics) (stop bool, err error) {
	if err := t.study.holds(t); err != nil {
		return false, err
	}
	if err := trial.CheckReport(step, m); err != nil {
		return false, fmt.Errorf("trial %d: %w (tell the study with Fail, or fix the metric)", t.ID, err)
	}
	// Waiting for the commit (at most the scheduler's commit delay, 20 ms)
	// makes the answer the algorithm's decision on this very report.
	if err := t.study.handout.emit(ctx, t.key, trial.Event{Kind: trial.Reported, Step: step, Metrics: m}, true); err != nil {
		return false, err
	}
	return t.study.handout.stopped(t.key), nil
}

// Tell records a trial's final metrics (the objective's among them) and
// returns once they are committed to the study file. A trial told after
// Report said stop is recorded as the scheduler decided (pruned).
func (s *Study) Tell(ctx context.Context, t *Trial, m trial.Metrics) error {
	if err := s.holds(t); err != nil {
		return err
	}
	if _, ok := m[s.metric]; !ok {
		return fmt.Errorf("study %s: trial %d: the metrics have no %q (the objective)", s.name, t.ID, s.metric)
	}
	end := trial.Ended{Result: trial.Result{Metrics: m, Step: t.To}, Stopped: s.handout.stopped(t.key)}
	return s.end(ctx, t, end)
}

// Fail records that a trial's training failed with err: it counts against
// the failure budgets, and is retried as budget.retries says.
func (s *Study) Fail(ctx context.Context, t *Trial, cause error) error {
	if err := s.holds(t); err != nil {
		return err
	}
	if cause == nil {
		cause = errors.New("failed (no reason given)")
	}
	return s.end(ctx, t, trial.Ended{Err: cause})
}

func (s *Study) end(ctx context.Context, t *Trial, e trial.Ended) error {
	res := e.Classify(t.key)
	err := s.handout.emit(ctx, t.key, trial.Event{Kind: trial.Exited, Result: &res}, true)
	if err == nil || errors.Is(err, ErrClosed) {
		s.mu.Lock()
		delete(s.asked, t.ID)
		s.mu.Unlock()
	}
	return err
}

func (s *Study) holds(t *Trial) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t == nil || t.study != s || s.asked[t.ID] != t {
		return fmt.Errorf("study %s: not a trial this study handed out and is waiting for", s.name)
	}
	return nil
}

// Summary waits for the study to end (or ctx) and says how it ended: its
// status, counts and best trial.
func (s *Study) Summary(ctx context.Context) (scheduler.Summary, error) {
	select {
	case <-s.done:
	case <-ctx.Done():
		return scheduler.Summary{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.summary, s.err
}

// Close stops the scheduler and closes the study file. Trials asked and
// not told stay running in the file and are handed out again when the
// study is opened next. It returns the scheduler's error, if it failed.
func (s *Study) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	<-s.done
	err := s.store.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(s.err, context.Canceled) {
		return err // the cancel is Close's own
	}
	return errors.Join(s.err, err)
}
