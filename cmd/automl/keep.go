package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"automl/internal/modelfiles"
	"automl/report"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// The keep_models policy. The dispatcher copies each final trial's model
// out of its checkpoints into <db>.models/<study>/ (backends/natsbus,
// DispatcherOptions.ModelDir); after each such harvest, and once when the
// search ends, the model files of trials that are not among the best K
// completed trials by the leaderboard's ranking are deleted. Holdout
// files are kept: they are small, and ensembles are built from them.

// keptModels ranks the study's trials and says which keep their model
// file: the first keep completed trials of the leaderboard
// (spacefile.KeepAllModels: every completed trial).
func keptModels(rows []report.Row, keep int) map[int]bool {
	kept := map[int]bool{}
	for _, r := range rows {
		if r.State != trial.Completed || (keep != spacefile.KeepAllModels && len(kept) >= keep) {
			continue
		}
		kept[r.ID] = true
	}
	return kept
}

// pruneModels deletes the model files in the study's models directory
// that keep_models does not keep, and returns their trials.
func pruneModels(ctx context.Context, st scheduler.Reader, root, study string, keep int) ([]int, error) {
	ents, err := os.ReadDir(modelfiles.StudyDir(root, study))
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
	kept := keptModels(report.Leaderboard(state.Study, state.Trials), keep)
	var deleted []int
	var errs []error
	for _, e := range ents {
		id, ext, ok := modelfiles.TrialOf(e.Name())
		if !ok || ext != modelfiles.ModelExt || kept[id] {
			continue
		}
		if err := modelfiles.Remove(filepath.Join(modelfiles.StudyDir(root, study), e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("trial %d: %w", id, err))
			continue
		}
		deleted = append(deleted, id)
	}
	slices.Sort(deleted)
	return deleted, errors.Join(errs...)
}

// keepModelsOf is the keep_models of a study as stored (its space file's
// text); ok is false when the text cannot be read again.
func keepModelsOf(st *scheduler.Study) (keep int, ok bool) {
	f, err := spacefile.ParseWithoutTrainer(st.SpaceFile, st.SpaceText)
	if err != nil {
		return 0, false
	}
	return f.KeepModels, true
}

// applyKeepModels prunes the study's model files to the space file's
// keep_models, logging what it deleted; best effort, as the harvest is.
func applyKeepModels(ctx context.Context, st scheduler.Reader, db string, space *spacefile.File, log *slog.Logger) {
	deleted, err := pruneModels(ctx, st, modelfiles.Root(db), space.Study, space.KeepModels)
	if err != nil {
		log.Warn("model files not pruned to keep_models", "keep_models", space.KeepModels, "err", err)
	}
	if len(deleted) > 0 {
		log.Debug("model files deleted: not among the best trials (keep_models)", "keep_models", space.KeepModels, "trials", deleted)
	}
}
