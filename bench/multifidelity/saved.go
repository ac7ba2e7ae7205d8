package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// savedRun is a run as -save writes it: enough to report it again, at
// any target, next to runs of other seeds (-load).
type savedRun struct {
	Task   string    `json:"task"`
	Method string    `json:"method"`
	Seed   int       `json:"seed"`
	Epochs float64   `json:"epochs"`
	At     []float64 `json:"at"`
	Val    []float64 `json:"val"`
	Best   float64   `json:"best"`
	Note   string    `json:"note"`
	Budget float64   `json:"budget"` // the epochs the run could train
	Optuna string    `json:"optuna,omitempty"`
}

// save writes a task's runs to dir/<task>-seeds<first>-<last>.json.
func save(dir, taskName string, res results, b budgets, first, last int) (string, error) {
	var out []savedRun
	for _, m := range slices.Sorted(maps.Keys(res.runs)) { // the same runs, the same file
		for _, r := range res.runs[m] {
			out = append(out, savedRun{Task: taskName, Method: r.method, Seed: r.seed, Epochs: r.epochs,
				At: r.at, Val: r.val, Best: r.best, Note: r.note, Optuna: res.optuna, Budget: b.of(r.method)})
		}
	}
	text, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-seeds%d-%d.json", taskName, first, last))
	return path, os.WriteFile(path, text, 0o644)
}

// load reads the runs of one task from files -save wrote, and the budgets
// they ran with. A method and seed found twice is an error (the union of
// two files must not count a run twice), and so are runs of one kind
// (ours, or the references) with different budgets, which one table
// cannot compare.
func load(files []string, taskName string) (results, budgets, error) {
	res := results{runs: map[string][]run{}}
	var b budgets
	seen := map[string]string{}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return res, b, err
		}
		var in []savedRun
		if err := json.Unmarshal(text, &in); err != nil {
			return res, b, fmt.Errorf("%s: %w", f, err)
		}
		for _, s := range in {
			if s.Task != taskName {
				continue
			}
			if len(s.At) != len(s.Val) {
				return res, b, fmt.Errorf("%s: %s seed %d: %d epoch counts for %d scores", f, s.Method, s.Seed, len(s.At), len(s.Val))
			}
			key := fmt.Sprintf("%s seed %d", s.Method, s.Seed)
			if prev, dup := seen[key]; dup {
				return res, b, fmt.Errorf("%s: %s is also in %s", f, key, prev)
			}
			seen[key] = f
			kind := &b.methods
			if isReference(s.Method) {
				kind = &b.refs
			}
			if *kind != 0 && *kind != s.Budget {
				return res, b, fmt.Errorf("%s: %s ran with a budget of %g epochs, other runs of its kind with %g", f, key, s.Budget, *kind)
			}
			*kind = s.Budget
			res.runs[s.Method] = append(res.runs[s.Method], run{method: s.Method, seed: s.Seed, epochs: s.Epochs,
				at: s.At, val: s.Val, best: s.Best, note: s.Note})
			if s.Optuna != "" {
				res.optuna = s.Optuna
			}
		}
	}
	for _, rs := range res.runs {
		slices.SortFunc(rs, func(a, b run) int { return a.seed - b.seed })
	}
	if b.methods == 0 {
		b.methods = b.refs
	}
	if b.refs == 0 {
		b.refs = b.methods
	}
	return res, b, nil
}
