package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Stored is a study as its study file holds it (what automl dashboard
// reads): its trial counts by state, its best value when it has one.
type Stored struct {
	Study   string
	Counts  map[string]int
	Best    float64
	HasBest bool
}

var (
	storedTrials = prometheus.NewDesc("automl_stored_trials",
		"Trials of each study in the study file by state (imported: results added from elsewhere), as automl dashboard reads them at the scrape.", []string{"study", "state"}, nil)
	storedBest = prometheus.NewDesc("automl_stored_best_value",
		"Each study's best objective value as the study file holds it (one objective, once a trial completed).", []string{"study"}, nil)
)

// ServeStored adds the studies read reports, called at each scrape, as
// automl_stored_trials and automl_stored_best_value. Their names differ
// from the scheduler's automl_trials and automl_study_best_value, so that
// sums over a fleet's jobs never count a study twice. A failed read makes
// the scrape report the error for these metrics; the others still serve.
func (m *Metrics) ServeStored(read func() ([]Stored, error)) {
	m.reg.MustRegister(storedCollector(read))
}

type storedCollector func() ([]Stored, error)

func (c storedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storedTrials
	ch <- storedBest
}

func (c storedCollector) Collect(ch chan<- prometheus.Metric) {
	studies, err := c()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(storedTrials, err)
		return
	}
	for _, s := range studies {
		for _, state := range append(States, "imported") {
			ch <- prometheus.MustNewConstMetric(storedTrials, prometheus.GaugeValue, float64(s.Counts[state]), s.Study, state)
		}
		if s.HasBest {
			ch <- prometheus.MustNewConstMetric(storedBest, prometheus.GaugeValue, s.Best, s.Study)
		}
	}
}
