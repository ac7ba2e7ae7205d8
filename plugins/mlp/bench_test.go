package mlp

import (
	"fmt"
	"testing"

	"automl/search/value"
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
