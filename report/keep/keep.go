// Package keep is the keep_models policy: which trials of a study keep
// their model file in the study's models directory (internal/modelfiles),
// and what the directory holds.
//
// The dispatcher copies each final trial's model and holdout files out of
// its checkpoints (backends/natsbus, DispatcherOptions.ModelDir); after
// each copy, and when the search ends, Prune deletes the model files of
// the trials that are not among the best K completed trials by the
// leaderboard's ranking (report.Leaderboard: for several objectives, the
// Pareto rank). Holdout files stay: they are small, and ensembles are
// built from them.
package keep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"automl/internal/modelfiles"
	"automl/report"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// Kept says which trials keep their model file: the first keep completed
// trials of the leaderboard rows (spacefile.KeepAllModels: every
// completed trial).
func Kept(rows []report.Row, keep int) map[int]bool {
	kept := map[int]bool{}
	for _, r := range rows {
		if r.State != trial.Completed || (keep != spacefile.KeepAllModels && len(kept) >= keep) {
			continue
		}
		kept[r.ID] = true
	}
	return kept
}

// Prune deletes the model files in the study's directory under root that
// keep_models (keep) does not keep, and returns their trials.
func Prune(ctx context.Context, st scheduler.Reader, root, study string, keep int) ([]int, error) {
	dir := modelfiles.StudyDir(root, study)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models of study %s: %w", study, err)
	}
	state, err := st.Load(ctx, study)
	if err != nil {
		return nil, fmt.Errorf("models of study %s: %w", study, err)
	}
	if state.Study == nil {
		return nil, nil
	}
	kept := Kept(report.Leaderboard(state.Study, state.Trials), keep)
	var deleted []int
	var errs []error
	for _, e := range ents {
		id, ext, ok := modelfiles.TrialOf(e.Name())
		if !ok || ext != modelfiles.ModelExt || kept[id] {
			continue
		}
		if err := modelfiles.Remove(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("trial %d: %w", id, err))
			continue
		}
		deleted = append(deleted, id)
	}
	slices.Sort(deleted)
	return deleted, errors.Join(errs...)
}

// Of is a stored study's keep_models (its space file's text read again);
// ok is false when the text cannot be read.
func Of(st *scheduler.Study) (keep int, ok bool) {
	f, err := spacefile.ParseWithoutTrainer(st.SpaceFile, st.SpaceText)
	if err != nil {
		return 0, false
	}
	return f.KeepModels, true
}

// Text says what keep_models keeps, in words.
func Text(k int) string {
	switch k {
	case spacefile.KeepAllModels:
		return "every completed trial keeps its model file (keep_models: all)"
	case 0:
		return "no model file is kept (keep_models: 0); holdout predictions are"
	case 1:
		return "the best completed trial keeps its model file (keep_models: 1)"
	}
	return fmt.Sprintf("the best %d completed trials keep their model files (keep_models: %d)", k, k)
}

// Entry is one trial's files in the models directory.
type Entry struct {
	Trial int    `json:"trial"`
	Rank  int    `json:"rank,omitempty"`
	State string `json:"state"`
	// Values are the objectives' values.
	Values map[string]float64 `json:"values,omitempty"`
	// Model is the model file's path ("" when none is kept).
	Model        string `json:"model,omitempty"`
	ModelBytes   int64  `json:"model_bytes,omitempty"`
	Holdout      string `json:"holdout,omitempty"`
	HoldoutBytes int64  `json:"holdout_bytes,omitempty"`
}

// Scan lists the trials with a model or holdout file under root, in the
// order of the leaderboard rows.
func Scan(root string, study *scheduler.Study, rows []report.Row) []Entry {
	out := []Entry{}
	objectives := study.Goals().Objectives
	for _, r := range rows {
		e := Entry{Trial: r.ID, Rank: r.Rank, State: r.State.String()}
		e.Model, e.ModelBytes = regular(modelfiles.Model(root, study.Name, r.ID))
		e.Holdout, e.HoldoutBytes = regular(modelfiles.Holdout(root, study.Name, r.ID))
		if e.Model == "" && e.Holdout == "" {
			continue
		}
		for _, o := range objectives {
			if v, ok := o.Value(r.Metrics); ok {
				if e.Values == nil {
					e.Values = map[string]float64{}
				}
				e.Values[o.Metric] = v
			}
		}
		out = append(out, e)
	}
	return out
}

// regular is path and its size when it is a regular file, else "".
func regular(path string) (string, int64) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return "", 0
	}
	return path, fi.Size()
}
