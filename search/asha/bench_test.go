package asha_test

import (
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/searchtest"
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

// benchmarkStudy runs an ASHA study of 1,000 trials (max_resource 81,
// random sampler, 4 slots) per iteration; with goals, its trials carry
// two objectives and a constraint (searchtest.Goals), so every promotion
// decision sorts its rungs by Pareto rank and crowding.
func benchmarkStudy(b *testing.B, goals bool) {
	space, set := fidelitytest.Space(b, "asha", "max_resource: 81, sampler: random", 1)
	cfg := searchtest.Config{}
	if goals {
		cfg = searchtest.WithGoals(cfg)
	} else {
		cfg.New = search.NewSearcher
	}
	cpu, n := searchtest.CPUSeconds(), 0
	for b.Loop() {
		s, err := cfg.New(space, set)
		if err != nil {
			b.Fatal(err)
		}
		fidelitytest.Run(b, space, s, fidelitytest.Config{Slots: 4, Trials: 1000, MaxResource: 81, Seed: 1})
		n++
	}
	b.ReportMetric((searchtest.CPUSeconds()-cpu)/float64(n), "cpu-s/op")
}

func BenchmarkStudy1000(b *testing.B)      { benchmarkStudy(b, false) }
func BenchmarkStudy1000Goals(b *testing.B) { benchmarkStudy(b, true) }
