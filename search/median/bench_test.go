package median_test

import (
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
)

// BenchmarkSnapshot measures the snapshot of a study of 200 trials of 81
// steps (the scheduler writes it with every commit); bytes/snapshot is
// its size.
func BenchmarkSnapshot(b *testing.B) {
	space, set := fidelitytest.Space(b, "median", "max_resource: 81, n_startup_trials: 1000", 1)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		b.Fatal(err)
	}
	fidelitytest.Run(b, space, s, fidelitytest.Config{Slots: 4, Trials: 200, MaxResource: 81, Seed: 1})
	b.ResetTimer()
	var n int
	for b.Loop() {
		snap, err := s.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		n = len(snap)
	}
	b.ReportMetric(float64(n), "bytes/snapshot")
}
