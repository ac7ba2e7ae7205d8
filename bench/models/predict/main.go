// Command predict measures model.Predict's throughput for a study's best
// configuration: it trains the configuration once with the mlp trainer
// (the benchmark's rule: split column, at most -epochs epochs, patience
// 10, no dropout), loads the model file the trainer wrote, and predicts
// the data set's raw test rows (CSV strings, as `automl predict` gets
// them) repeatedly for at least a second. It prints one JSON line: rows/s
// (wall), rows per second of the process's CPU time (cpu_rows_s: the
// work per row, which other work on the machine leaves comparable) and
// the test score of those predictions (which must equal the trainer's
// reported test metric).
//
//	go run ./bench/models/predict -data bench/out/models/data/adultlike-s1.csv \
//	    -task classification -params '{"num_layers": 1, "units_1": 21, ...}' -threads 2
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"automl/internal/cputime"
	"automl/model"
	"automl/plugins/mlp"
	"automl/trial"
)

type quiet struct{}

func (quiet) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

func main() {
	path := flag.String("data", "", "CSV with a split column")
	task := flag.String("task", "classification", "classification or regression")
	params := flag.String("params", "{}", "the best trial's parameters, JSON")
	threads := flag.Int("threads", 2, "goroutines for Predict")
	epochs := flag.Int("epochs", 60, "at most this many epochs")
	flag.Parse()
	if err := run(*path, *task, *params, *threads, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "predict:", err)
		os.Exit(1)
	}
}

func run(path, task, params string, threads, epochs int) error {
	cfg := map[string]any{"dataset": path, "target": "target", "task": task, "split_column": "split",
		"missing_values": []any{"?", ""}, "epochs": epochs, "patience": 10, "threads": 1, "dropout": 0.0, "seed": 1}
	var p map[string]any
	if err := json.Unmarshal([]byte(params), &p); err != nil {
		return fmt.Errorf("-params: %v", err)
	}
	for k, v := range p {
		cfg[k] = v
	}
	dir, err := os.MkdirTemp("", "bench-predict")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res, err := mlp.Runner{}.Run(context.Background(), trial.Spec{Key: trial.Key{Study: "bench", ID: 1}, Seed: 1, CheckpointDir: dir,
		Trainer: trial.Trainer{Plugin: "mlp", Config: cfg}}, quiet{})
	if err != nil {
		return err
	}
	m, err := model.Load(filepath.Join(dir, model.ModelFile))
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	all, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return err
	}
	header := all[0]
	split, target := -1, -1
	for i, h := range header {
		switch h {
		case "split":
			split = i
		case "target":
			target = i
		}
	}
	var recs [][]string
	var truth []string
	for _, r := range all[1:] {
		if r[split] == "test" {
			recs = append(recs, r)
			truth = append(truth, r[target])
		}
	}
	o := model.Options{Source: path, IgnoreExtra: true, Threads: threads}
	pred, err := m.PredictRecords(header, recs, o)
	if err != nil {
		return err
	}
	var score float64
	key := "test_accuracy"
	if task == "classification" {
		for i, t := range truth {
			if pred.Label(i) == t {
				score++
			}
		}
		score /= float64(len(truth))
	} else {
		key = "test_rmse"
		for i, t := range truth {
			y, _ := strconv.ParseFloat(t, 64)
			score += (pred.Value[i] - y) * (pred.Value[i] - y)
		}
		score = math.Sqrt(score / float64(len(truth)))
	}
	reps, start, cpu := 0, time.Now(), cputime.Process()
	for time.Since(start) < time.Second || reps < 3 {
		if _, err := m.PredictRecords(header, recs, o); err != nil {
			return err
		}
		reps++
	}
	rows := float64(reps * len(recs))
	rps := rows / time.Since(start).Seconds()
	cpuRps := 0.0
	if used := (cputime.Process() - cpu).Seconds(); used > 0 {
		cpuRps = math.Round(rows / used)
	}
	out, _ := json.Marshal(map[string]any{"data": path, "rows": len(recs), "predict_rows_s": math.Round(rps),
		"cpu_rows_s": cpuRps, "test": score, "trainer_test": res.Metrics[key], "threads": threads})
	fmt.Println(string(out))
	return nil
}
