// Command multifidelity is the benchmark of issue 7: the epochs a search
// trains before its best validation score is first within 1% of the best
// score any run found on the task, median over seeds, for automl's asha,
// bohb, hyperband, median stopping and random search at the full budget,
// and Optuna's TPE with its HyperbandPruner and SuccessiveHalvingPruner,
// all in one run. Tasks: the mlp trainer on sonar and wine_quality
// (testdata/datasets) tuning learning rate, depth, width, L2, dropout and
// batch size up to 27 epochs, and a synthetic learning-curve task with a
// known optimum. automl's side runs the real scheduler in-process (memory
// store, local dispatcher, the mlp trainer's Runner); Optuna's runs
// optuna_side.py with scikit-learn's MLP. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	var (
		tasks     = flag.String("tasks", "synthetic,sonar,wine_quality", "tasks: synthetic, sonar, wine_quality")
		ours      = flag.String("methods", strings.Join(methods, ","), "automl's methods; NAME+SAMPLER runs one with another sampler for new configurations, e.g. asha+tpe")
		pruners   = flag.String("optuna", "hyperband,sha", "Optuna TPE with these pruners (hyperband, sha; empty: none)")
		seeds     = flag.Int("seeds", 5, "seeds per method (first-seed..first-seed+seeds-1)")
		firstSeed = flag.Int("first-seed", 1, "the first seed (pick another range to try a change on seeds the reported figures do not use)")
		maxR      = flag.Float64("max", 27, "max_resource: the epochs of a full training")
		budget    = flag.Float64("budget", 2000, "epochs each run on a real data set trains (max_resource_total)")
		synBudget = flag.Float64("synthetic-budget", 10000, "epochs each run on the synthetic task trains")
		refFactor = flag.Float64("ref-factor", 1, "the references of the goals (random search, Optuna) train this many times the budget: where their median run does not reach the target, a larger budget decides the goal")
		within    = flag.Float64("within", 0.01, "the target: within this fraction of the best score found")
		fixed     = flag.Float64("target", math.NaN(), "a fixed target score instead of one from the best found (runs of different code then compare)")
		jobs      = flag.Int("jobs", runtime.GOMAXPROCS(0), "runs at once (each trains one job at a time)")
		python    = flag.String("python", "/usr/bin/python3", "the Python with optuna and scikit-learn")
		verbose   = flag.Bool("v", false, "print every run")
		saveDir   = flag.String("save", "", "write each task's runs (every improvement of every run) to DIR/<task>-seeds<first>-<last>.json")
		loadFiles = flag.String("load", "", "report the runs in these files (comma-separated, written by -save) instead of running: the union of seed ranges run apart, at any -target")
	)
	flag.Parse()
	if !(*refFactor >= 1) {
		fail(fmt.Errorf("-ref-factor must be at least 1, got %g", *refFactor))
	}
	if *saveDir != "" && *loadFiles != "" {
		fail(fmt.Errorf("-save and -load together: loaded runs are saved already"))
	}
	methodList := split(*ours)
	for _, m := range methodList {
		if base, _ := methodAlg(m); !slices.Contains(methods, base) {
			fail(fmt.Errorf("unknown method %q (%s, or NAME+SAMPLER such as asha+tpe)", m, strings.Join(methods, ", ")))
		}
	}
	tmp, err := os.MkdirTemp("", "multifidelity-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	repo, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	script := filepath.Join(repo, "bench/multifidelity/optuna_side.py")
	if len(split(*pruners)) > 0 && *loadFiles == "" {
		if _, err := os.Stat(script); err != nil {
			fail(fmt.Errorf("run from the repository root: %w", err))
		}
		if out, err := exec.Command(*python, "-c", "import optuna, sklearn").CombinedOutput(); err != nil {
			fail(fmt.Errorf("%s cannot import optuna and sklearn (Debian: apt-get install python3-optuna python3-sklearn): %v\n%s", *python, err, out))
		}
	}
	seedRange := fmt.Sprintf("seeds %d..%d", *firstSeed, *firstSeed+*seeds-1)
	if *loadFiles != "" {
		seedRange = "the runs in " + *loadFiles
	}
	fmt.Printf("multi-fidelity benchmark: max_resource %g, min_resource 1, reduction factor 3, one job at a time, %s, target within %g%% of the best score any run found\n",
		*maxR, seedRange, 100**within)
	for _, name := range split(*tasks) {
		t, err := taskNamed(name, repo, tmp)
		if err != nil {
			fail(err)
		}
		b := budgets{methods: *budget}
		if t.csv == "" {
			b.methods = *synBudget
		}
		b.refs = b.methods * *refFactor
		start := time.Now()
		var res results
		if files := split(*loadFiles); len(files) > 0 {
			if res, b, err = load(files, t.name); err != nil {
				fail(err)
			}
		} else {
			res = runTask(t, methodList, split(*pruners), *firstSeed, *seeds, *maxR, b, *jobs, *python, script, tmp)
		}
		if *saveDir != "" {
			path, err := save(*saveDir, t.name, res, b, *firstSeed, *firstSeed+*seeds-1)
			if err != nil {
				fail(err)
			}
			fmt.Printf("(runs saved to %s)\n", path)
		}
		report(t, res, methodList, split(*pruners), *within, *fixed, b, *verbose)
		fmt.Printf("(%s: %v wall, %d runs at once)\n", t.name, time.Since(start).Round(time.Second), *jobs)
	}
}

// results are a task's runs by method, and the Optuna version seen.
type results struct {
	runs   map[string][]run
	optuna string
}

// runTask runs every method and seed of one task, jobs at a time.
func runTask(t task, ours, pruners []string, first, seeds int, maxR float64, budget budgets, jobs int, python, script, tmp string) results {
	type job struct {
		method, pruner string
		seed           int
	}
	var todo []job
	for seed := first; seed < first+seeds; seed++ {
		for _, m := range ours {
			todo = append(todo, job{method: m, seed: seed})
		}
		for _, p := range pruners {
			todo = append(todo, job{pruner: p, seed: seed})
		}
	}
	res := results{runs: map[string][]run{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan job)
	for range max(1, jobs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				var r run
				var version string
				var err error
				if j.pruner != "" {
					r, version, err = runOptuna(context.Background(), python, script, t, j.pruner, j.seed, maxR, budget.refs)
				} else {
					r, err = runOurs(context.Background(), t, j.method, j.seed, maxR, budget.of(j.method), tmp)
				}
				if err != nil {
					fail(fmt.Errorf("%s: %w", t.name, err))
				}
				mu.Lock()
				res.runs[r.method] = append(res.runs[r.method], r)
				if version != "" {
					res.optuna = version
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range todo {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, rs := range res.runs {
		slices.SortFunc(rs, func(a, b run) int { return a.seed - b.seed })
	}
	return res
}

// report prints a task's table and the goals.
func report(t task, res results, ours, pruners []string, within, fixed float64, budget budgets, verbose bool) {
	var names []string
	names = append(names, ours...)
	for _, p := range pruners {
		names = append(names, "optuna-tpe+"+p)
	}
	best, by := math.NaN(), ""
	for _, m := range names {
		for _, r := range res.runs[m] {
			if len(r.val) > 0 && (math.IsNaN(best) || t.better(r.best, best)) {
				best, by = r.best, fmt.Sprintf("%s seed %d", m, r.seed)
			}
		}
	}
	target := t.target(best, within)
	if !math.IsNaN(fixed) {
		target = fixed
	}
	dir, cmp := "maximize", ">="
	if !t.maximize {
		dir, cmp = "minimize", "<="
	}
	if budget.refs == budget.methods {
		fmt.Printf("\n== %s: %s (%s), %g epochs per run\n", t.name, t.metric, dir, budget.methods)
	} else {
		fmt.Printf("\n== %s: %s (%s), %g epochs per run, %g for random search and Optuna\n", t.name, t.metric, dir, budget.methods, budget.refs)
	}
	fmt.Printf("best found %.5g (%s); target %s %.5g\n\n", best, by, cmp, target)
	med, per := table(t, res, names, func(string) float64 { return target }, budget, verbose)
	if res.optuna != "" {
		fmt.Printf("(Optuna %s)\n", res.optuna)
	}
	for _, m := range names {
		if base, _ := methodAlg(m); base != "asha" && base != "bohb" {
			continue // the goals are ASHA's and BOHB's, with any sampler
		}
		g := goals(med, m, optunaHB, budget.refs)
		if g == "" {
			continue // no reference ran (-methods without random, -optuna "")
		}
		fmt.Printf("goal %s: %s\n", m, g)
		for _, ref := range []string{"random", optunaHB} {
			if _, ok := med[ref]; ok {
				lo, hi := factorInterval(per[m], per[ref], 0.9)
				fmt.Printf("    %s vs %s: 90%% of %d bootstrap draws of the seeds put the factor x of 1/x between %s and %s\n", m, ref, bootstrapDraws, factor(lo), factor(hi))
			}
		}
	}
	// The same with each side's target taken from its own best run: how
	// fast each search gets near what its own trainer can reach, apart
	// from which trainer reaches more.
	own := map[bool]float64{}
	for _, m := range names {
		for _, r := range res.runs[m] {
			o := isOptuna(m)
			if v, ok := own[o]; len(r.val) > 0 && (!ok || t.better(r.best, v)) {
				own[o] = r.best
			}
		}
	}
	if len(own) == 2 {
		fmt.Printf("\neach side against its own best (automl %.5g, Optuna %.5g): targets %s %.5g and %s %.5g\n\n",
			own[false], own[true], cmp, t.target(own[false], within), cmp, t.target(own[true], within))
		table(t, res, names, func(m string) float64 { return t.target(own[isOptuna(m)], within) }, budget, false)
	}
}

const optunaHB = "optuna-tpe+hyperband"

func isOptuna(method string) bool { return strings.HasPrefix(method, "optuna-") }

// table prints one row per method (epochs to its target, median over
// seeds) and returns the medians and each seed's epochs.
func table(t task, res results, names []string, target func(method string) float64, budget budgets, verbose bool) (med map[string]float64, per map[string][]float64) {
	med, per = map[string]float64{}, map[string][]float64{}
	for _, m := range names {
		var es []float64
		for _, r := range res.runs[m] {
			es = append(es, r.epochsTo(t, target(m)))
		}
		med[m], per[m] = median(es), es
	}
	fmt.Printf("%-22s %12s %8s %10s %22s %12s\n", "method", "epochs (med)", "reached", "vs random", "vs "+optunaHB, "median best")
	for _, m := range names {
		reached := 0
		var bests []float64
		for _, r := range res.runs[m] {
			if !math.IsInf(r.epochsTo(t, target(m)), 1) {
				reached++
			}
			bests = append(bests, r.best)
		}
		vsRandom, vsHB := "-", "-"
		if _, ok := med["random"]; ok {
			vsRandom = ratio(med[m], med["random"], budget.refs)
		}
		if _, ok := med[optunaHB]; ok {
			vsHB = ratio(med[m], med[optunaHB], budget.refs)
		}
		fmt.Printf("%-22s %12s %5d/%-2d %10s %22s %12.5g\n", m, epochs(med[m]), reached, len(res.runs[m]), vsRandom, vsHB, median(bests))
		if verbose {
			for _, r := range res.runs[m] {
				fmt.Printf("    seed %d: %s epochs to target, best %.5g, %g epochs trained; %s\n", r.seed, epochs(r.epochsTo(t, target(m))), r.best, r.epochs, r.note)
			}
		}
	}
	return med, per
}

// budgets are the epochs a run trains: methods for automl's multi-fidelity
// methods, refs for the references of the goals (random search and
// Optuna's runs).
type budgets struct{ methods, refs float64 }

func (b budgets) of(method string) float64 {
	if isReference(method) {
		return b.refs
	}
	return b.methods
}

// isReference says whether a method is a reference of the goals (random
// search, an Optuna run), which trains the references' budget.
func isReference(method string) bool { return method == "random" || isOptuna(method) }

// goals states the two goals for method m: at most 1/4 of random
// search's epochs, at most 1/1.5 of Optuna TPE + HyperbandPruner's. A
// reference that did not reach the target (in most seeds) needed more
// than its budget (the references' budget), which bounds the ratio.
func goals(med map[string]float64, m, hb string, budget float64) string {
	var parts []string
	for _, g := range []struct {
		ref    string
		factor float64
	}{{"random", 4}, {hb, 1.5}} {
		ref, ok := med[g.ref]
		if !ok {
			continue
		}
		e := med[m]
		var verdict string
		switch {
		case math.IsInf(e, 1) && math.IsInf(ref, 1):
			verdict = fmt.Sprintf("neither %s nor %s reached the target within its budget (median run): undecided", m, g.ref)
		case math.IsInf(e, 1):
			verdict = fmt.Sprintf("%s did not reach the target, %s did: missed", m, g.ref)
		case math.IsInf(ref, 1) && e*g.factor <= budget:
			verdict = fmt.Sprintf("%s of %s (goal 1/%g or less; %s did not reach the target in %g epochs): met", ratio(e, ref, budget), g.ref, g.factor, g.ref, budget)
		case math.IsInf(ref, 1):
			verdict = fmt.Sprintf("%s of %s (goal 1/%g or less; %s did not reach the target in %g epochs): undecided, it needs a budget of %g", ratio(e, ref, budget), g.ref, g.factor, g.ref, budget, e*g.factor)
		case e*g.factor > ref:
			verdict = fmt.Sprintf("%s of %s (goal 1/%g or less): missed", ratio(e, ref, budget), g.ref, g.factor)
		default:
			verdict = fmt.Sprintf("%s of %s (goal 1/%g or less): met", ratio(e, ref, budget), g.ref, g.factor)
		}
		parts = append(parts, verdict)
	}
	return strings.Join(parts, "; ")
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "multifidelity:", err)
	os.Exit(1)
}
