package ensemble

import (
	"fmt"

	"automl/model"
)

// FromHoldout is the candidate of a trial's holdout: its validation
// predictions and their row digest.
func FromHoldout(name string, h *model.Holdout) Candidate {
	return Candidate{Name: name, Digest: h.Val.Digest, Width: h.Val.Width, Pred: h.Val.P}
}

// Labels are a split's true labels as Select and Metric.Score take them.
func Labels(s *model.Split) []float64 {
	out := make([]float64, len(s.Y))
	for i, v := range s.Y {
		out[i] = float64(v)
	}
	return out
}

// MetricFor picks the selection metric for holdouts of this kind: by name
// when name is not "" (refused when the task cannot compute it), else as
// ForObjective does for the study's objective. followed is false when the
// objective could not be used and a default was taken.
func MetricFor(name, objective string, h *model.Holdout) (m Metric, followed bool, err error) {
	class := h.Task != model.Regression
	if name == "" {
		m, followed = ForObjective(objective, class, len(h.Classes))
		return m, followed, nil
	}
	if m, err = MetricByName(name); err != nil {
		return m, false, err
	}
	switch {
	case m.Classification && !class:
		return m, false, fmt.Errorf("metric %s is for classification; the models predict a %s target (use rmse, mae or r2)", m.Name, h.Task)
	case !m.Classification && class:
		return m, false, fmt.Errorf("metric %s is for regression; the models predict %s classes (use accuracy, balanced_accuracy, f1, log_loss, brier or auc)", m.Name, h.Task)
	case m.Binary && len(h.Classes) > 2:
		return m, false, fmt.Errorf("metric %s is for two classes; the models predict %d", m.Name, len(h.Classes))
	}
	return m, true, nil
}

// SplitScore scores the weighted average of the holdouts' predictions on
// one split (pick returns it: the validation or the test rows), the
// holdouts of weight 0 left out. ok is false when a member lacks the split
// or the members' rows differ.
func SplitScore(m Metric, hs []*model.Holdout, weights []int, pick func(*model.Holdout) *model.Split) (score float64, ok bool) {
	var preds [][]float32
	var ws []int
	var first *model.Split
	for i, h := range hs {
		if weights[i] == 0 {
			continue
		}
		s := pick(h)
		if s == nil || (first != nil && (s.Digest != first.Digest || s.Width != first.Width || s.Rows != first.Rows)) {
			return 0, false
		}
		if first == nil {
			first = s
		}
		preds = append(preds, s.P)
		ws = append(ws, weights[i])
	}
	if first == nil {
		return 0, false
	}
	avg, err := Average(preds, ws)
	if err != nil {
		return 0, false
	}
	return m.Score(avg, first.Width, Labels(first)), true
}

// Val picks a holdout's validation rows for SplitScore.
func Val(h *model.Holdout) *model.Split { return h.Val }

// Test picks a holdout's test rows for SplitScore (nil without a test
// split).
func Test(h *model.Holdout) *model.Split { return h.Test }
