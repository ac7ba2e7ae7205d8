package control

import (
	"context"
	"fmt"
	"strings"
	"time"

	"automl/scheduler"
	"automl/trial"
)

// ImportResult says what an import did.
type ImportResult struct {
	// IDs are the trial ids the new imported results got, in order.
	IDs []int
	// Duplicates counts results left out because the study already has
	// one from the same source (the same file and trial or line).
	Duplicates int
}

// Import adds results from elsewhere (automl import; read and checked
// against the study's space by package warmstart) to a study no scheduler
// runs, in one commit: records in state imported with the study's next
// trial ids, the snapshot's id counter moved past them, and an entry in
// the study's history (req's By and Command, Op import). Results whose
// Source the study already has are left out. The searcher learns from
// them when the study continues; a study that is opening takes its
// imports through scheduler.Config.Imports.
func Import(ctx context.Context, store scheduler.Store, study string, recs []trial.Record, req Request, now time.Time) (ImportResult, error) {
	st, err := store.Load(ctx, study)
	if err != nil {
		return ImportResult{}, fmt.Errorf("load study %s: %w", study, err)
	}
	if st.Study == nil {
		return ImportResult{}, fmt.Errorf("study %q: %w", study, scheduler.ErrStudyNotFound)
	}
	have := make(map[string]bool, len(st.Trials))
	next := st.Snapshot.NextID
	for i := range st.Trials {
		have[st.Trials[i].Source] = st.Trials[i].Source != ""
		next = max(next, st.Trials[i].ID+1)
	}
	var res ImportResult
	var c scheduler.Change
	var sources []string
	for _, r := range recs {
		if have[r.Source] {
			res.Duplicates++
			continue
		}
		have[r.Source] = r.Source != ""
		c.Trials = append(c.Trials, trial.Record{ID: next, State: trial.Imported, Params: r.Params, Value: r.Value, HasValue: r.HasValue,
			Metrics: r.Metrics, Resource: r.Resource, Note: r.Note, Source: r.Source, Created: now})
		res.IDs = append(res.IDs, next)
		next++
		if src := origin(r.Source); len(sources) == 0 || sources[len(sources)-1] != src {
			sources = append(sources, src)
		}
	}
	if len(c.Trials) == 0 {
		return res, nil
	}
	snap := st.Snapshot
	snap.NextID = next
	if snap.Version == 0 {
		snap.Version = scheduler.SnapshotVersion
	}
	c.Snapshot = &snap
	e := &scheduler.Edit{Study: st.Study, Now: now}
	note(e, "import", req, fmt.Sprintf("%d result(s) from %s", len(res.IDs), strings.Join(sources, ", ")))
	st.Study.Updated = now
	c.Study = st.Study
	if err := store.Commit(ctx, study, c); err != nil {
		return ImportResult{}, fmt.Errorf("commit the imported results of study %s: %w", study, err)
	}
	return res, nil
}

// origin is the file of an imported result's Source: /runs/old.db:mlp/12
// and /runs/results.csv:14 are /runs/old.db:mlp and /runs/results.csv.
func origin(source string) string {
	if i := strings.LastIndexAny(source, ":/"); i > 0 && source[i] == ':' {
		return source[:i]
	}
	if i := strings.LastIndex(source, "/"); i > 0 && strings.Contains(source[:i], ":") {
		return source[:i]
	}
	return source
}
