package model

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"automl/plugins/mlp/data"
)

// benchSpec is a binary classifier over `numeric` standardised numeric
// columns with two hidden layers of `units` relu units, random weights.
func benchSpec(numeric, units int) Spec {
	rng := rand.New(rand.NewPCG(9, 9))
	w := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
		}
		return v
	}
	prep := data.PrepState{Width: numeric}
	for i := 0; i < numeric; i++ {
		name := fmt.Sprintf("f%d", i)
		prep.Names = append(prep.Names, name)
		prep.Cols = append(prep.Cols, data.ColState{Name: name, Index: i, Fill: 0, Indicator: -1, Mean: 0.5, Std: 2, Out: i})
	}
	return Spec{Info: Info{Task: Binary, Target: "y", Classes: []string{"0", "1"}}, Missing: data.DefaultMissing,
		Folds: []Fold{{Prep: prep, YStd: 1, Layers: []Layer{
			{In: numeric, Out: units, W: w(numeric * units), B: w(units), Act: "relu"},
			{In: units, Out: units, W: w(units * units), B: w(units), Act: "relu"},
			{In: units, Out: 1, W: w(units), B: w(1)},
		}}}}
}

// BenchmarkPredict measures rows/s of PredictRecords (text cells parsed,
// encoded, two 256-unit relu layers) on 20 numeric columns:
// go test ./model -run XXX -bench Predict -benchtime 20x
func BenchmarkPredict(b *testing.B) {
	const rows, numeric = 20000, 20
	m := mustNew(b, benchSpec(numeric, 256))
	rng := rand.New(rand.NewPCG(1, 1))
	header := make([]string, numeric)
	for i := range header {
		header[i] = fmt.Sprintf("f%d", i)
	}
	recs := make([][]string, rows)
	for r := range recs {
		recs[r] = make([]string, numeric)
		for i := range recs[r] {
			recs[r][i] = strconv.FormatFloat(rng.NormFloat64(), 'f', 6, 64)
		}
	}
	for _, threads := range []int{1, 0} {
		name := "threads=all"
		if threads == 1 {
			name = "threads=1"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.PredictRecords(header, recs, Options{Threads: threads}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
