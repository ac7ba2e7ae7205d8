package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// task is one benchmark problem: what trains, the objective, and the
// search space both sides tune.
type task struct {
	name     string
	metric   string // the objective, as the trainers report it
	maximize bool
	// csv is the prepared data file (real tasks): the data set with a
	// `split` column (train / val) both sides read, so they validate on
	// the same rows. Empty for the synthetic task.
	csv        string
	regression bool
}

// better says whether a beats b on this task's objective.
func (t task) better(a, b float64) bool {
	if t.maximize {
		return a > b
	}
	return a < b
}

// target is the value a run must reach: within the fraction `within` of
// best, on the side of best that is worse.
func (t task) target(best, within float64) float64 {
	if t.maximize {
		return best - within*math.Abs(best)
	}
	return best + within*math.Abs(best)
}

// reached says whether v is at least as good as the target.
func (t task) reached(v, target float64) bool {
	if t.maximize {
		return v >= target
	}
	return v <= target
}

// taskNamed returns a task; real ones get their data file prepared in dir.
func taskNamed(name, repo, dir string) (task, error) {
	switch name {
	case "synthetic":
		return task{name: name, metric: "score", maximize: true}, nil
	case "sonar":
		// AUC, not accuracy: 42 validation rows make accuracy move in
		// steps of 2.4%, so "within 1% of the best" would mean "equal to it".
		t := task{name: name, metric: "val_auc", maximize: true}
		var err error
		t.csv, err = prepareSplit(filepath.Join(repo, "testdata/datasets/sonar.csv"), filepath.Join(dir, "sonar.csv"), false)
		return t, err
	case "wine_quality":
		t := task{name: name, metric: "val_rmse", regression: true}
		var err error
		t.csv, err = prepareSplit(filepath.Join(repo, "testdata/datasets/wine_quality.csv"), filepath.Join(dir, "wine_quality.csv"), true)
		return t, err
	}
	return task{}, fmt.Errorf("unknown task %q (synthetic, sonar, wine_quality)", name)
}

// validationShare of the rows is held out for validation scores.
const validationShare = 0.2

// prepareSplit copies a data set with an added `split` column: a fixed
// 80/20 train/val split (stratified by target for classification), so the
// mlp trainer (split_column) and scikit-learn score the same rows.
func prepareSplit(src, dst string, regression bool) (string, error) {
	f, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", src, err)
	}
	if len(rows) < 10 {
		return "", fmt.Errorf("%s: too few rows", src)
	}
	head, body := rows[0], rows[1:]
	ti := slices.Index(head, "target")
	if ti < 0 {
		return "", fmt.Errorf("%s: no target column", src)
	}
	groups := map[string][]int{}
	var keys []string
	for i, r := range body {
		k := r[ti]
		if regression {
			k = ""
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	split := make([]string, len(body))
	for _, k := range keys {
		idx := groups[k]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nVal := int(math.Round(validationShare * float64(len(idx))))
		for j, i := range idx {
			split[i] = "train"
			if j < nVal {
				split[i] = "val"
			}
		}
	}
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	w := csv.NewWriter(out)
	_ = w.Write(append(slices.Clone(head), "split"))
	for i, r := range body {
		_ = w.Write(append(slices.Clone(r), split[i]))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}

// spaceYAML is the study of one run on our side: the task's space, the
// method's algorithm (its lock-step twin, see lockstep.go) and the epoch
// budget of the run.
func spaceYAML(t task, method string, seed int, maxR, budget float64) string {
	base, sampler := methodAlg(method)
	alg := fmt.Sprintf("{name: bench-%s, seed: %d, min_resource: 1, max_resource: %g, reduction_factor: 3", base, seed, maxR)
	switch base {
	case "random":
		alg = fmt.Sprintf("{name: bench-random, seed: %d", seed)
	case "median":
		alg = fmt.Sprintf("{name: bench-median, seed: %d, max_resource: %g", seed, maxR)
	}
	if sampler != "" {
		alg += ", sampler: " + sampler
	}
	alg += fmt.Sprintf(", %s: %s}", gateOption, studyName(t, method, seed))
	var b strings.Builder
	dir := "maximize"
	if !t.maximize {
		dir = "minimize"
	}
	fmt.Fprintf(&b, "study: %s\nobjective: {metric: %s, direction: %s}\nbudget: {max_resource_total: %g}\nalgorithm: %s\n", studyName(t, method, seed), t.metric, dir, budget, alg)
	if t.csv == "" {
		b.WriteString("trainer: {plugin: " + curveTrainer + "}\nparameters:\n")
		for i := range curveDims {
			fmt.Fprintf(&b, "  x%d: {type: float, low: 0, high: 1}\n", i)
		}
		return b.String()
	}
	task := "auto"
	if t.regression {
		task = "regression"
	}
	// epochs: random search trains every trial to max_resource; the
	// multi-fidelity methods set each span (and max_resource overrides it).
	fmt.Fprintf(&b, "trainer:\n  plugin: mlp\n  config: {dataset: %q, task: %s, split_column: split, threads: 1, epochs: %g}\n", t.csv, task, maxR)
	b.WriteString(`parameters:
  learning_rate: {type: float, low: 1.0e-4, high: 3.0e-2, log: true}
  num_layers:    {type: int, low: 1, high: 3}
  units:         {type: int, low: 16, high: 128, log: true}
  l2:            {type: float, low: 1.0e-6, high: 1.0e-2, log: true}
  dropout:       {type: float, low: 0.0, high: 0.5}
  batch_size:    {type: categorical, choices: [32, 64, 128, 256]}
`)
	return b.String()
}

func studyName(t task, method string, seed int) string {
	return fmt.Sprintf("%s-%s-%d", strings.ReplaceAll(t.name, "_", "-"), strings.ReplaceAll(method, "+", "-"), seed)
}

// methodAlg splits a method NAME+SAMPLER (asha+tpe: asha drawing new
// configurations from TPE) into the algorithm and the sampler.
func methodAlg(method string) (name, sampler string) {
	name, sampler, _ = strings.Cut(method, "+")
	return name, sampler
}
