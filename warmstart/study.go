package warmstart

import (
	"fmt"

	"automl/scheduler"
	"automl/trial"
)

// FromStudy takes the completed trials of another study (loaded from its
// study file by the caller). file names the study file for messages and
// sources (an absolute path, so a source means one file wherever the
// command runs). A trial of a study with another objective metric gives
// that metric's final value when it reported it. Trials that ended at a
// lower rung of a multi-fidelity study come with the resource they reached.
// Results that study imported itself are skipped: import their sources.
func FromStudy(t Target, o Origin, src scheduler.StudyState) (Result, error) {
	var r Result
	if src.Study == nil {
		return r, fmt.Errorf("%s: %w", o.Name, scheduler.ErrStudyNotFound)
	}
	if len(src.Trials) > MaxResults {
		return r, fmt.Errorf("%s: study %s has %d trials; at most %d are imported at once", o.Name, src.Study.Name, len(src.Trials), MaxResults)
	}
	sameMetric := src.Study.Metric == t.Objective.Metric
	dropped := map[string]bool{}
	for i := range src.Trials {
		rec := &src.Trials[i]
		in := raw{
			where:  fmt.Sprintf("%s:%s/%d", o.Name, src.Study.Name, rec.ID),
			source: fmt.Sprintf("%s:%s/%d", o.Abs, src.Study.Name, rec.ID),
			params: rec.Params, state: rec.State.String(), resource: rec.Resource,
		}
		if rec.State == trial.Imported {
			// A result that study imported itself: import it from where it came.
			r.Skipped = append(r.Skipped, Skip{Where: in.where, Reason: reasonImported, Detail: "that study imported it from " + rec.Source})
			continue
		}
		switch v, ok := rec.Metrics[t.Objective.Metric]; {
		case sameMetric && rec.HasValue:
			in.value, in.hasValue = rec.Value, true
		case ok:
			in.value, in.hasValue = v, true
		}
		if len(rec.Metrics) > 0 {
			in.metrics = make(trial.Metrics, len(rec.Metrics))
			for k, v := range rec.Metrics {
				in.metrics[k] = v
			}
		}
		r.add(t, in, dropped)
	}
	if len(r.Records) == 0 && !sameMetric && len(src.Trials) > 0 {
		return r, fmt.Errorf("%s: no trial of study %s reported %s, the objective's metric here (that study's is %s)", o.Name, src.Study.Name, t.Objective.Metric, src.Study.Metric)
	}
	return r, nil
}
