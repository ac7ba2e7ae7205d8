package scheduler

import (
	"context"
	"fmt"
	"time"

	"automl/search"
	"automl/trial"
)

// Imported results (automl import, a space file's warm_start:) are trial
// records in state trial.Imported: results of another study or an export,
// never run here. They take trial ids like the study's own trials, so the
// history, the store and the reports hold them as they hold any trial,
// but nothing counts them in the budget, dispatches them or ranks them
// with the study's own (the ledger's created() leaves them out), and the
// searcher sees them as complete observations marked Imported.

// ImportResult says what an import did.
type ImportResult struct {
	// IDs are the trial ids the new imported results got, in order.
	IDs []int
	// Duplicates counts results left out because the study already has
	// one from the same source (the same file and trial or line).
	Duplicates int
}

// importRecords adds imported results to the ledger with ids from next,
// leaving out those whose Source the study already has.
func (l *ledger) importRecords(recs []trial.Record, next func() int, now time.Time) (effects, ImportResult) {
	var eff effects
	var res ImportResult
	for i := range recs {
		if recs[i].Source != "" && l.sources[recs[i].Source] {
			res.Duplicates++
			continue
		}
		rec := importedRecord(recs[i], next(), now)
		l.add(rec, nil)
		eff.changed = append(eff.changed, rec.ID)
		res.IDs = append(res.IDs, rec.ID)
	}
	return eff, res
}

// importedRecord is r as the study keeps it: its own id, state imported,
// no attempt or worker of its own.
func importedRecord(r trial.Record, id int, now time.Time) *trial.Record {
	return &trial.Record{
		ID: id, State: trial.Imported, Params: r.Params,
		Value: r.Value, HasValue: r.HasValue, Metrics: r.Metrics, Resource: r.Resource,
		Note: r.Note, Source: r.Source, Created: now,
	}
}

// add takes a record the searcher did not just create (a stored or an
// imported one) into the ledger and the history, with its learning curve.
func (l *ledger) add(rec *trial.Record, curve []search.CurvePoint) {
	l.records[rec.ID] = rec
	l.order = append(l.order, rec.ID)
	l.counts[rec.State]++
	if rec.State == trial.Pending || rec.State == trial.Running {
		l.inFlight[rec.ID] = true
	}
	if rec.Source != "" {
		l.sources[rec.Source] = true
	}
	l.trained += rec.Resource
	o := search.Observation{ID: rec.ID, Curve: curve}
	o.Point, _ = l.space.PointOf(rec.Params) // a stored trial that no longer fits is modelled without its point
	l.observation(&o, rec)
	l.history.Add(o)
	l.noteBest(rec)
}

// importConfigured adds the imported results of the configuration
// (Config.Imports, a space file's warm_start:) when the study opens, new
// or resumed: those already in the study are left out, so a warm start
// is applied once however often the study continues.
func (s *Scheduler) importConfigured() {
	if len(s.cfg.Imports) == 0 {
		return
	}
	eff, res := s.ledger.importRecords(s.cfg.Imports, s.newID, s.cfg.Now())
	s.buf.add(eff, s.spec)
	if len(res.IDs) > 0 || res.Duplicates > 0 {
		s.log.Info("warm start: imported results the algorithm learns from (not counted in the budget)", "study", s.study.Name, "imported", len(res.IDs), "already in the study", res.Duplicates)
	}
}

func (s *Scheduler) newID() int {
	id := s.nextID
	s.nextID++
	return id
}

// Import adds imported results to a study that no scheduler runs (a
// stopped study), in one commit: the records with the next trial ids, and
// the snapshot's id counter moved past them. Results whose Source the
// study already has are left out. The searcher learns from them when the
// study continues. Running studies take imports through their scheduler.
func Import(ctx context.Context, store Store, study string, recs []trial.Record, now time.Time) (ImportResult, error) {
	st, err := store.Load(ctx, study)
	if err != nil {
		return ImportResult{}, fmt.Errorf("load study %s: %w", study, err)
	}
	if st.Study == nil {
		return ImportResult{}, fmt.Errorf("study %q: %w", study, ErrStudyNotFound)
	}
	have := make(map[string]bool, len(st.Trials))
	next := st.Snapshot.NextID
	for i := range st.Trials {
		if src := st.Trials[i].Source; src != "" {
			have[src] = true
		}
		next = max(next, st.Trials[i].ID+1)
	}
	var res ImportResult
	var c Change
	for i := range recs {
		if recs[i].Source != "" && have[recs[i].Source] {
			res.Duplicates++
			continue
		}
		have[recs[i].Source] = true
		rec := importedRecord(recs[i], next, now)
		next++
		c.Trials = append(c.Trials, *rec)
		res.IDs = append(res.IDs, rec.ID)
	}
	if len(c.Trials) == 0 {
		return res, nil
	}
	snap := st.Snapshot
	snap.NextID = next
	if snap.Version == 0 {
		snap.Version = SnapshotVersion
	}
	c.Snapshot = &snap
	upd := *st.Study
	upd.Updated = now
	c.Study = &upd
	if err := store.Commit(ctx, study, c); err != nil {
		return ImportResult{}, fmt.Errorf("commit the imported results of study %s: %w", study, err)
	}
	return res, nil
}
