// Command bayes benchmarks automl's GP and TPE samplers against Optuna's
// samplers on the functions of search/benchfn, in one run: our samplers run
// in-process through search.NewSamplerSearcher and a History (no NATS), Optuna
// runs in a python3 subprocess (optuna_side.py), and the tables (median
// simple regret and IQR, mean ranks, suggest overhead) come out together.
// See README.md.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "automl/plugins/funcs"
	_ "automl/plugins/mlp"
	_ "automl/search/algorithms"
	"automl/search/benchfn"
)

func main() {
	var (
		funcs    = flag.String("funcs", "branin,hartmann6,rosenbrock4,ackley5,levy4,styblinski_tang4,mixed", "benchmark functions")
		seeds    = flag.Int("seeds", 20, "seeds per function and sampler")
		budgetsF = flag.String("budgets", "25,50,100,200", "trial budgets (the last is the study length)")
		ours     = flag.String("ours", "gp,tpe,tpe-mv,random", "our samplers: gp, tpe, tpe-mv, random, sobol, cmaes, auto")
		optuna   = flag.String("optuna", "random,tpe,tpe-mv,qmc,cmaes", "Optuna samplers (empty: skip Optuna)")
		python   = flag.String("python", "/usr/bin/python3", "python with optuna")
		jobs     = flag.Int("j", runtime.NumCPU(), "studies run at once")
		q        = flag.Int("q", 1, "parallel slots (trials in flight) for both sides")
		out      = flag.String("out", "", "write every study's result as JSON lines to this file")
		in       = flag.String("in", "", "print tables from a results file of an earlier run instead of running")
		overhead = flag.Bool("overhead", true, "measure suggest overhead (TPE at 1,000 observations, GP at 300 and 1,000)")
		real     = flag.Bool("real", true, "time-to-target on the funcs trainer's mixed space (5 seeds, 200 random trials)")
		mlpRun   = flag.Bool("mlp", false, "time-to-target on the mlp trainer (breast_cancer, -mlp-space); slow: thousands of trainings")
		mlpSpace = flag.String("mlp-space", "examples/mlp/space.yaml", "space file of the mlp check (its algorithm line is replaced)")
		mlpSeeds = flag.Int("mlp-seeds", 5, "study seeds of the mlp check (100, 101, ...)")
		mlpBudg  = flag.Int("mlp-budget", 200, "random search's trials in the mlp check")
		mlpLimit = flag.Int("mlp-limit", 100, "most trials GP and TPE get to reach random's best in the mlp check")
		wallSlot = flag.String("wallclock", "", "run the wall-clock benchmark instead, on these slot counts (e.g. 8,32): the automl binary against Optuna TPE with n_jobs")
		wallN    = flag.Int("wall-trials", 100, "trials per wall-clock study")
		wallMed  = flag.Duration("wall-median", time.Second, "median trial time of the wall-clock studies (log-normal)")
		wallSig  = flag.Float64("wall-sigma", 0.5, "sigma of the log-normal trial time")
		wallBin  = flag.String("wall-bin", "", "automl binary for the wall-clock studies (default: built from this checkout)")
		wallIn   = flag.String("wall-in", "", "print the wall-clock tables from files of earlier runs (comma-separated)")
		extra    = flag.String("options", "", "extra algorithm options for our samplers, as sampler=key: value;... (e.g. \"gp=n_init: 5\")")
	)
	flag.Parse()
	for _, kv := range strings.Split(*extra, ";") {
		name, opts, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		s, found := ourSamplers[name]
		if !found {
			fatal(fmt.Errorf("options: unknown sampler %q", name))
		}
		if s.Options != "" {
			s.Options += ", "
		}
		s.Options += opts
		s.Name += "(" + opts + ")"
		ourSamplers[name] = s
	}
	if *wallIn != "" {
		var studies []wallStudy
		for _, p := range split(*wallIn) {
			s, err := readWall(p)
			if err != nil {
				fatal(err)
			}
			studies = append(studies, s...)
		}
		printWallTables(os.Stdout, studies)
		return
	}
	if *wallSlot != "" {
		slots, err := parseInts(*wallSlot)
		if err != nil {
			fatal(err)
		}
		cfg := wallConfig{funcs: split(*funcs), ours: split(*ours), optuna: strings.Contains(*optuna, "tpe"), seeds: *seeds, slots: slots,
			trials: *wallN, median: *wallMed, sigma: *wallSig, python: *python, bin: *wallBin, out: *out}
		if err := runWallclock(os.Stdout, cfg); err != nil {
			fatal(err)
		}
		return
	}
	budgets, err := parseInts(*budgetsF)
	if err != nil {
		fatal(err)
	}
	var results []result
	if *in != "" {
		results, err = readResults(*in)
		if err != nil {
			fatal(err)
		}
	} else {
		var fs []*benchfn.Function
		for _, n := range split(*funcs) {
			f, ok := benchfn.Get(n)
			if !ok {
				fatal(fmt.Errorf("unknown function %q; one of %s", n, strings.Join(benchfn.Names(), ", ")))
			}
			fs = append(fs, f)
		}
		results, err = runOurs(fs, split(*ours), *seeds, budgets, *q, *jobs)
		if err != nil {
			fatal(err)
		}
		if *optuna != "" && len(fs) > 0 {
			py, err := runOptuna(*python, split(*funcs), split(*optuna), *seeds, budgets, *q, *jobs)
			if err != nil {
				fatal(err)
			}
			results = append(results, py...)
		}
		if *out != "" {
			if err := writeResults(*out, results); err != nil {
				fatal(err)
			}
		}
	}
	printRegretTables(os.Stdout, results, budgets)
	printRanks(os.Stdout, results, budgets)
	if *in == "" && *real {
		if err := realSpace(os.Stdout, *jobs); err != nil {
			fatal(err)
		}
	}
	if *in == "" && *mlpRun {
		c := mlpCheck{spaceFile: *mlpSpace, seeds: *mlpSeeds, budget: *mlpBudg, limit: *mlpLimit, jobs: *jobs}
		if err := c.run(os.Stdout); err != nil {
			fatal(err)
		}
	}
	if *in == "" && *overhead {
		if err := printOverhead(os.Stdout, *python, *optuna != ""); err != nil {
			fatal(err)
		}
	}
}

func runOurs(fs []*benchfn.Function, names []string, seeds int, budgets []int, q, jobs int) ([]result, error) {
	type task struct {
		f    *benchfn.Function
		s    sampler
		seed uint64
	}
	var tasks []task
	for _, n := range names {
		s, ok := ourSamplers[n]
		if !ok {
			return nil, fmt.Errorf("unknown sampler %q", n)
		}
		for _, f := range fs {
			for seed := 0; seed < seeds; seed++ {
				tasks = append(tasks, task{f, s, uint64(seed)})
			}
		}
	}
	results := make([]result, len(tasks))
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	ch := make(chan int)
	for w := 0; w < max(1, jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				t := tasks[i]
				results[i], errs[i] = runStudy(t.f, t.s, t.seed, budgets, q, false)
			}
		}()
	}
	for i := range tasks {
		ch <- i
		if (i+1)%50 == 0 {
			fmt.Fprintf(os.Stderr, "ours: %d/%d studies\n", i+1, len(tasks))
		}
	}
	close(ch)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

// runOptuna runs optuna_side.py and reads its JSON lines.
func runOptuna(python string, funcs, samplers []string, seeds int, budgets []int, q, jobs int) ([]result, error) {
	script := filepath.Join(sourceDir(), "optuna_side.py")
	args := []string{script, "--funcs", strings.Join(funcs, ","), "--samplers", strings.Join(samplers, ","),
		"--seeds", strconv.Itoa(seeds), "--budgets", joinInts(budgets), "--jobs", strconv.Itoa(jobs), "--q", strconv.Itoa(q),
		"--reference", filepath.Join(sourceDir(), "..", "..", "search", "benchfn", "testdata", "reference_values.json")}
	cmd := exec.Command(python, args...)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("optuna side: %w", err)
	}
	var rs []result
	for _, line := range strings.Split(strings.TrimSpace(string(outb)), "\n") {
		if line == "" {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("optuna side output %q: %w", line, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// sourceDir is where this program's files are (the script sits next to them).
func sourceDir() string {
	if d := os.Getenv("BAYES_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join("bench", "bayes")
}

func writeResults(path string, rs []result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range rs {
		r.SuggestMS = nil
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func readResults(path string) ([]result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []result
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range split(s) {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("budgets: %q is not a positive integer", p)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("budgets: none given")
	}
	sort.Ints(out)
	return out, nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bayes:", err)
	os.Exit(1)
}
