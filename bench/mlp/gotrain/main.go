// Command gotrain is the Go side of the mlp speed benchmark: it runs the
// mlp trainer (mlp.Runner, the code path a study uses) on the CSV written
// by gen_data.py, whose split column fixes the same train and test rows
// the PyTorch and scikit-learn sides use, and prints one JSON line: the
// wall time of each epoch (between consecutive epoch reports; the first
// epoch also counts loading the CSV), test accuracy, and peak resident
// memory.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"automl/plugins/mlp"
	"automl/plugins/mlp/kernels"
	"automl/search/value"
	"automl/trial"
)

type clock struct{ at []time.Time }

func (c *clock) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	c.at = append(c.at, time.Now())
	return trial.Continue, nil
}

func main() {
	csv := flag.String("csv", "", "data written by gen_data.py")
	hidden := flag.String("hidden", "64,64", "hidden widths")
	batch := flag.Int("batch", 32, "batch size")
	epochs := flag.Int("epochs", 10, "epochs")
	lr := flag.Float64("lr", 1e-3, "Adam learning rate")
	threads := flag.Int("threads", 1, "threads")
	seed := flag.Int("seed", 1, "seed")
	initName := flag.String("init", "", "initialisation: glorot or he (default: the trainer's)")
	flag.Parse()
	cfg := map[string]any{
		"dataset": *csv, "split_column": "split", "standardize": false, "threads": *threads, "seed": *seed,
		"layers": strings.ReplaceAll(*hidden, ",", "-"), "batch_size": *batch, "epochs": *epochs, "learning_rate": *lr,
		"optimizer": "adam", "activation": "relu", "dropout": 0.0, "patience": 0,
	}
	if *initName != "" {
		cfg["init"] = *initName
	}
	c := &clock{}
	start := time.Now()
	res, err := mlp.Runner{}.Run(context.Background(), trial.Spec{Key: trial.Key{Study: "bench", ID: 1}, Params: value.Values{},
		Trainer: trial.Trainer{Plugin: "mlp", Config: cfg}}, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	times := make([]float64, len(c.at))
	prev := start
	for i, t := range c.at {
		times[i] = t.Sub(prev).Seconds()
		prev = t
	}
	out := map[string]any{"side": "go", "threads": *threads, "seed": *seed, "kernel": kernels.Kernel(), "gomaxprocs": runtime.GOMAXPROCS(0),
		"epoch_times": times[1:], "first_epoch_with_load": times[0], "test_accuracy": res.Metrics["test_accuracy"], "peak_rss_mb": peakRSS()}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// peakRSS reads VmHWM (the resident-set high-water mark) in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}
