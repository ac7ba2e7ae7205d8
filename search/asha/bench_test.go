package asha_test

import (
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
)

// BenchmarkSnapshot measures the snapshot of an ASHA study of 1,000
// trials (max_resource 81); bytes/snapshot is its size.
func BenchmarkSnapshot(b *testing.B) {
	space, set := fidelitytest.Space(b, "asha", "max_resource: 81", 1)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		b.Fatal(err)
	}
	fidelitytest.Run(b, space, s, fidelitytest.Config{Slots: 4, Trials: 1000, MaxResource: 81, Jobs: true, Seed: 1})
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
