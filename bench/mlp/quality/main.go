// Command quality trains the mlp trainer with its default settings on the
// real data sets in testdata/datasets, over several seeds (each seed sets
// both the train/validation/test split and the model's initialisation),
// and prints the median test metric per data set. Regression data sets are
// compared with an ordinary-least-squares linear baseline fitted on the
// same training rows with the same preprocessing.
//
//	go run ./bench/mlp/quality            # from the repository root
//	go run ./bench/mlp/quality -seeds 5 -set breast_cancer -set 'learning_rate=0.01'
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"automl/bench/internal/mlprun"
	"automl/plugins/mlp"
	"automl/plugins/mlp/data"
	"automl/plugins/mlp/metrics"
	"automl/search/value"
	"automl/trial"
)

type job struct {
	file   string
	metric string
	target float64 // the bar for classification (0: none)
}

var jobs = []job{
	{"breast_cancer", "test_accuracy", 0.95},
	{"wine", "test_accuracy", 0.95},
	{"iris", "test_accuracy", 0.93},
	{"sonar", "test_accuracy", 0.80},
	{"abalone", "test_r2", 0},
	{"wine_quality", "test_r2", 0},
}

func main() {
	dir := flag.String("data", "testdata/datasets", "directory of the CSV files")
	seeds := flag.Int("seeds", 5, "seeds per data set (median reported)")
	var only, sets mlprun.ListFlag
	flag.Var(&only, "only", "run only this data set (repeatable)")
	flag.Var(&sets, "set", "override a config key, key=value (repeatable)")
	flag.Parse()
	fmt.Printf("| data set | metric | median | per seed | linear baseline R2 (median) | bar | epochs (median) | time |\n|---|---|---:|---|---:|---:|---:|---:|\n")
	failed := false
	for _, j := range jobs {
		if len(only) > 0 && !slices.Contains(only, j.file) {
			continue
		}
		path := fmt.Sprintf("%s/%s.csv", *dir, j.file)
		var vals, base, epochs []float64
		start := time.Now()
		for s := 1; s <= *seeds; s++ {
			cfg := map[string]any{"dataset": path, "split_seed": s, "seed": s}
			for _, kv := range sets {
				k, v, _ := strings.Cut(kv, "=")
				cfg[k] = mlprun.Value(v)
			}
			res, err := mlp.Runner{}.Run(context.Background(), trial.Spec{Key: trial.Key{Study: "quality", ID: s}, Params: value.Values{},
				Trainer: trial.Trainer{Plugin: "mlp", Config: cfg}}, mlprun.NopReporter{})
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s seed %d: %v\n", j.file, s, err)
				os.Exit(1)
			}
			vals = append(vals, res.Metrics[j.metric])
			epochs = append(epochs, res.Step)
			if j.metric == "test_r2" {
				b, err := linearBaseline(path, uint64(s))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				base = append(base, b)
			}
		}
		per := make([]string, len(vals))
		for i, v := range vals {
			per[i] = fmt.Sprintf("%.3f", v)
		}
		med := mlprun.Median(vals)
		bar, baseCol := "-", "-"
		if j.target > 0 {
			bar = fmt.Sprintf(">= %.2f", j.target)
			if med < j.target {
				failed = true
				bar += " MISSED"
			}
		}
		if len(base) > 0 {
			baseCol = fmt.Sprintf("%.3f", mlprun.Median(base))
		}
		fmt.Printf("| %s | %s | %.3f | %s | %s | %s | %.0f | %.1fs |\n", j.file, j.metric, med, strings.Join(per, " "), baseCol, bar, mlprun.Median(epochs), time.Since(start).Seconds())
	}
	if failed {
		os.Exit(1)
	}
}

// linearBaseline fits least squares on the trainer's default split and
// preprocessing (validation rows join training: a linear fit needs no early
// stopping) and returns R2 on the test rows.
func linearBaseline(path string, seed uint64) (float64, error) {
	t, err := data.Load(path, data.LoadOptions{})
	if err != nil {
		return 0, err
	}
	ds, err := data.Prepare(t, "target", data.Auto, false)
	if err != nil {
		return 0, err
	}
	sp, err := data.Split(ds, data.SplitOptions{Validation: 0.2, Test: 0.2, Seed: seed})
	if err != nil {
		return 0, err
	}
	train := append(slices.Clone(sp.Folds[0].Train), sp.Folds[0].Val...)
	pre, err := data.Fit(ds, train, data.PrepOptions{Standardize: true})
	if err != nil {
		return 0, err
	}
	x := pre.Transform(ds, train)
	p := pre.Width + 1 // with an intercept
	ata := make([][]float64, p)
	for i := range ata {
		ata[i] = make([]float64, p+1)
	}
	row := make([]float64, p)
	for i, r := range train {
		for j := 0; j < pre.Width; j++ {
			row[j] = float64(x[i*pre.Width+j])
		}
		row[p-1] = 1
		y := float64(ds.Y[r])
		for a := 0; a < p; a++ {
			for b := 0; b < p; b++ {
				ata[a][b] += row[a] * row[b]
			}
			ata[a][p] += row[a] * y
		}
	}
	for a := 0; a < p-1; a++ {
		ata[a][a] += 1e-6 // one-hot columns are collinear with the intercept
	}
	coef := solve(ata)
	xt := pre.Transform(ds, sp.Test)
	pred := make([]float64, len(sp.Test))
	ys := make([]float64, len(sp.Test))
	for i, r := range sp.Test {
		v := coef[p-1]
		for j := 0; j < pre.Width; j++ {
			v += coef[j] * float64(xt[i*pre.Width+j])
		}
		pred[i], ys[i] = v, float64(ds.Y[r])
	}
	return metrics.Regress(pred, ys).R2, nil
}

// solve runs Gauss-Jordan elimination with partial pivoting on an
// augmented matrix.
func solve(a [][]float64) []float64 {
	n := len(a)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := 0; r < n; r++ {
			if r != c && a[c][c] != 0 {
				f := a[r][c] / a[c][c]
				for k := c; k <= n; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	x := make([]float64, n)
	for i := range x {
		if a[i][i] != 0 {
			x[i] = a[i][n] / a[i][i]
		}
	}
	return x
}
