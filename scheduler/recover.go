package scheduler

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"

	"automl/search"
	"automl/spacefile"
	"automl/trial"
)

// open loads the study, or creates it: its record, seed, rng, searcher and
// ledger. A resumed study keeps what it was created with.
func (s *Scheduler) open(ctx context.Context) error {
	f := s.cfg.File
	st, err := s.cfg.Store.Load(ctx, f.Study)
	if err != nil {
		return fmt.Errorf("load study %s: %w", f.Study, err)
	}
	if st.Study != nil {
		if err := s.checkResume(st); err != nil {
			return err
		}
	}
	seed := s.studySeed(st)
	// The searcher is built for the study's seed, also when the file gave
	// none: samplers fix their scramble or initial design from it.
	if s.searcher, err = search.Timed(search.NewSearcher(f.Space, f.Algorithm.Settings(seed))); err != nil {
		return fmt.Errorf("study %s: %w", f.Study, err)
	}
	now := s.cfg.Now()
	budget := f.Budget.Override(s.cfg.Override)
	if st.Study == nil {
		s.study = &Study{
			Name: f.Study, Incarnation: newIncarnation(), SpaceFile: f.Path, SpaceText: f.Text,
			Objective: f.Objective, Objectives: f.Objectives, Constraints: f.Constraints, Algorithm: f.Algorithm.Name, Seed: seed,
			Trials: budget.Trials, Timeout: budget.Timeout, FileTrials: new(f.Budget.Trials), FileTimeout: new(f.Budget.Timeout),
			Status: StudyRunning, Created: now,
		}
		s.pcg = rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
		for _, p := range f.Enqueue { // the space file's enqueue: runs first
			s.study.Queue = append(s.study.Queue, Queued{Params: p.Values, Source: p.Source, Time: now})
		}
	} else {
		s.resumed = true
		s.study = st.Study
		s.baseElapsed = st.Study.Elapsed
		s.pcg = &rand.PCG{}
		if err := s.pcg.UnmarshalBinary(st.Snapshot.Rng); err != nil {
			return fmt.Errorf("study %s: restore rng: %w", f.Study, err)
		}
		if err := s.searcher.Restore(st.Snapshot.Searcher); err != nil {
			return fmt.Errorf("study %s: restore searcher: %w", f.Study, err)
		}
		s.nextID = st.Snapshot.NextID
		s.study.Status, s.study.Reason = StudyRunning, ""
		// Without Settle the command line's budget replaces the stored one.
		if o := s.cfg.Override; s.cfg.Settle == nil && o.Trials > 0 {
			s.study.Trials = o.Trials
		}
		if o := s.cfg.Override; s.cfg.Settle == nil && o.Timeout > 0 {
			s.study.Timeout = o.Timeout
		}
	}
	if s.cfg.Settle != nil {
		if err := s.cfg.Settle(s.study, st.Trials, st.Study == nil); err != nil {
			return err
		}
	}
	if s.study.Incarnation == "" { // a study stored before incarnations
		s.study.Incarnation = newIncarnation()
	}
	if o, ok := s.cfg.Dispatcher.(Owner); ok {
		if err := o.Claim(ctx, Claim{Incarnation: s.study.Incarnation, StoreFile: s.cfg.StoreFile, SpaceFile: f.Path}); err != nil {
			return err
		}
	}
	s.rng = rand.New(s.pcg)
	s.budget = budget
	s.maxResourceTotal = budget.MaxResourceTotal
	s.fails = newFailures(budget.FailedLimit(s.study.Trials), budget.FailFastAfter())
	s.ledger = newLedger(f.Study, s.study.Incarnation, f.Space, f.Goals(), budget.Retry(), f.Resource)
	if err := s.ledger.load(st.Trials, func(id int) ([]search.CurvePoint, error) { return s.curve(ctx, id) }); err != nil {
		return err
	}
	switch {
	case s.edit != nil:
		s.applyEdit(st)
	case s.ledger.outsideCount() > 0:
		s.log.Info(s.learning(len(st.Trials)), "study", s.study.Name)
	}
	s.importConfigured()
	s.study.Slots = s.cfg.Slots
	if s.study.Trials == 0 && s.study.Timeout == 0 && s.maxResourceTotal == 0 {
		s.log.Warn("study has no budget: it runs until its space is exhausted or it is interrupted", "study", s.study.Name)
	}
	return nil
}

// newIncarnation makes a study incarnation: 16 hex digits, random.
func newIncarnation() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// studySeed is the seed of the study: the stored one on resume; else
// --seed, the file's, or one chosen now (and recorded with the study).
func (s *Scheduler) studySeed(st StudyState) uint64 {
	switch {
	case st.Study != nil:
		return st.Study.Seed
	case s.cfg.Seed != nil:
		return *s.cfg.Seed
	case s.cfg.File.Algorithm.Seed != nil:
		return *s.cfg.File.Algorithm.Seed
	}
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1
}

// ErrCannotResume is the error of a study that exists and cannot
// continue as asked: with another space file (parameters, objective,
// algorithm, trainer) or another seed. It is the user's input to change.
var ErrCannotResume = errors.New("the study cannot continue as asked")

// resumeError is an ErrCannotResume that says why in full.
type resumeError string

func (e resumeError) Error() string        { return string(e) }
func (e resumeError) Is(target error) bool { return target == ErrCannotResume }

func cannotResume(format string, args ...any) error { return resumeError(fmt.Sprintf(format, args...)) }

// checkResume refuses to continue a study with a different space or seed;
// an edit of its parameters is checked by checkEdit. One other change is
// let through: another trainer for a study none of whose trials has a
// value yet (they failed, or never ran), as after fixing a trainer that
// failed every trial: no result depends on the old one.
func (s *Scheduler) checkResume(st StudyState) error {
	parse := spacefile.Parse
	if s.cfg.File.OwnTrainer {
		parse = spacefile.ParseWithoutTrainer
	}
	old, err := parse(st.Study.SpaceFile, st.Study.SpaceText)
	if err != nil {
		return fmt.Errorf("study %s: its stored space file no longer parses: %w", st.Study.Name, err)
	}
	f := s.cfg.File
	e := spacefile.Compare(old, f)
	var notes []string
	if e.Other != "" {
		sameElse := *f
		sameElse.Trainer = old.Trainer
		if spacefile.Compare(old, &sameElse).Other != "" || anyValue(st.Trials) {
			return cannotResume("study %q%s was created with another space file (%s); to continue it, run the space file it was created with (automl report %s --format html shows it); to start a new study, change `study:` in %s or use another --db",
				st.Study.Name, inFile(s.cfg.StoreFile), e.Other, st.Study.Name, f.Path)
		}
		s.log.Info("the study continues with another trainer: none of its trials has a result yet", "study", st.Study.Name, "change", e.Other)
		if e.Other = ""; e.Empty() {
			st.Study.SpaceFile, st.Study.SpaceText = f.Path, f.Text
		} else {
			notes = append(notes, "trainer: changed, before any trial had a result")
		}
	}
	if seed := s.cfg.Seed; seed != nil && *seed != st.Study.Seed {
		return cannotResume("study %q was created with seed %d; it cannot continue with --seed %d", st.Study.Name, st.Study.Seed, *seed)
	}
	if st.Snapshot.Version > SnapshotVersion {
		return fmt.Errorf("study %q has snapshot version %d, newer than this automl (%d)", st.Study.Name, st.Snapshot.Version, SnapshotVersion)
	}
	if e.Empty() {
		return nil
	}
	return s.checkEdit(st, e, notes)
}

func inFile(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

// anyValue reports whether a trial has a result the trainer gave it (an
// imported one's came from elsewhere).
func anyValue(recs []trial.Record) bool {
	for _, r := range recs {
		if r.State != trial.Imported && (r.HasValue || r.Reports > 0 || r.State == trial.Completed || r.State == trial.Paused || r.State == trial.Pruned) {
			return true
		}
	}
	return false
}

// recover re-queues the trials a previous run left pending or running:
// the jobs of a dead scheduler may be lost or half-done, so each gets a new
// attempt (a late result of the old one is then ignored) and its old job is
// withdrawn from the queue. Completed trials are never run again.
func (s *Scheduler) recover(ctx context.Context) error {
	if !s.resumed {
		return nil
	}
	var ids []int
	for _, id := range s.ledger.order {
		if st := s.ledger.records[id].State; st == trial.Pending || st == trial.Running {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	requeue := ids
	if r, ok := s.cfg.Dispatcher.(Reconciler); ok {
		// Only the trials whose jobs are gone run again; the others go on
		// where they are, and results already waiting are applied.
		keys := make([]trial.Key, len(ids))
		for i, id := range ids {
			keys[i] = s.ledger.key(s.ledger.records[id])
		}
		gone, err := r.Vanished(ctx, keys)
		if err != nil {
			return fmt.Errorf("recover the study's trials: %w", err)
		}
		requeue = requeue[:0]
		for _, k := range gone {
			requeue = append(requeue, k.ID)
		}
	}
	for _, id := range requeue {
		if err := s.cfg.Dispatcher.Withdraw(ctx, s.study.Name, id); err != nil {
			return fmt.Errorf("recover trial %d: %w", id, err)
		}
		eff, err := s.ledger.restart(id)
		if err != nil {
			return err
		}
		s.buf.add(eff, s.spec)
	}
	s.log.Info("resumed study", "study", s.study.Name, "re-queued", len(requeue), "still queued or running", len(ids)-len(requeue))
	return nil
}

// curve rebuilds a trial's learning curve from its stored reports (on resume).
func (s *Scheduler) curve(ctx context.Context, id int) ([]search.CurvePoint, error) {
	reps, err := s.cfg.Store.Reports(ctx, s.cfg.File.Study, id)
	if err != nil {
		return nil, fmt.Errorf("load reports of trial %d: %w", id, err)
	}
	var c []search.CurvePoint
	for _, r := range reps {
		if v, ok := s.cfg.File.Objective.Value(r.Metrics); ok {
			c = append(c, search.CurvePoint{Step: r.Step, Loss: s.cfg.File.Objective.Loss(v)})
		}
	}
	return c, nil
}
