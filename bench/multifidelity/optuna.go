package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// optunaResult is the line optuna_side.py prints.
type optunaResult struct {
	Method   string       `json:"method"`
	Seed     int          `json:"seed"`
	Epochs   float64      `json:"epochs"`
	Trials   int          `json:"trials"`
	Timeline [][2]float64 `json:"timeline"`
	Best     *float64     `json:"best"`
	Version  string       `json:"optuna"`
}

// runOptuna runs one seed of Optuna's side (pruner: hyperband or sha).
func runOptuna(ctx context.Context, python, script string, t task, pruner string, seed int, maxR, budget float64) (run, string, error) {
	args := []string{script, "--pruner", pruner, "--seed", strconv.Itoa(seed),
		"--max-epochs", strconv.FormatFloat(maxR, 'g', -1, 64), "--budget", strconv.FormatFloat(budget, 'g', -1, 64)}
	if t.csv == "" {
		args = append(args, "--task", "synthetic")
	} else {
		args = append(args, "--task", "csv", "--csv", t.csv)
		if t.regression {
			args = append(args, "--regression")
		}
	}
	cmd := exec.CommandContext(ctx, python, args...)
	// One thread, as automl's side (threads: 1); also keeps BLAS sums in
	// one order, so a seed repeats exactly.
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return run{}, "", fmt.Errorf("%s %s: %w\n%s", python, strings.Join(args, " "), err, tail(errb.String(), 20))
	}
	var res optunaResult
	line := strings.TrimSpace(out.String())
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return run{}, "", fmt.Errorf("optuna_side.py printed %q: %w", line, err)
	}
	r := run{method: res.Method, seed: seed, epochs: res.Epochs, note: fmt.Sprintf("%d trials", res.Trials)}
	for _, p := range res.Timeline {
		r.at, r.val = append(r.at, p[0]), append(r.val, p[1])
	}
	if res.Best != nil {
		r.best = *res.Best
	}
	return r, res.Version, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
