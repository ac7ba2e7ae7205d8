package scheduler

import (
	"fmt"
	"time"

	"automl/internal/words"
	"automl/search"
	"automl/trial"
	"automl/trial/goal"
	"automl/trial/triallog"
)

// ledger is the study's trials as the scheduler knows them: every record,
// the counts by state, the trials in flight, the stops asked for, the best
// trial, the resource trained, and the history the searcher reads. It is
// pure (no I/O, clock or goroutines): every change returns the effects the
// scheduler carries out (commit, dispatch, stop, clean up, tell the
// searcher), so its rules are tested with plain tables.
type ledger struct {
	study    string
	inc      string // the study's incarnation
	space    *search.Space
	obj      trial.Objective // the first of goals
	goals    goal.Set
	retry    trial.Retry
	resource string // the resource's name, for notes

	records  map[int]*trial.Record
	order    []int // ids in creation order
	counts   map[trial.State]int
	inFlight map[int]bool // pending and running trials
	stopping map[int]trial.StopAsk
	history  *search.History
	// outside counts the loaded trials left out of the history by why:
	// recorded under an earlier version of the space, they do not fit it.
	outside     map[string]int
	bestID      int             // -1: no completed trial yet
	frontRecs   []*trial.Record // the front (several objectives) as of frontAt-1 completed trials
	frontAt     int
	hypervolume float64
	trained     float64 // resource trained by all trials (budget.max_resource_total)
}

// effects is what a change to the ledger asks of the scheduler.
type effects struct {
	changed  []int           // records to commit
	reports  []Report        // intermediate reports to store
	logs     []triallog.Part // trainer log lines to store
	observe  []search.Event  // what the searcher must see, in order
	send     []int           // trials to dispatch as a new attempt
	stop     []trial.Key     // stop requests for the workers
	clean    []int           // trials now final: their checkpoints can go
	failed   []int           // trials that failed now
	requeued []int           // trials given a new attempt after a failure or a loss
	unknown  []int           // events for trials the study does not have
	ran      []time.Duration // how long each attempt that ended ran (worker clock)
}

func (e *effects) add(o effects) {
	e.changed = append(e.changed, o.changed...)
	e.reports = append(e.reports, o.reports...)
	e.logs = append(e.logs, o.logs...)
	e.observe = append(e.observe, o.observe...)
	e.send = append(e.send, o.send...)
	e.stop = append(e.stop, o.stop...)
	e.clean = append(e.clean, o.clean...)
	e.failed = append(e.failed, o.failed...)
	e.requeued = append(e.requeued, o.requeued...)
	e.unknown = append(e.unknown, o.unknown...)
	e.ran = append(e.ran, o.ran...)
}

func newLedger(study, inc string, space *search.Space, goals goal.Set, retry trial.Retry, resource string) *ledger {
	return &ledger{
		study: study, inc: inc, space: space, obj: goals.Objectives[0], goals: goals, retry: retry, resource: resource,
		records: map[int]*trial.Record{}, counts: map[trial.State]int{},
		inFlight: map[int]bool{}, stopping: map[int]trial.StopAsk{},
		history: &search.History{}, outside: map[string]int{}, bestID: -1,
	}
}

// load adds a resumed study's records, in id order; curve gives the
// learning curve of a trial that reported.
func (l *ledger) load(recs []trial.Record, curve func(id int) ([]search.CurvePoint, error)) error {
	for i := range recs {
		rec := recs[i]
		var c []search.CurvePoint
		if rec.Reports > 0 {
			var err error
			if c, err = curve(rec.ID); err != nil {
				return err
			}
		}
		l.add(&rec, c)
	}
	return nil
}

// outsideCount is how many loaded trials do not fit the space.
func (l *ledger) outsideCount() int { return words.Total(l.outside) }

// outsideReasons says why loaded trials do not fit the space, the most
// common reason first: "lr > 0.5", or "lr > 0.5: 2, optimizer = sgd: 1".
func (l *ledger) outsideReasons() string { return words.Tally(l.outside, 4) }

// key is the key of a trial's current attempt.
func (l *ledger) key(rec *trial.Record) trial.Key { return rec.Key(l.study, l.inc) }

func (l *ledger) get(id int) (*trial.Record, bool) {
	r, ok := l.records[id]
	return r, ok
}

// created is how many trials (configurations) the study has created:
// imported results are not among them.
func (l *ledger) created() int { return len(l.order) - l.counts[trial.Imported] }

// reserved is the resource the pending and running jobs may still train.
func (l *ledger) reserved() float64 {
	r := 0.0
	for id := range l.inFlight {
		rec := l.records[id]
		if rec.To > 0 {
			r += max(0, rec.To-max(rec.From, rec.Resource))
		}
	}
	return r
}

func (l *ledger) best() (*trial.Record, bool) {
	if l.bestID < 0 {
		return nil, false
	}
	return l.records[l.bestID], true
}

// noteBest keeps the best trial up to date as trials complete (completed
// is terminal, so the best only ever improves): a trial completed at the
// full budget that ranks before the best (goal.Set.Before: feasible
// first, by value; ties keep the lower id). A trial ended at a lower rung
// of a multi-fidelity study is never the best, as on the leaderboard. A
// study of several objectives has a front instead (see front).
func (l *ledger) noteBest(rec *trial.Record) {
	if rec.State != trial.Completed || !rec.HasValue || rec.Pause || l.goals.Multi() {
		return
	}
	best, ok := l.best()
	if !ok || l.goals.Before(rec, best) {
		l.bestID = rec.ID
	}
}

// observation fills in what the searcher knows of a record.
func (l *ledger) observation(o *search.Observation, rec *trial.Record) {
	o.Resource = rec.Resource
	o.HasLoss = rec.HasValue
	if rec.HasValue {
		o.Loss = l.obj.Loss(rec.Value)
		l.goals.Observe(o, rec.Metrics)
	}
	o.Status = searchStatus(rec.State)
	o.Imported = rec.State == trial.Imported
}

func searchStatus(s trial.State) search.Status {
	switch s {
	case trial.Completed, trial.Paused, trial.Imported:
		return search.Complete
	case trial.Pruned:
		return search.Pruned
	case trial.Failed, trial.Stopped:
		return search.Failed
	}
	return search.Pending
}

// set moves a trial to another state; an illegal transition is an error
// (the scheduler only asks for legal ones: reaching it is a bug).
func (l *ledger) set(rec *trial.Record, to trial.State) (effects, error) {
	var eff effects
	if err := trial.Transition(rec.State, to); err != nil {
		return eff, fmt.Errorf("trial %d: %w", rec.ID, err)
	}
	l.counts[rec.State]--
	rec.State = to
	l.counts[to]++
	if to == trial.Pending || to == trial.Running {
		l.inFlight[rec.ID] = true
	} else {
		delete(l.inFlight, rec.ID)
	}
	eff.changed = append(eff.changed, rec.ID)
	if to.Terminal() && rec.Checkpoint != "" {
		eff.clean = append(eff.clean, rec.ID)
	}
	l.noteBest(rec)
	if o, ok := l.history.Get(rec.ID); ok {
		l.observation(o, rec)
	}
	return eff, nil
}

// create adds a new trial, pending, to be dispatched.
func (l *ledger) create(id int, p search.Point, span search.Span, now time.Time) effects {
	rec := &trial.Record{
		ID: id, State: trial.Pending, Params: l.space.Values(p),
		Attempt: 1, From: span.From, To: span.To, Pause: span.Pause, Created: now,
	}
	l.records[id] = rec
	l.order = append(l.order, id)
	l.counts[trial.Pending]++
	l.inFlight[id] = true
	l.history.Add(search.Observation{ID: id, Point: p, Status: search.Pending})
	return effects{changed: []int{id}, send: []int{id}}
}

// again gives a trial a new attempt, pending, with a note.
func (l *ledger) again(rec *trial.Record, note string) (effects, error) {
	var eff effects
	if rec.State != trial.Pending {
		e, err := l.set(rec, trial.Pending)
		if err != nil {
			return eff, err
		}
		eff.add(e)
	}
	rec.Attempt++
	rec.Delivery = 0
	rec.Note = note
	eff.changed = append(eff.changed, rec.ID)
	eff.send = append(eff.send, rec.ID)
	return eff, nil
}

// restart re-queues a trial a previous run left pending or running: the
// job of a dead scheduler may be lost or half-done, so it gets a new
// attempt (a late result of the old one is then ignored).
func (l *ledger) restart(id int) (effects, error) {
	rec := l.records[id]
	note := rec.Note
	if rec.State == trial.Running {
		note = "re-queued after the scheduler restarted"
	}
	return l.again(rec, note)
}

// promote continues a paused trial over a new span from its checkpoint.
func (l *ledger) promote(id int, span search.Span) (effects, error) {
	rec := l.records[id]
	if rec.State == trial.Completed && rec.Pause {
		// The study's end left it at its rung (endPaused); continued with
		// more budget, the searcher goes on promoting. Its checkpoint was
		// deleted with the study's end, so it trains again from zero.
		l.counts[trial.Completed]--
		rec.State, rec.Checkpoint = trial.Paused, ""
		l.counts[trial.Paused]++
	}
	if rec.State != trial.Paused {
		return effects{}, fmt.Errorf("searcher asked to continue trial %d, which is %s, not paused", id, rec.State)
	}
	note := fmt.Sprintf("promoted to %s %g", l.resource, span.To)
	if rec.Checkpoint == "" && span.From > 0 {
		// The trainer kept no checkpoint at the rung: train again from zero.
		span.From = 0
		note += "; restarted from 0: the trainer kept no checkpoint"
	}
	eff, err := l.again(rec, note)
	if err != nil {
		return eff, err
	}
	rec.Rung++
	rec.From, rec.To, rec.Pause = span.From, span.To, span.Pause
	return eff, nil
}

// stopBySearcher prunes a trial: a running one's worker is asked to stop
// (it ends pruned when it answers), a pending or paused one ends now.
func (l *ledger) stopBySearcher(id int, reason string) (effects, error) {
	rec, ok := l.records[id]
	if !ok || rec.State.Terminal() {
		return effects{}, nil
	}
	if reason == "" {
		reason = "stopped by the searcher"
	}
	key := l.key(rec)
	if rec.State == trial.Running {
		if _, asked := l.stopping[id]; !asked {
			l.stopping[id] = trial.StopAsk{Reason: reason}
		}
		return effects{stop: []trial.Key{key}}, nil
	}
	rec.Note = reason
	eff, err := l.set(rec, trial.Pruned)
	eff.stop = append(eff.stop, key)
	return eff, err
}

// stopOutcome is what a user's stop did to one trial.
type stopOutcome uint8

const (
	stopUnknown  stopOutcome = iota + 1 // no such trial
	stopFinished                        // it had ended already
	stopAsked                           // running: its worker is asked to stop it
	stopDone                            // pending or paused: stopped now
)

// stopByUser is a user's stop of one trial: a running one's worker is
// asked to stop it (it ends stopped, never retried); a pending or paused
// one ends stopped now. The caller withdraws a pending trial's job first.
func (l *ledger) stopByUser(id int, reason string) (stopOutcome, effects, error) {
	rec, ok := l.records[id]
	switch {
	case !ok:
		return stopUnknown, effects{}, nil
	case rec.State.Terminal():
		return stopFinished, effects{}, nil
	case rec.State == trial.Running:
		l.stopping[id] = trial.StopAsk{Reason: reason, User: true}
		return stopAsked, effects{stop: []trial.Key{l.key(rec)}}, nil
	}
	var eff effects
	if rec.State == trial.Pending {
		eff.stop = append(eff.stop, l.key(rec)) // a worker may have just taken it
	}
	rec.Note = reason
	e, err := l.set(rec, trial.Stopped)
	eff.add(e)
	eff.observe = append(eff.observe, l.exitEvent(rec))
	return stopDone, eff, err
}

// endRunning ends the runs still going when the study's time is up; each
// worker is asked to stop its run. A trial already asked to stop (pruned
// by the searcher, stopped by a user) ends as that stop says; every other
// goes back to the queue with a new attempt and the note (a late result of
// the stopped run is then ignored), so it runs again, from its checkpoint,
// when the study continues. queued counts those.
func (l *ledger) endRunning(note string, now time.Time) (eff effects, queued int, err error) {
	for _, id := range l.order {
		rec := l.records[id]
		if rec.State != trial.Running {
			continue
		}
		key := l.key(rec)
		eff.stop = append(eff.stop, key)
		var e effects
		if _, asked := l.stopping[id]; asked {
			e, err = l.exit(rec, trial.Event{Key: key, Kind: trial.Exited, Time: now, Result: &trial.Result{Outcome: trial.ExitAborted, Error: note}})
		} else {
			if !rec.Started.IsZero() && now.After(rec.Started) {
				rec.Busy += now.Sub(rec.Started)
			}
			e, err = l.again(rec, note)
			queued++
		}
		if err != nil {
			return eff, queued, err
		}
		eff.add(e)
	}
	return eff, queued, nil
}

// endPaused makes the trials paused at a rung final there: the study is
// over, so none will be promoted.
func (l *ledger) endPaused() (effects, error) {
	var eff effects
	for _, id := range l.order {
		if rec := l.records[id]; rec.State == trial.Paused {
			rec.Note = fmt.Sprintf("ended at %s %g (not promoted)", l.resource, rec.Resource)
			e, err := l.set(rec, trial.Completed)
			if err != nil {
				return eff, err
			}
			eff.add(e)
		}
	}
	return eff, nil
}

// apply folds one worker event into the records. Stale events (another
// incarnation of the study, an older attempt, an older delivery of this
// attempt, a finished or paused trial) and duplicates change nothing.
func (l *ledger) apply(ev trial.Event) (effects, error) {
	var eff effects
	if ev.Key.Study != l.study || ev.Key.Incarnation != l.inc {
		return eff, nil
	}
	rec, ok := l.records[ev.Key.ID]
	if !ok {
		eff.unknown = append(eff.unknown, ev.Key.ID)
		return eff, nil
	}
	if ev.Key.Attempt != rec.Attempt || rec.State.Terminal() || ev.Delivery < rec.Delivery || rec.State == trial.Paused {
		return eff, nil
	}
	if ev.Delivery > rec.Delivery {
		rec.Delivery = ev.Delivery
		eff.changed = append(eff.changed, rec.ID)
		if _, asked := l.stopping[rec.ID]; asked && ev.Kind != trial.Exited {
			// The job went to another worker (its first one was lost) before
			// the stop reached it: ask again.
			eff.stop = append(eff.stop, l.key(rec))
		}
	}
	if rec.State == trial.Pending {
		e, err := l.set(rec, trial.Running)
		if err != nil {
			return eff, err
		}
		eff.add(e)
		rec.Started = ev.Time
	}
	if ev.Worker != "" {
		rec.Worker, rec.GPUs = ev.Worker, ev.GPUs
	}
	switch ev.Kind {
	case trial.Started:
		rec.Note = ""
	case trial.Reported:
		eff.add(l.report(rec, ev))
	case trial.Logged:
		eff.logs = append(eff.logs, triallog.Part{ID: rec.ID, Attempt: rec.Attempt, Delivery: ev.Delivery, Worker: ev.Worker, Chunk: *ev.Log})
	case trial.Exited:
		e, err := l.exit(rec, ev)
		if err != nil {
			return eff, err
		}
		eff.add(e)
	}
	return eff, nil
}

func (l *ledger) report(rec *trial.Record, ev trial.Event) effects {
	eff := effects{reports: []Report{{ID: rec.ID, Attempt: rec.Attempt, Step: ev.Step, Metrics: ev.Metrics, Time: ev.Time}}}
	if ev.Step > rec.Resource {
		l.reach(rec, ev.Step)
		rec.Reports++
		eff.changed = append(eff.changed, rec.ID)
	}
	v, ok := l.obj.Value(ev.Metrics)
	if !ok {
		return eff
	}
	loss := l.obj.Loss(v)
	if o, ok := l.history.Get(rec.ID); ok {
		o.Curve = append(o.Curve, search.CurvePoint{Step: ev.Step, Loss: loss})
	}
	eff.observe = append(eff.observe, search.Event{Kind: search.Reported, ID: rec.ID, Step: ev.Step, Loss: loss, HasLoss: true})
	return eff
}

// exit ends an attempt by the exit policy (trial.Decide): the trial
// completes, pauses, is pruned, stopped or failed, or runs again.
func (l *ledger) exit(rec *trial.Record, ev trial.Event) (effects, error) {
	res := ev.Result
	var ran []time.Duration
	if !ev.Time.IsZero() && !rec.Started.IsZero() {
		d := ev.Time.Sub(rec.Started)
		rec.Busy += d
		ran = append(ran, d)
	}
	rec.Finished = ev.Time
	if res != nil {
		if res.Step > rec.Resource {
			l.reach(rec, res.Step)
		}
		if len(res.Metrics) > 0 {
			rec.Metrics = res.Metrics
		}
		if res.Checkpoint != "" {
			rec.Checkpoint = res.Checkpoint
		}
	}
	var stop *trial.StopAsk
	if ask, asked := l.stopping[rec.ID]; asked {
		delete(l.stopping, rec.ID)
		stop = &ask
	}
	x := l.goals.Judge(trial.Decide(*rec, res, l.obj, l.retry, rec.Pause, stop), rec.Metrics)
	rec.Failures, rec.Lost, rec.Error = x.Failures, x.Lost, x.Error
	if x.HasValue {
		rec.Value, rec.HasValue = x.Value, true
	}
	if x.State == trial.Pending {
		outcome := trial.ExitLost
		if res != nil {
			outcome = res.Outcome
		}
		supersede(rec, outcome, x.Error)
		eff, err := l.again(rec, x.Note)
		eff.requeued = append(eff.requeued, rec.ID)
		eff.ran = ran
		return eff, err
	}
	if x.Note != "" {
		rec.Note = x.Note
	}
	eff, err := l.set(rec, x.State)
	if err != nil {
		return eff, err
	}
	if x.State == trial.Failed {
		eff.failed = append(eff.failed, rec.ID)
	}
	eff.observe = append(eff.observe, l.exitEvent(rec))
	eff.ran = ran
	return eff, nil
}

// vanished ends an attempt whose job is gone from the queue with no result
// waiting (a purged or truncated stream, a job acked without a result): the
// infrastructure lost it, so it runs again within max_lost and is never a
// failure of the trial (trial.Decide). A key of an attempt that has moved
// on, or ended, changes nothing.
func (l *ledger) vanished(k trial.Key, why string, now time.Time) (effects, error) {
	rec, ok := l.records[k.ID]
	if !ok || l.key(rec) != k || (rec.State != trial.Pending && rec.State != trial.Running) {
		return effects{}, nil
	}
	return l.exit(rec, trial.Event{Key: k, Kind: trial.Exited, Time: now, Result: &trial.Result{Outcome: trial.ExitLost, Error: why}})
}

// reject fails a trial whose job can never be dispatched: running it again
// could not help.
func (l *ledger) reject(k trial.Key, why string) effects {
	rec, ok := l.records[k.ID]
	if !ok || l.key(rec) != k || rec.State != trial.Pending {
		return effects{}
	}
	rec.Error = why
	eff, err := l.set(rec, trial.Failed)
	if err != nil {
		return effects{}
	}
	eff.failed = append(eff.failed, rec.ID)
	eff.observe = append(eff.observe, l.exitEvent(rec))
	return eff
}

// exitEvent is what the searcher sees of a trial that ended or paused.
func (l *ledger) exitEvent(rec *trial.Record) search.Event {
	ev := search.Event{Kind: search.Exited, ID: rec.ID, Status: searchStatus(rec.State), Step: rec.Resource}
	if rec.HasValue {
		ev.Loss, ev.HasLoss = l.obj.Loss(rec.Value), true
	}
	return ev
}

// reach records that a trial trained up to step (its resource), for the
// resource budget.
func (l *ledger) reach(rec *trial.Record, step float64) {
	l.trained += step - max(rec.Resource, rec.From)
	rec.Resource = step
}
