// Package scheduler runs a study: one goroutine that turns worker events
// into searcher decisions, commits each step to the Store in one
// transaction (trial records and the searcher snapshot together), then
// dispatches the new jobs. It defines the Store and Dispatcher interfaces
// it consumes (implemented in backends/), recovers a study after any crash,
// and ranks its trials (the leaderboard).
package scheduler

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"automl/search"
	"automl/trial"
)

// Config configures a study run.
type Config struct {
	Space *search.Space
	// SpaceFile and SpaceText are the file the space came from and its
	// contents, stored with the study.
	SpaceFile string
	SpaceText []byte

	Store      Store
	Dispatcher Dispatcher

	// Slots is how many trials run at once (the workers' capacity).
	Slots int
	// Queue is how many jobs wait beyond Slots, so a worker that finishes
	// finds its next job without waiting for the scheduler (default: Slots
	// for the model-free samplers, 0 for the others).
	Queue int
	// Trials overrides the space file's trial budget; on a resumed study it
	// raises (or lowers) the budget in force.
	Trials int
	// Timeout overrides the space file's wall-time budget.
	Timeout time.Duration
	// Seed overrides the space file's seed. A resumed study keeps its seed;
	// asking for another is an error.
	Seed    uint64
	HasSeed bool
	// MaxFailed ends the study when this many trials have failed
	// (default: 10% of the trial budget, at least 5).
	MaxFailed int
	// Retries is how many times a trial whose code failed is run again
	// (default 0). MaxLost is how many infrastructure failures (lost
	// workers) a trial survives (default 5; negative: none); they do not
	// count as failures.
	Retries int
	MaxLost int

	Log *slog.Logger
	// Progress, when set, is called after every step with the study's state.
	Progress func(Progress)
	// Now is the clock (tests inject one).
	Now func() time.Time
	// Ready, when set, is called once the study is loaded, recovered and its
	// first jobs dispatched: in-process workers start then, so none takes a
	// job of an attempt the recovery superseded.
	Ready func()
}

// Progress is a study's state for progress displays.
type Progress struct {
	Study                             string
	Created, Budget                   int
	Completed, Failed, Pruned, Paused int
	Running, Queued                   int
	Best                              float64
	BestID                            int
	HasBest                           bool
	Elapsed                           time.Duration
	Draining                          bool
}

// Finished is the number of trials that reached a terminal state.
func (p Progress) Finished() int { return p.Completed + p.Failed + p.Pruned }

// ETA estimates the time left from the pace so far (trial budget only).
func (p Progress) ETA() (time.Duration, bool) {
	done := p.Finished()
	if p.Budget <= 0 || done == 0 || done >= p.Budget {
		return 0, false
	}
	per := p.Elapsed / time.Duration(done)
	return per * time.Duration(p.Budget-done), true
}

// Summary is how a run ended.
type Summary struct {
	Study   string
	Status  StudyStatus
	Reason  string
	Resumed bool
	Counts  map[trial.State]int
	// Best is the best completed trial, when HasBest.
	Best    trial.Record
	HasBest bool
}

// Scheduler runs one study. Create it with New, then call Run once.
type Scheduler struct {
	cfg   Config
	log   *slog.Logger
	space *search.Space
	obj   search.Objective
	drain chan struct{}

	study    *Study
	searcher search.Searcher
	rng      *rand.Rand
	pcg      *rand.PCG
	nextID   int
	trials   map[int]*trial.Record
	order    []int // ids in creation order
	history  *search.History
	resumed  bool
	created  int // trials created (new configurations)
	counts   map[trial.State]int
	stopping map[int]stopAsk // trials we asked to stop, and why
	requests chan stopRequest
	running  chan struct{} // closed when Run ends

	// one step's writes
	dirty    map[int]bool
	reports  []Report
	toSend   []trial.Spec
	toStop   []trial.Key
	toClean  []int        // trials now final whose checkpoints can go
	unsent   []trial.Spec // dispatch failed; retried
	stepAcks []func()

	searcherDone bool
	doneReason   string
	draining     bool
	failedStudy  string
	runStart     time.Time
	baseElapsed  time.Duration
	lastCommit   time.Time
	lastError    string
	pendingSince time.Time // first uncommitted change of a deferred step
	idle         bool      // the last offer of room made the searcher create nothing
	trained      float64   // resource trained by all trials (budget.max_resource_total)
	inFlight     map[int]bool
	bestID       int // -1: no completed trial yet
}

// New checks the configuration.
func New(cfg Config) (*Scheduler, error) {
	switch {
	case cfg.Space == nil:
		return nil, errors.New("scheduler: no space")
	case cfg.Store == nil:
		return nil, errors.New("scheduler: no store")
	case cfg.Dispatcher == nil:
		return nil, errors.New("scheduler: no dispatcher")
	case cfg.Slots < 1:
		return nil, fmt.Errorf("scheduler: slots must be >= 1, got %d", cfg.Slots)
	case cfg.Trials < 0:
		return nil, fmt.Errorf("scheduler: trials must be >= 0, got %d", cfg.Trials)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MaxLost == 0:
		cfg.MaxLost = 5
	case cfg.MaxLost < 0: // no re-runs after a lost worker
		cfg.MaxLost = 0
	}
	if cfg.Queue < 0 {
		cfg.Queue = 0
	}
	return &Scheduler{
		cfg:      cfg,
		log:      cfg.Log,
		space:    cfg.Space,
		obj:      cfg.Space.Objective,
		drain:    make(chan struct{}),
		trials:   map[int]*trial.Record{},
		history:  &search.History{},
		counts:   map[trial.State]int{},
		stopping: map[int]stopAsk{},
		requests: make(chan stopRequest),
		running:  make(chan struct{}),
		dirty:    map[int]bool{},
		inFlight: map[int]bool{},
		bestID:   -1,
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
	if err := s.step(ctx, nil, true); err != nil {
		return Summary{}, err
	}
	if s.cfg.Ready != nil {
		s.cfg.Ready()
	}
	events := s.cfg.Dispatcher.Events()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !s.finished() {
		var batch []Inbound
		select {
		case <-s.flushDue():
		case <-ctx.Done():
			return s.interrupt()
		case <-s.drain:
			if !s.draining {
				s.startDrain(ctx, "interrupted by the user")
			}
		case in, ok := <-events:
			if !ok {
				return s.summary(), errors.New("scheduler: the dispatcher closed its event stream")
			}
			batch = append(batch, in)
			batch = gather(events, batch, 1024)
		case r := <-s.requests:
			r.reply <- s.userStop(ctx, r)
		case <-tick.C:
		}
		if s.timedOut() && !s.draining {
			s.startDrain(ctx, "timeout reached")
		}
		if err := s.step(ctx, batch, false); err != nil {
			return s.summary(), err
		}
		if s.failedStudy != "" && !s.draining {
			// The study has failed: the queued trials would most likely
			// fail alike, so they are withdrawn (they stay pending, and
			// run if the study is continued), not run for nothing.
			s.startDrain(ctx, "too many failed trials")
		}
	}
	return s.finish(ctx)
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

// open loads or creates the study.
func (s *Scheduler) open(ctx context.Context) error {
	st, err := s.cfg.Store.Load(ctx, s.space.Study)
	if err != nil {
		return fmt.Errorf("load study %s: %w", s.space.Study, err)
	}
	now := s.cfg.Now()
	if st.Study != nil {
		if err := s.checkResume(st); err != nil {
			return err
		}
	}
	// The searcher is built for the study's seed, also when the file gave
	// none: samplers fix their scramble or initial design from it.
	space := *s.space
	space.Algorithm.Seed, space.Algorithm.HasSeed = s.studySeed(st), true
	s.space = &space
	searcher, err := search.NewSearcher(s.space)
	if err != nil {
		return fmt.Errorf("study %s: %w", s.space.Study, err)
	}
	s.searcher = searcher
	if st.Study == nil {
		seed := s.space.Algorithm.Seed
		s.study = &Study{
			Name:      s.space.Study,
			SpaceFile: s.cfg.SpaceFile,
			SpaceText: s.cfg.SpaceText,
			Metric:    s.obj.Metric,
			Direction: s.obj.Direction.String(),
			Algorithm: s.space.Algorithm.Name,
			Seed:      seed,
			Trials:    s.space.Budget.Trials,
			Timeout:   s.space.Budget.Timeout,
			Status:    StudyRunning,
			Created:   now,
		}
		s.pcg = rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
		s.rng = rand.New(s.pcg)
	} else {
		s.resumed = true
		s.study = st.Study
		s.baseElapsed = st.Study.Elapsed
		s.pcg = &rand.PCG{}
		if err := s.pcg.UnmarshalBinary(st.Snapshot.Rng); err != nil {
			return fmt.Errorf("study %s: restore rng: %w", s.space.Study, err)
		}
		s.rng = rand.New(s.pcg)
		if err := s.searcher.Restore(st.Snapshot.Searcher); err != nil {
			return fmt.Errorf("study %s: restore searcher: %w", s.space.Study, err)
		}
		s.nextID = st.Snapshot.NextID
		for i := range st.Trials {
			rec := st.Trials[i]
			s.trials[rec.ID] = &rec
			s.order = append(s.order, rec.ID)
			s.counts[rec.State]++
			if rec.State == trial.Pending || rec.State == trial.Running {
				s.inFlight[rec.ID] = true
			}
			s.trained += rec.Resource
			o := s.observation(&rec)
			if rec.Reports > 0 {
				if o.Curve, err = s.curve(ctx, rec.ID); err != nil {
					return err
				}
			}
			s.history.Add(o)
			s.noteBest(s.trials[rec.ID])
		}
		s.created = len(st.Trials)
		s.study.Status = StudyRunning
		s.study.Reason = ""
	}
	if s.cfg.Trials > 0 {
		s.study.Trials = s.cfg.Trials
	}
	if s.cfg.Timeout > 0 {
		s.study.Timeout = s.cfg.Timeout
	}
	s.study.Slots = s.cfg.Slots
	if s.cfg.MaxFailed == 0 {
		s.cfg.MaxFailed = max(5, s.study.Trials/10)
	}
	if s.study.Trials == 0 && s.study.Timeout == 0 && s.space.Budget.MaxResourceTotal == 0 {
		s.log.Warn("study has no budget: it runs until its space is exhausted or it is interrupted", "study", s.study.Name)
	}
	return nil
}

// studySeed is the seed of the study: the stored one on resume; else
// --seed, the file's, or one chosen now (and recorded with the study).
func (s *Scheduler) studySeed(st StudyState) uint64 {
	switch {
	case st.Study != nil:
		return st.Study.Seed
	case s.cfg.HasSeed:
		return s.cfg.Seed
	case s.space.Algorithm.HasSeed:
		return s.space.Algorithm.Seed
	}
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1
}

// checkResume refuses to continue a study with a different space or seed.
func (s *Scheduler) checkResume(st StudyState) error {
	old, err := search.Parse(st.Study.SpaceFile, st.Study.SpaceText)
	if err != nil {
		return fmt.Errorf("study %s: its stored space file no longer parses: %w", st.Study.Name, err)
	}
	if diff := search.Diff(old, s.space); diff != "" {
		return fmt.Errorf("study %q already exists with a different space (%s); to start a new study, change `study:` in %s or use another --db", st.Study.Name, diff, s.cfg.SpaceFile)
	}
	if s.cfg.HasSeed && s.cfg.Seed != st.Study.Seed {
		return fmt.Errorf("study %q was created with seed %d; it cannot continue with --seed %d", st.Study.Name, st.Study.Seed, s.cfg.Seed)
	}
	if st.Snapshot.Version > SnapshotVersion {
		return fmt.Errorf("study %q has snapshot version %d, newer than this automl (%d)", st.Study.Name, st.Snapshot.Version, SnapshotVersion)
	}
	return nil
}

// recover re-queues the trials a previous run left pending or running: the
// jobs of a dead scheduler may be lost or half-done, so each gets a new
// attempt (a late result of the old one is then ignored) and its old job is
// withdrawn from the queue. Completed trials are never run again.
func (s *Scheduler) recover(ctx context.Context) error {
	if !s.resumed {
		return nil
	}
	n := 0
	for _, id := range s.order {
		rec := s.trials[id]
		if rec.State != trial.Pending && rec.State != trial.Running {
			continue
		}
		if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
			return fmt.Errorf("recover trial %d: %w", id, err)
		}
		if rec.State == trial.Running {
			s.setState(rec, trial.Pending)
			rec.Note = "re-queued after the scheduler restarted"
		}
		rec.Attempt++
		rec.Delivery = 0
		s.dirty[id] = true
		s.toSend = append(s.toSend, s.spec(rec))
		n++
	}
	if n > 0 {
		s.log.Info("resumed study: re-queued unfinished trials", "study", s.study.Name, "trials", n)
	}
	return nil
}

func (s *Scheduler) observation(rec *trial.Record) search.Observation {
	o := search.Observation{ID: rec.ID, Resource: rec.Resource}
	p, err := s.space.PointOf(rec.Params)
	if err != nil {
		s.log.Warn("trial params do not fit the space", "trial", rec.ID, "err", err)
	}
	o.Point = p
	s.fillObservation(&o, rec)
	return o
}

func (s *Scheduler) fillObservation(o *search.Observation, rec *trial.Record) {
	o.Resource = rec.Resource
	o.HasLoss = rec.HasValue
	if rec.HasValue {
		o.Loss = s.obj.Loss(rec.Value)
	}
	switch rec.State {
	case trial.Completed, trial.Paused:
		o.Status = search.Complete
	case trial.Pruned:
		o.Status = search.Pruned
	case trial.Failed, trial.Stopped:
		o.Status = search.Failed
	default:
		o.Status = search.Pending
	}
}

func (s *Scheduler) setState(rec *trial.Record, to trial.State) {
	if err := trial.Transition(rec.State, to); err != nil {
		// The scheduler only asks for legal transitions; reaching this is a bug.
		s.log.Error("bug: illegal transition", "trial", rec.ID, "err", err)
		return
	}
	s.counts[rec.State]--
	rec.State = to
	s.counts[to]++
	if to == trial.Pending || to == trial.Running {
		s.inFlight[rec.ID] = true
	} else {
		delete(s.inFlight, rec.ID)
	}
	s.dirty[rec.ID] = true
	if to.Terminal() && rec.Checkpoint != "" {
		s.toClean = append(s.toClean, rec.ID)
	}
	s.noteBest(rec)
	if o, ok := s.history.Get(rec.ID); ok {
		s.fillObservation(o, rec)
	}
}

func (s *Scheduler) spec(rec *trial.Record) trial.Spec {
	return trial.Spec{
		Key:    rec.Key(s.study.Name),
		Params: rec.Params,
		Trainer: trial.Trainer{
			Plugin:    s.space.Trainer.Plugin,
			Config:    s.space.Trainer.Config,
			Reuse:     s.space.Trainer.Reuse,
			Prelaunch: s.space.Trainer.Prelaunch,
			SHA256:    s.space.Trainer.SHA256,
			Timeout:   s.space.Trainer.Timeout,
		},
		Objective:   trial.Objective{Metric: s.obj.Metric, Direction: s.obj.Direction.String()},
		Resource:    s.space.Resource,
		From:        rec.From,
		To:          rec.To,
		Checkpoint:  rec.Checkpoint,
		Seed:        trialSeed(s.study.Seed, rec.ID),
		Pool:        s.space.Trainer.Pool,
		MaxResource: s.maxResource(),
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
		Space:   s.space,
		History: s.history,
		Rng:     s.rng,
		Want:    s.want(),
		Jobs:    s.jobs(),
		NewID: func() int {
			id := s.nextID
			s.nextID++
			return id
		},
	}
}

// jobs is how many jobs of any kind (new trials, promotions) fit now: free
// slots (plus the queue), none once the resource budget is spoken for.
func (s *Scheduler) jobs() int {
	if s.searcherDone || s.draining || s.failedStudy != "" || s.resourceSpent() {
		return 0
	}
	free := s.cfg.Slots + s.cfg.Queue - s.counts[trial.Pending] - s.counts[trial.Running]
	if s.cfg.Queue > 0 && free < (s.cfg.Queue+1)/2 {
		// Refill the queue in halves, not a job per finished trial: the
		// workers still have queued jobs, and each refill is a commit.
		// Counted over pending and running together: a worker may report
		// a short trial's start only with its end (natsbus), so a trial
		// seen pending may well be running.
		free = 0
	}
	return max(free, 0)
}

// want is how many new trials fit now: jobs within the trial budget.
func (s *Scheduler) want() int {
	free := s.jobs()
	if s.study.Trials > 0 {
		free = min(free, s.study.Trials-s.created)
	}
	return max(free, 0)
}

// resourceSpent reports whether the resource budget (max_resource_total)
// is used: what trials trained plus what queued and running jobs will
// train.
func (s *Scheduler) resourceSpent() bool {
	limit := s.space.Budget.MaxResourceTotal
	return limit > 0 && s.trained+s.reserved() >= limit
}

// reserved is the resource the pending and running jobs may still train.
func (s *Scheduler) reserved() float64 {
	r := 0.0
	for _, id := range s.active() {
		rec := s.trials[id]
		if rec.To > 0 {
			r += max(0, rec.To-max(rec.From, rec.Resource))
		}
	}
	return r
}

// active lists the pending and running trials (few: at most slots + queue).
func (s *Scheduler) active() []int {
	if s.counts[trial.Pending]+s.counts[trial.Running] == 0 {
		return nil
	}
	var ids []int
	for id := range s.inFlight {
		ids = append(ids, id)
	}
	return ids
}

// step applies a batch of events, lets the searcher act, commits once,
// then acknowledges the events and dispatches the new jobs.
func (s *Scheduler) step(ctx context.Context, batch []Inbound, start bool) error {
	for _, in := range batch {
		if err := s.apply(in.Event); err != nil {
			return err
		}
		s.stepAcks = append(s.stepAcks, in.Ack)
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
	s.idle = asked && s.jobs() > 0 && len(s.toSend) == 0
	// Jobs and stop requests go out only after their commit. A step that
	// only records what workers said (trials started, intermediate
	// reports) may wait for the next step's commit, up to commitDelay: its
	// events stay unacknowledged until then, so nothing is lost, and a
	// busy study makes half as many fsyncs.
	urgent := start || len(s.toSend) > 0 || len(s.toStop) > 0 || len(s.unsent) > 0 || s.draining
	now := s.cfg.Now()
	if !urgent && (s.pendingSince.IsZero() || now.Sub(s.pendingSince) < commitDelay) {
		if s.pendingSince.IsZero() && (len(s.dirty) > 0 || len(s.reports) > 0 || len(s.stepAcks) > 0) {
			s.pendingSince = now
		}
		s.progress()
		return nil
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	s.send(ctx)
	s.progress()
	return nil
}

// commitDelay bounds how long a step that dispatches nothing may wait for
// the next commit.
const commitDelay = 20 * time.Millisecond

// flush commits the pending changes, then acknowledges their events.
func (s *Scheduler) flush(ctx context.Context) error {
	if err := s.commit(ctx); err != nil {
		return err
	}
	for _, ack := range s.stepAcks {
		if ack != nil {
			ack()
		}
	}
	s.stepAcks = s.stepAcks[:0]
	s.pendingSince = time.Time{}
	return nil
}

// flushDue is when the deferred commit must happen (nil: none pending).
func (s *Scheduler) flushDue() <-chan time.Time {
	if s.pendingSince.IsZero() {
		return nil
	}
	return time.After(max(0, commitDelay-s.cfg.Now().Sub(s.pendingSince)))
}

// apply folds one worker event into the trial records. Stale events (an
// older attempt, an older delivery of this attempt, a finished trial) and
// duplicates change nothing.
func (s *Scheduler) apply(ev trial.Event) error {
	if ev.Key.Study != s.study.Name {
		return nil
	}
	rec, ok := s.trials[ev.Key.ID]
	if !ok {
		s.log.Warn("event for an unknown trial dropped", "trial", ev.Key.ID, "kind", ev.Kind)
		return nil
	}
	if ev.Key.Attempt != rec.Attempt || rec.State.Terminal() || ev.Delivery < rec.Delivery || rec.State == trial.Paused {
		return nil
	}
	if ev.Delivery > rec.Delivery {
		rec.Delivery = ev.Delivery
		s.dirty[rec.ID] = true
		if _, asked := s.stopping[rec.ID]; asked && ev.Kind != trial.Exited {
			// The job went to another worker (its first one was lost) before
			// the stop reached it: ask again.
			s.toStop = append(s.toStop, rec.Key(s.study.Name))
		}
	}
	if rec.State == trial.Pending {
		s.setState(rec, trial.Running)
		rec.Started = ev.Time
	}
	if ev.Worker != "" {
		rec.Worker, rec.GPUs = ev.Worker, ev.GPUs
	}
	switch ev.Kind {
	case trial.Started:
		rec.Note = ""
	case trial.Reported:
		return s.applyReport(rec, ev)
	case trial.Exited:
		return s.applyExit(rec, ev)
	}
	return nil
}

func (s *Scheduler) applyReport(rec *trial.Record, ev trial.Event) error {
	s.reports = append(s.reports, Report{ID: rec.ID, Attempt: rec.Attempt, Step: ev.Step, Metrics: ev.Metrics, Time: ev.Time})
	if ev.Step > rec.Resource {
		s.reach(rec, ev.Step)
		rec.Reports++
		s.dirty[rec.ID] = true
	}
	v, ok := ev.Metrics[s.obj.Metric]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	if o, ok := s.history.Get(rec.ID); ok {
		o.Curve = append(o.Curve, search.CurvePoint{Step: ev.Step, Loss: s.obj.Loss(v)})
	}
	acts, err := s.searcher.Observe(s.context(), search.Event{Kind: search.Reported, ID: rec.ID, Step: ev.Step, Loss: s.obj.Loss(v), HasLoss: true})
	if err != nil {
		return fmt.Errorf("searcher: %w", err)
	}
	return s.act(acts)
}

func (s *Scheduler) applyExit(rec *trial.Record, ev trial.Event) error {
	res := ev.Result
	if res == nil {
		res = &trial.Result{Outcome: trial.ExitLost, Error: "exited without a result"}
	}
	if !ev.Time.IsZero() && !rec.Started.IsZero() {
		rec.Busy += ev.Time.Sub(rec.Started)
	}
	rec.Finished = ev.Time
	if res.Step > rec.Resource {
		s.reach(rec, res.Step)
	}
	if len(res.Metrics) > 0 {
		rec.Metrics = res.Metrics
	}
	if res.Checkpoint != "" {
		rec.Checkpoint = res.Checkpoint
	}
	outcome := res.Outcome
	if outcome == trial.ExitDone && rec.Pause {
		// The job reached its rung: the trial waits there for a promotion.
		outcome = trial.ExitPaused
	}
	if ask, asked := s.stopping[rec.ID]; asked {
		delete(s.stopping, rec.ID)
		switch {
		case ask.user && outcome != trial.ExitDone:
			// A user abort ends the trial whatever the worker says (aborted,
			// lost, crashed, paused): it is never retried or promoted.
			return s.userStopped(rec, res, ask.reason)
		case !ask.user && (outcome == trial.ExitAborted || outcome == trial.ExitPruned):
			rec.Note = ask.reason
			outcome = trial.ExitPruned
		}
	}
	var status search.Status
	switch outcome {
	case trial.ExitDone, trial.ExitPaused, trial.ExitPruned:
		v, ok := res.Metrics[s.obj.Metric]
		switch {
		case ok && !math.IsNaN(v) && !math.IsInf(v, 0):
			rec.Value, rec.HasValue = v, true
		case outcome == trial.ExitPruned:
		case !ok:
			return s.fail(rec, fmt.Sprintf("the trainer did not report the objective metric %q (it reported: %s)", s.obj.Metric, metricNames(res.Metrics)))
		default:
			return s.fail(rec, fmt.Sprintf("objective metric %q is %v", s.obj.Metric, v))
		}
		switch outcome {
		case trial.ExitDone:
			s.setState(rec, trial.Completed)
			status = search.Complete
		case trial.ExitPaused:
			s.setState(rec, trial.Paused)
			status = search.Complete
		default:
			s.setState(rec, trial.Pruned)
			status = search.Pruned
		}
		rec.Error = ""
	case trial.ExitCrashed:
		rec.Failures++
		rec.Error = res.Error
		if rec.Failures <= s.cfg.Retries {
			s.requeue(rec, fmt.Sprintf("retry %d of %d after: %s", rec.Failures, s.cfg.Retries, firstLine(res.Error)))
			return nil
		}
		return s.fail(rec, res.Error)
	case trial.ExitLost, trial.ExitAborted:
		// Aborted without our asking: the worker shut down under the trial.
		rec.Lost++
		rec.Error = res.Error
		if rec.Lost <= s.cfg.MaxLost {
			s.requeue(rec, fmt.Sprintf("re-queued (infrastructure, %d of %d): %s", rec.Lost, s.cfg.MaxLost, firstLine(res.Error)))
			return nil
		}
		return s.fail(rec, fmt.Sprintf("lost %d times; last: %s", rec.Lost, res.Error))
	default:
		return s.fail(rec, fmt.Sprintf("unknown outcome %v", outcome))
	}
	return s.observeExit(rec, status)
}

func (s *Scheduler) fail(rec *trial.Record, msg string) error {
	rec.Error = msg
	s.lastError = fmt.Sprintf("trial %d: %s", rec.ID, firstLine(msg))
	s.setState(rec, trial.Failed)
	if s.counts[trial.Failed] >= s.cfg.MaxFailed && s.failedStudy == "" {
		s.failedStudy = fmt.Sprintf("%d trials failed (limit %d); last: %s", s.counts[trial.Failed], s.cfg.MaxFailed, s.lastError)
		s.log.Error("study failing: too many failed trials", "study", s.study.Name, "failed", s.counts[trial.Failed])
	}
	return s.observeExit(rec, search.Failed)
}

func (s *Scheduler) observeExit(rec *trial.Record, status search.Status) error {
	ev := search.Event{Kind: search.Exited, ID: rec.ID, Status: status, Step: rec.Resource}
	if rec.HasValue {
		ev.Loss, ev.HasLoss = s.obj.Loss(rec.Value), true
	}
	acts, err := s.searcher.Observe(s.context(), ev)
	if err != nil {
		return fmt.Errorf("searcher: %w", err)
	}
	return s.act(acts)
}

// requeue gives a running trial a new attempt.
func (s *Scheduler) requeue(rec *trial.Record, note string) {
	s.setState(rec, trial.Pending)
	rec.Attempt++
	rec.Delivery = 0
	rec.Note = note
	s.log.Info("trial re-queued", "trial", rec.ID, "why", note)
	s.toSend = append(s.toSend, s.spec(rec))
}

// act carries out the searcher's actions on the in-memory state.
func (s *Scheduler) act(acts []search.Action) error {
	now := s.cfg.Now()
	for _, a := range acts {
		switch a.Kind {
		case search.Create:
			if rec, ok := s.trials[a.ID]; ok {
				if err := s.promote(rec, a); err != nil {
					return err
				}
				continue
			}
			if err := s.space.Check(a.Point); err != nil {
				return fmt.Errorf("searcher proposed an invalid point for trial %d: %w", a.ID, err)
			}
			rec := &trial.Record{
				ID: a.ID, State: trial.Pending, Params: s.space.Values(a.Point),
				Attempt: 1, From: a.Span.From, To: a.Span.To, Pause: a.Span.Pause, Created: now,
			}
			s.trials[a.ID] = rec
			s.order = append(s.order, a.ID)
			s.counts[trial.Pending]++
			s.inFlight[a.ID] = true
			s.created++
			s.dirty[a.ID] = true
			s.history.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
			s.toSend = append(s.toSend, s.spec(rec))
		case search.Stop:
			rec, ok := s.trials[a.ID]
			if !ok || rec.State.Terminal() {
				continue
			}
			reason := a.Reason
			if reason == "" {
				reason = "stopped by the searcher"
			}
			switch rec.State {
			case trial.Running:
				if _, asked := s.stopping[a.ID]; !asked {
					s.stopping[a.ID] = stopAsk{reason: reason}
				}
				s.toStop = append(s.toStop, rec.Key(s.study.Name))
			case trial.Pending, trial.Paused:
				rec.Note = reason
				s.setState(rec, trial.Pruned)
				s.toStop = append(s.toStop, rec.Key(s.study.Name))
			}
		case search.Done:
			if !s.searcherDone {
				s.searcherDone, s.doneReason = true, a.Reason
				s.log.Info("searcher finished", "study", s.study.Name, "reason", a.Reason)
			}
		}
	}
	return nil
}

// promote continues a paused trial over a new span from its checkpoint.
func (s *Scheduler) promote(rec *trial.Record, a search.Action) error {
	if rec.State != trial.Paused {
		return fmt.Errorf("searcher asked to continue trial %d, which is %s, not paused", rec.ID, rec.State)
	}
	s.setState(rec, trial.Pending)
	rec.Attempt++
	rec.Delivery = 0
	rec.Rung++
	rec.From, rec.To, rec.Pause = a.Span.From, a.Span.To, a.Span.Pause
	rec.Note = fmt.Sprintf("promoted to %s %g", s.space.Resource, a.Span.To)
	if rec.Checkpoint == "" && rec.From > 0 {
		// The trainer kept no checkpoint at the rung: train again from zero.
		rec.From = 0
		rec.Note += "; restarted from 0: the trainer kept no checkpoint"
	}
	s.toSend = append(s.toSend, s.spec(rec))
	return nil
}

func (s *Scheduler) commit(ctx context.Context) error {
	if len(s.dirty) == 0 && len(s.reports) == 0 && len(s.toSend) == 0 && !s.studyChanged() {
		return nil
	}
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	s.study.Updated = s.cfg.Now()
	s.study.Elapsed = s.elapsed()
	study := *s.study
	c := Change{Study: &study, Snapshot: &snap, Reports: s.reports}
	// The dirty trials, in id order, found without walking every trial of
	// the study (a commit's cost must not grow with the study).
	ids := make([]int, 0, len(s.dirty))
	for id := range s.dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	c.Trials = make([]trial.Record, len(ids))
	for i, id := range ids {
		c.Trials[i] = *s.trials[id]
	}
	if err := s.cfg.Store.Commit(ctx, s.study.Name, c); err != nil {
		return fmt.Errorf("commit study %s: %w", s.study.Name, err)
	}
	clear(s.dirty)
	s.reports = s.reports[:0]
	s.lastCommit = s.cfg.Now()
	return nil
}

func (s *Scheduler) studyChanged() bool {
	return s.lastCommit.IsZero() || s.cfg.Now().Sub(s.lastCommit) > 5*time.Second
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
	specs := append(s.unsent, s.toSend...)
	s.toSend, s.unsent = s.toSend[:0], nil
	if s.failedStudy != "" || s.draining {
		// The study is ending: a retry or promotion decided in the step
		// that failed it (or since the drain began) stays pending, as the
		// withdrawn jobs do, and runs if the study is continued. Sent now,
		// a worker could start it before the drain withdraws it.
		specs = nil
	}
	if len(specs) > 0 {
		if err := s.cfg.Dispatcher.Dispatch(ctx, specs); err != nil {
			s.log.Warn("dispatch failed; will retry", "jobs", len(specs), "err", err)
			s.unsent = specs
		}
	}
	for _, k := range s.toStop {
		if err := s.cfg.Dispatcher.Stop(ctx, k); err != nil {
			s.log.Warn("stop request failed", "trial", k.ID, "err", err)
		}
	}
	s.toStop = s.toStop[:0]
	s.clean(ctx)
}

// CheckpointCleaner is implemented by Dispatchers that keep trial
// checkpoints (backends/natsbus). After a commit that made trials final
// (completed, failed, pruned, stopped), the scheduler asks it to delete
// their checkpoints: nothing will resume them. Best effort: a failure is
// logged, and a checkpoint left behind costs only space.
type CheckpointCleaner interface {
	DeleteCheckpoints(ctx context.Context, study string, ids []int) error
}

func (s *Scheduler) clean(ctx context.Context) {
	if len(s.toClean) == 0 {
		return
	}
	if c, ok := s.cfg.Dispatcher.(CheckpointCleaner); ok {
		if err := c.DeleteCheckpoints(ctx, s.study.Name, s.toClean); err != nil {
			s.log.Warn("delete checkpoints of finished trials", "trials", len(s.toClean), "err", err)
		}
	}
	s.toClean = s.toClean[:0]
}

func (s *Scheduler) elapsed() time.Duration {
	return s.baseElapsed + s.cfg.Now().Sub(s.runStart)
}

func (s *Scheduler) timedOut() bool {
	return s.study.Timeout > 0 && s.elapsed() >= s.study.Timeout
}

// startDrain stops creating trials and withdraws the queued ones (they stay
// pending in the store and run when the study resumes).
func (s *Scheduler) startDrain(ctx context.Context, why string) {
	s.draining = true
	if s.doneReason == "" {
		s.doneReason = why
	}
	s.log.Info("draining: waiting for running trials", "study", s.study.Name, "why", why, "running", s.counts[trial.Running])
	s.unsent = nil
	for _, id := range s.order {
		if rec := s.trials[id]; rec.State == trial.Pending {
			if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
				s.log.Warn("withdraw failed", "trial", id, "err", err)
			}
		}
	}
}

// finished: nothing more will be created and nothing is running.
func (s *Scheduler) finished() bool {
	if s.counts[trial.Running] > 0 {
		return false
	}
	if s.draining {
		return true
	}
	if s.counts[trial.Pending] > 0 {
		return false
	}
	return s.searcherDone || s.failedStudy != "" || s.idle || s.resourceSpent()
}

func (s *Scheduler) finish(ctx context.Context) (Summary, error) {
	switch {
	case s.failedStudy != "":
		s.study.Status, s.study.Reason = StudyFailed, s.failedStudy
	case s.draining && s.doneReason != "timeout reached":
		s.study.Status, s.study.Reason = StudyInterrupted, s.doneReason
	default:
		s.study.Status = StudyDone
		switch {
		case s.doneReason != "":
			s.study.Reason = s.doneReason
		case s.resourceSpent():
			s.study.Reason = fmt.Sprintf("resource budget of %g %s used", s.space.Budget.MaxResourceTotal, s.space.Resource)
		case s.study.Trials > 0 && s.created >= s.study.Trials:
			s.study.Reason = fmt.Sprintf("trial budget of %d used", s.study.Trials)
		default:
			s.study.Reason = "the searcher has nothing more to run"
		}
		// The study is over: trials paused at a rung are final there.
		for _, id := range s.order {
			if rec := s.trials[id]; rec.State == trial.Paused {
				rec.Note = fmt.Sprintf("ended at %s %g (not promoted)", s.space.Resource, rec.Resource)
				s.setState(rec, trial.Completed)
			}
		}
	}
	s.lastCommit = time.Time{}
	if err := s.flush(ctx); err != nil {
		return s.summary(), err
	}
	s.clean(ctx)
	s.progress()
	return s.summary(), nil
}

// interrupt handles a cancelled run: running trials are asked to stop and
// stay recorded as running, so a resume re-runs them.
func (s *Scheduler) interrupt() (Summary, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range s.order {
		if rec := s.trials[id]; rec.State == trial.Running {
			_ = s.cfg.Dispatcher.Stop(ctx, rec.Key(s.study.Name))
		}
	}
	s.study.Status, s.study.Reason = StudyInterrupted, "cancelled by the user"
	s.lastCommit = time.Time{}
	s.stepAcks = s.stepAcks[:0]
	if err := s.commit(ctx); err != nil {
		return s.summary(), err
	}
	return s.summary(), context.Canceled
}

func (s *Scheduler) summary() Summary {
	sum := Summary{Study: s.study.Name, Status: s.study.Status, Reason: s.study.Reason, Resumed: s.resumed, Counts: map[trial.State]int{}}
	for st, n := range s.counts {
		if n > 0 {
			sum.Counts[st] = n
		}
	}
	if best, ok := s.best(); ok {
		sum.Best, sum.HasBest = *best, true
	}
	return sum
}

// noteBest keeps the best completed trial up to date as trials complete
// (completed is terminal, so the best only ever improves).
func (s *Scheduler) noteBest(rec *trial.Record) {
	if rec.State != trial.Completed || !rec.HasValue {
		return
	}
	if s.bestID < 0 || s.obj.Better(rec.Value, s.trials[s.bestID].Value) {
		s.bestID = rec.ID
	}
}

func (s *Scheduler) best() (*trial.Record, bool) {
	if s.bestID < 0 {
		return nil, false
	}
	return s.trials[s.bestID], true
}

func (s *Scheduler) progress() {
	if s.cfg.Progress == nil {
		return
	}
	p := Progress{
		Study: s.study.Name, Created: s.created, Budget: s.study.Trials,
		Completed: s.counts[trial.Completed], Failed: s.counts[trial.Failed],
		Pruned: s.counts[trial.Pruned] + s.counts[trial.Stopped], Paused: s.counts[trial.Paused],
		Running: s.counts[trial.Running], Queued: s.counts[trial.Pending],
		Elapsed: s.elapsed(), Draining: s.draining,
	}
	if b, ok := s.best(); ok {
		p.Best, p.BestID, p.HasBest = b.Value, b.ID, true
	}
	s.cfg.Progress(p)
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func metricNames(m trial.Metrics) string {
	if len(m) == 0 {
		return "nothing"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// stopAsk is a stop the scheduler sent to a running trial's worker: by the
// searcher (the trial ends pruned) or by the user (it ends stopped).
type stopAsk struct {
	reason string
	user   bool
}

// UserStopReason is the note of a trial, and the reason of a study, a user
// stopped (automl stop).
const UserStopReason = "stopped by the user"

// ErrNotRunning is returned by StopTrials when Run is not running.
var ErrNotRunning = errors.New("the scheduler is not running")

// StopResult says what a stop request did, trial by trial.
type StopResult struct {
	// Stopping: running trials asked to stop; they end stopped when their
	// worker answers. Stopped: pending or paused trials, stopped at once.
	Stopping, Stopped []int
	// Finished maps trials that had already ended to their state.
	Finished map[int]trial.State
	// Unknown are ids the study does not have.
	Unknown []int
	// Draining is set when the request stopped the whole study.
	Draining bool
}

type stopRequest struct {
	ids    []int
	reason string
	reply  chan StopResult
}

// StopTrials is a user's abort, safe to call from any goroutine while Run
// runs: the trials with the given ids end in state Stopped (a running
// trial's worker is asked to stop it; it is never retried), or, with no
// ids, the whole study drains (no new trials; running ones finish; the
// study can be continued later). reason is recorded as the trials' note
// (default UserStopReason).
func (s *Scheduler) StopTrials(ctx context.Context, ids []int, reason string) (StopResult, error) {
	if reason == "" {
		reason = UserStopReason
	}
	r := stopRequest{ids: ids, reason: reason, reply: make(chan StopResult, 1)}
	select {
	case s.requests <- r:
	case <-s.running:
		return StopResult{}, ErrNotRunning
	case <-ctx.Done():
		return StopResult{}, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res, nil
	case <-ctx.Done():
		return StopResult{}, ctx.Err()
	}
}

// userStop carries out a stop request inside the loop; the step that
// follows commits it and sends the stop requests.
func (s *Scheduler) userStop(ctx context.Context, r stopRequest) StopResult {
	var res StopResult
	if len(r.ids) == 0 {
		if !s.draining {
			s.startDrain(ctx, r.reason)
		}
		res.Draining = true
		return res
	}
	for _, id := range r.ids {
		rec, ok := s.trials[id]
		switch {
		case !ok:
			res.Unknown = append(res.Unknown, id)
		case rec.State.Terminal():
			if res.Finished == nil {
				res.Finished = map[int]trial.State{}
			}
			res.Finished[id] = rec.State
		case rec.State == trial.Running:
			s.stopping[id] = stopAsk{reason: r.reason, user: true}
			s.toStop = append(s.toStop, rec.Key(s.study.Name))
			res.Stopping = append(res.Stopping, id)
			s.log.Info("stopping trial on the user's request", "trial", id)
		default: // pending or paused: no worker holds it (or one just took it)
			if rec.State == trial.Pending {
				if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
					s.log.Warn("withdraw stopped trial", "trial", id, "err", err)
				}
				s.toStop = append(s.toStop, rec.Key(s.study.Name))
			}
			rec.Note = r.reason
			s.setState(rec, trial.Stopped)
			if err := s.observeExit(rec, search.Failed); err != nil {
				s.log.Error("searcher rejected a stopped trial", "trial", id, "err", err)
			}
			res.Stopped = append(res.Stopped, id)
			s.log.Info("trial stopped by the user", "trial", id)
		}
	}
	return res
}

// userStopped ends a trial the user stopped, keeping what it reported.
func (s *Scheduler) userStopped(rec *trial.Record, res *trial.Result, reason string) error {
	if v, ok := res.Metrics[s.obj.Metric]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
		rec.Value, rec.HasValue = v, true
	}
	rec.Note = reason
	rec.Error = ""
	s.setState(rec, trial.Stopped)
	s.log.Info("trial stopped by the user", "trial", rec.ID)
	return s.observeExit(rec, search.Failed)
}

// reach records that a trial trained up to step (its resource), for the
// resource budget.
func (s *Scheduler) reach(rec *trial.Record, step float64) {
	s.trained += step - max(rec.Resource, rec.From)
	rec.Resource = step
}

// curve rebuilds a trial's learning curve from its stored reports (on resume).
func (s *Scheduler) curve(ctx context.Context, id int) ([]search.CurvePoint, error) {
	reps, err := s.cfg.Store.Reports(ctx, s.study.Name, id)
	if err != nil {
		return nil, fmt.Errorf("load reports of trial %d: %w", id, err)
	}
	var c []search.CurvePoint
	for _, r := range reps {
		if v, ok := r.Metrics[s.obj.Metric]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			c = append(c, search.CurvePoint{Step: r.Step, Loss: s.obj.Loss(v)})
		}
	}
	return c, nil
}

// maxResource is the trials' full budget when the algorithm sets one.
func (s *Scheduler) maxResource() float64 {
	if v, ok := s.space.Algorithm.Options["max_resource"]; ok {
		if x, ok := v.Float(); ok {
			return x
		}
	}
	return 0
}
