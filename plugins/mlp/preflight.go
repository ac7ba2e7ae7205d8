package mlp

import (
	"errors"
	"fmt"

	"automl/model/ensemble"
	"automl/plugins/mlp/data"
	"automl/spacefile"
)

// preflight reads the whole data set with the study's settings, as every
// trial will, so that a data set no trial can train on is refused before
// the first one: a ragged row or a cell that is not a number (with its
// line), a target with one class, a split that leaves no row to train or
// validate on, a metric the task does not report. check reads only the
// header; this reads every row, and trains nothing.
func preflight(sp *spacefile.File, _ bool) ([]string, []error) {
	s, err := Parse(sp.Trainer.Config, nil)
	if err != nil {
		return nil, nil // check has reported it
	}
	c := &s.Config
	t, err := readTable(c)
	if err != nil {
		return nil, []error{dataError(sp, err)}
	}
	ds, err := data.Prepare(t, c.Target, c.Task, c.ForceClass)
	if err != nil {
		return nil, []error{dataError(sp, err)}
	}
	splits, err := splitRows(c, ds)
	if err != nil {
		return nil, []error{dataError(sp, err)}
	}
	fold := splits.Folds[0]
	if err := checkMetrics(s, ds.Task, sp.Objective.Metric, len(fold.Val) > 0, len(splits.Test) > 0); err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			return nil, []error{keyError(sp, err)}
		}
		return nil, []error{sp.MetricError("%v", err)}
	}
	if err := checkEnsembleMetric(sp, ds, c.Target); err != nil {
		return nil, []error{err}
	}
	target := fmt.Sprintf("%s target %q", ds.Task, c.Target)
	if ds.Task.Classification() {
		target += fmt.Sprintf(" (%d classes)", len(ds.Classes))
	}
	split := fmt.Sprintf("%d train, %d validation, %d test rows", len(fold.Train), len(fold.Val), len(splits.Test))
	if len(splits.Folds) > 1 {
		split = fmt.Sprintf("%d folds of about %d validation rows, %d test rows", len(splits.Folds), len(fold.Val), len(splits.Test))
	}
	return []string{fmt.Sprintf("data set %s: %d rows, %s; %s", c.Dataset, t.Rows, target, split)}, nil
}

// dataError places a data set's error at the config key that decides it:
// the target for a missing target or a single class, the split settings
// for a split that leaves a part empty, else the data set.
func dataError(sp *spacefile.File, err error) error {
	key := "dataset"
	set := func(k string) bool { _, ok := sp.Trainer.Config[k]; return ok }
	switch {
	case (errors.Is(err, data.ErrNoTarget) || errors.Is(err, data.ErrOneClass)) && set("target"):
		key = "target"
	case errors.Is(err, data.ErrSplit):
		for _, k := range []string{"split_column", "folds", "validation", "test"} {
			if set(k) {
				key = k
				break
			}
		}
	}
	return sp.ConfigError(key, "%v", err)
}

// checkEnsembleMetric refuses an ensemble: metric the task cannot be
// scored by (rmse of classes, accuracy of values, auc of 3 classes).
func checkEnsembleMetric(sp *spacefile.File, ds *data.Dataset, target string) error {
	if sp.Ensemble == nil || sp.Ensemble.Metric == "" {
		return nil
	}
	m, err := ensemble.MetricByName(sp.Ensemble.Metric)
	if err != nil {
		return sp.EnsembleError("%v", err)
	}
	class := ds.Task.Classification()
	switch {
	case m.Classification && !class:
		return sp.EnsembleError("metric %s is for classification; the target %q is %s (use rmse, mae or r2)", m.Name, target, ds.Task)
	case !m.Classification && class:
		return sp.EnsembleError("metric %s is for regression; the target %q is %s (use accuracy, balanced_accuracy, f1, log_loss, brier or auc)", m.Name, target, ds.Task)
	case m.Binary && len(ds.Classes) > 2:
		return sp.EnsembleError("metric %s is for two classes; the target %q has %d", m.Name, target, len(ds.Classes))
	}
	return nil
}
