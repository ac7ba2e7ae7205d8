package mlp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"automl/search/value"
	"automl/trial"
)

// BenchmarkEpoch times one training epoch of the two speed-benchmark
// shapes on synthetic data (bench/mlp compares them with PyTorch).
func BenchmarkEpoch(b *testing.B) {
	for _, c := range []struct {
		n      int
		layers string
		batch  int
	}{{10000, "64-64", 32}, {100000, "256-256", 256}} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("n=%d/%s/batch=%d/threads=%d", c.n, c.layers, c.batch, th), func(b *testing.B) {
				cfg := map[string]any{"dataset": fmt.Sprintf("synthetic:classification?n=%d&features=20&informative=10", c.n),
					"validation": 0.0, "test": 0.2, "layers": c.layers, "batch_size": c.batch, "dropout": 0.0, "threads": th}
				s, err := Parse(cfg, value.Values{})
				if err != nil {
					b.Fatal(err)
				}
				ds, err := loadDataset(&s.Config)
				if err != nil {
					b.Fatal(err)
				}
				pf, err := prepare(&s.Config, ds)
				if err != nil {
					b.Fatal(err)
				}
				tr, err := newTrainer(s, ds, pf, 1)
				if err != nil {
					b.Fatal(err)
				}
				never := func() bool { return false }
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if _, err := tr.epochStep(i, never); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCosts runs whole trials (training, final evaluation and the
// cost measurement, one thread) and times the cost measurement (params
// and inference_ms: 8 predictions of 256 rows) again on its own, to give
// what it adds to a trial: costs-ms, and costs-% of the rest of the trial.
// The cases are the default network on iris and a short trial of the
// largest network of examples/mlp on breast_cancer, the worst case (a big
// network, few rows, few epochs).
func BenchmarkCosts(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  map[string]any
	}{
		{"iris/64-64/epochs=100", map[string]any{"dataset": "../../testdata/datasets/iris.csv"}},
		{"iris/64-64/epochs=25", map[string]any{"dataset": "../../testdata/datasets/iris.csv", "epochs": 25}},
		{"breast_cancer/256-256-256-256/epochs=2", map[string]any{"dataset": "../../testdata/datasets/breast_cancer.csv", "layers": "256-256-256-256", "epochs": 2}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.cfg["threads"] = 1
			sp := trial.Spec{Key: trial.Key{Study: "b", ID: 1}, Seed: 1, Trainer: trial.Trainer{Plugin: "mlp", Config: c.cfg}}
			var costs time.Duration
			for b.Loop() {
				b.StopTimer()
				j, err := newJob(sp)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, ended, err := j.train(context.Background(), nopReporter{}); ended || err != nil {
					b.Fatal(ended, err)
				}
				if _, err := j.finish(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				start := time.Now()
				j.t.costs()
				costs += time.Since(start)
				b.StartTimer()
			}
			per := costs.Seconds() / float64(b.N)
			b.ReportMetric(per*1e3, "costs-ms")
			b.ReportMetric(100*per/(b.Elapsed().Seconds()/float64(b.N)-per), "costs-%")
		})
	}
}

type nopReporter struct{}

func (nopReporter) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}
