// Command ablate measures trainer options one at a time: it trains the
// mlp trainer with fixed hyperparameters on each CSV given (files with a
// `split` column, as bench/models/gen_data.py writes them) under each
// variant, and prints the median validation and test metric per variant.
//
//	go run ./bench/models/ablate -set layers=64-64 -set batch_size=128 \
//	    -variant base= -variant log=numeric_transform:log \
//	    -variant 'both=numeric_transform:log;max_levels:10' \
//	    bench/out/models/data/adultlike-s1.csv bench/out/models/data/adultlike-s2.csv
//
// A variant is NAME=key:value;key:value (empty: the base settings). The
// metric is accuracy (classification) or RMSE (regression); -seeds model
// seeds run per file.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"automl/bench/internal/mlprun"
	"automl/plugins/mlp"
	"automl/search/value"
	"automl/trial"
)

func main() {
	seeds := flag.Int("seeds", 1, "model seeds per file")
	metric := flag.String("metric", "accuracy", "accuracy or rmse")
	var sets, variants mlprun.ListFlag
	flag.Var(&sets, "set", "a base config key, key=value (repeatable)")
	flag.Var(&variants, "variant", "NAME=key:value;key:value (repeatable)")
	flag.Parse()
	if len(variants) == 0 {
		variants = mlprun.ListFlag{"base="}
	}
	fmt.Printf("| variant | val %s (median) | test %s (median) | per run (val/test) | time |\n|---|---:|---:|---|---:|\n", *metric, *metric)
	for _, v := range variants {
		name, spec, _ := strings.Cut(v, "=")
		var vals, tests []float64
		var per []string
		start := time.Now()
		for _, file := range flag.Args() {
			for s := 1; s <= *seeds; s++ {
				cfg := map[string]any{"dataset": file, "split_column": "split", "missing_values": []any{"?", ""},
					"seed": s, "epochs": 60, "patience": 10, "dropout": 0.0, "threads": 1}
				for _, kv := range sets {
					k, x, _ := strings.Cut(kv, "=")
					cfg[k] = mlprun.Value(x)
				}
				if spec != "" {
					for _, kv := range strings.Split(spec, ";") {
						k, x, _ := strings.Cut(kv, ":")
						cfg[k] = mlprun.Value(x)
					}
				}
				res, err := mlp.Runner{}.Run(context.Background(), trial.Spec{Key: trial.Key{Study: "ablate", ID: s}, Params: value.Values{},
					Trainer: trial.Trainer{Plugin: "mlp", Config: cfg}}, mlprun.NopReporter{})
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s %s seed %d: %v\n", name, file, s, err)
					os.Exit(1)
				}
				vals = append(vals, res.Metrics["val_"+*metric])
				tests = append(tests, res.Metrics["test_"+*metric])
				per = append(per, fmt.Sprintf("%.4f/%.4f", vals[len(vals)-1], tests[len(tests)-1]))
			}
		}
		fmt.Printf("| %s | %.4f | %.4f | %s | %.0fs |\n", name, mlprun.Median(vals), mlprun.Median(tests), strings.Join(per, " "), time.Since(start).Seconds())
	}
}
