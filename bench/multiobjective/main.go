// Command multiobjective benchmarks automl's samplers of several
// objectives (random, nsga2, tpe, gp) against Optuna's (NSGAIISampler, TPESampler,
// RandomSampler) on functions with known Pareto fronts, in one run: ours
// in-process through search.NewSearcher and a History, Optuna's in a
// python3 subprocess (optuna_side.py). The figure is the hypervolume
// regret (the true front's hypervolume less the found front's, against a
// fixed reference point) after 50, 100 and 200 trials: medians and
// interquartile ranges over seeds, then whether our best sampler's median
// is at most half of Optuna's best at 100 trials and no worse at 50 and
// 200. Constrained problems (constrained.go: one objective or two, with
// constraints in the space file and Optuna's constraints_func) are
// measured by the regret of the best feasible value, or of the feasible
// trials' front, and the share of feasible trials. See RESULTS.md.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	_ "automl/search/algorithms"

	"automl/search"
	"automl/search/pareto"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// sampler is one configuration of our side: an algorithm and its options
// as a space file gives them.
type sampler struct {
	Name, Algo, Options string
}

var ourSamplers = map[string]sampler{
	"random": {Name: "automl-random", Algo: "random"},
	"nsga2":  {Name: "automl-nsga2", Algo: "nsga2"},
	// A smaller population breeds sooner: at 100 trials it led the default
	// on four of the five problems on seeds 100..109, which the reported
	// runs (seeds from 0) do not use.
	"nsga2-p20": {Name: "automl-nsga2(population: 20)", Algo: "nsga2", Options: "population: 20"},
	"sobol":     {Name: "automl-sobol", Algo: "sobol"},
	"tpe":       {Name: "automl-tpe", Algo: "tpe"},
	"gp":        {Name: "automl-gp", Algo: "gp"},
}

// study is one run of one sampler on one problem: every trial's objectives, in order.
type study struct {
	Sampler string             `json:"sampler"`
	Func    string             `json:"func"`
	Seed    int                `json:"seed"`
	Params  []map[string]any   `json:"params,omitempty"` // Optuna's side only (checked, then dropped)
	Losses  [][]float64        `json:"losses"`
	Cons    [][]float64        `json:"cons,omitempty"` // constrained problems: each trial's constraint values (<= 0 holds)
	Regret  map[string]float64 `json:"-"`              // budget -> hypervolume regret, or the best feasible value's regret
	Share   map[string]float64 `json:"-"`              // budget -> the share of feasible trials (constrained problems)
}

func main() {
	var (
		funcs   = flag.String("funcs", "zdt1,zdt2,zdt3,dtlz2,mixed", "problems")
		seeds   = flag.Int("seeds", 20, "seeds per problem and sampler")
		seed0   = flag.Int("seed0", 0, "the first seed (seeds seed0, seed0+1, ...)")
		budgetF = flag.String("budgets", "50,100,200", "trial budgets (the last is the study length)")
		ours    = flag.String("ours", "random,nsga2,nsga2-p20,tpe,gp", "our samplers: random, nsga2, nsga2-p20, sobol, tpe, gp")
		optuna  = flag.String("optuna", "nsga2,tpe,random", "Optuna's samplers (empty: none)")
		python  = flag.String("python", "/usr/bin/python3", "python with optuna")
		jobs    = flag.Int("j", runtime.NumCPU(), "studies run at once")
		out     = flag.String("out", "", "write every study as a JSON line to this file")
		in      = flag.String("in", "", "print the tables of an earlier run's -out file instead of running")
		extra   = flag.String("options", "", "extra algorithm options of our samplers, as sampler=key: value (e.g. \"nsga2=population: 20\"); ; between samplers")
	)
	flag.Parse()
	if err := run(*funcs, *seed0, *seeds, *budgetF, *ours, *optuna, *python, *jobs, *out, *in, *extra); err != nil {
		fmt.Fprintln(os.Stderr, "multiobjective:", err)
		os.Exit(1)
	}
}

func run(funcs string, seed0, seeds int, budgetF, ours, optuna, python string, jobs int, out, in, extra string) error {
	probs, err := problems()
	if err != nil {
		return err
	}
	budgets, err := parseInts(budgetF)
	if err != nil {
		return err
	}
	for _, kv := range split(extra, ";") {
		name, opts, ok := strings.Cut(kv, "=")
		s, found := ourSamplers[name]
		if !ok || !found {
			return fmt.Errorf("-options %q: want sampler=key: value with a sampler of ours", kv)
		}
		s.Options, s.Name = opts, s.Name+"("+opts+")"
		ourSamplers[name] = s
	}
	var ps []*problem
	for _, n := range split(funcs, ",") {
		p, ok := probs[n]
		if !ok {
			return fmt.Errorf("-funcs: unknown problem %q (%s)", n, strings.Join(slices.Sorted(maps.Keys(probs)), ", "))
		}
		ps = append(ps, p)
	}
	var studies []study
	if in != "" {
		if studies, err = readStudies(in); err != nil {
			return err
		}
	} else {
		if studies, err = runOurs(ps, split(ours, ","), seed0, seeds, budgets[len(budgets)-1], jobs); err != nil {
			return err
		}
		if optuna != "" {
			py, err := runOptuna(python, ps, split(optuna, ","), seed0, seeds, budgets[len(budgets)-1], jobs)
			if err != nil {
				return err
			}
			studies = append(studies, py...)
		}
		if out != "" {
			if err := writeStudies(out, studies); err != nil {
				return err
			}
		}
	}
	// The figures come from the trials, in a run or from its file alike
	// (a file keeps no figures: +Inf, no feasible trial yet, is not JSON).
	for i := range studies {
		s := &studies[i]
		p, ok := probs[s.Func]
		if !ok {
			return fmt.Errorf("%s on %s, seed %d: unknown problem", s.Sampler, s.Func, s.Seed)
		}
		if s.Regret, s.Share, err = regrets(p, s.Losses, s.Cons, budgets); err != nil {
			return fmt.Errorf("%s on %s, seed %d: %w", s.Sampler, s.Func, s.Seed, err)
		}
	}
	printTables(os.Stdout, ps, studies, budgets)
	return nil
}

// spaceFor writes the space file of a problem for one of our samplers.
func spaceFor(p *problem, s sampler, seed int) (*spacefile.File, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "study: bench\n")
	if p.K == 1 {
		fmt.Fprintf(&b, "objective: {metric: f1, direction: minimize}\n")
	} else {
		fmt.Fprintf(&b, "objectives:\n")
		for i := range p.K {
			fmt.Fprintf(&b, "  - {metric: f%d, direction: minimize}\n", i+1)
		}
	}
	if p.NC > 0 {
		fmt.Fprintf(&b, "constraints:\n")
		for i := range p.NC {
			fmt.Fprintf(&b, "  - {metric: c%d, max: 0}\n", i+1)
		}
	}
	alg := fmt.Sprintf("{name: %s, seed: %d", s.Algo, seed)
	if s.Options != "" {
		alg += ", " + s.Options
	}
	fmt.Fprintf(&b, "algorithm: %s}\ntrainer: {plugin: ./bench-null}\nparameters:\n%s", alg, p.Params)
	return spacefile.Parse(p.Name+".yaml", []byte(b.String()))
}

// runStudy drives one of our searchers as the scheduler does with one
// slot: a trial, its result, the next trial.
func runStudy(p *problem, s sampler, seed, trials int) (study, error) {
	file, err := spaceFor(p, s, seed)
	if err != nil {
		return study{}, err
	}
	space := file.Space
	srch, err := search.NewSearcher(space, file.Algorithm.Settings(uint64(seed)))
	if err != nil {
		return study{}, err
	}
	h := &search.History{}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d6f))
	next := 0
	ctx := func(want int) search.Context {
		return search.Context{Space: space, History: h, Rng: rng, Want: want, Jobs: want, NewID: func() int { next++; return next - 1 }}
	}
	res := study{Sampler: s.Name, Func: p.Name, Seed: seed}
	acts, err := srch.Start(ctx(1))
	for err == nil && len(res.Losses) < trials {
		var id = -1
		for _, a := range acts {
			switch a.Kind {
			case search.Create:
				h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
				id = a.ID
			case search.Done:
				return res, fmt.Errorf("%s stopped after %d trials: %s", s.Name, len(res.Losses), a.Reason)
			}
		}
		if id < 0 {
			return res, fmt.Errorf("%s proposed no trial after %d", s.Name, len(res.Losses))
		}
		o, _ := h.Get(id)
		f, ferr := p.Eval(space.Values(o.Point))
		if ferr != nil {
			return res, fmt.Errorf("trial %d: %w", id, ferr)
		}
		if len(f) != p.K+p.NC {
			return res, fmt.Errorf("trial %d: %d values, want %d objectives and %d constraints", id, len(f), p.K, p.NC)
		}
		// The scheduler's way: the study's goals read the trial's metrics.
		m := trial.Metrics{}
		for i, v := range f {
			if i < p.K {
				m[fmt.Sprintf("f%d", i+1)] = v
			} else {
				m[fmt.Sprintf("c%d", i-p.K+1)] = v
			}
		}
		o.Status, o.HasLoss, o.Loss = search.Complete, true, f[0]
		file.Goals().Observe(o, m)
		res.Losses = append(res.Losses, f[:p.K])
		if p.NC > 0 {
			res.Cons = append(res.Cons, f[p.K:])
		}
		want := 0
		if len(res.Losses) < trials {
			want = 1
		}
		acts, err = srch.Observe(ctx(want), search.Event{Kind: search.Exited, ID: id, Status: search.Complete, Loss: f[0], HasLoss: true})
	}
	return res, err
}

func runOurs(ps []*problem, names []string, seed0, seeds, trials, jobs int) ([]study, error) {
	type task struct {
		p    *problem
		s    sampler
		seed int
	}
	var tasks []task
	for _, n := range names {
		s, ok := ourSamplers[n]
		if !ok {
			return nil, fmt.Errorf("-ours: unknown sampler %q (%s)", n, strings.Join(slices.Sorted(maps.Keys(ourSamplers)), ", "))
		}
		for _, p := range ps {
			for seed := seed0; seed < seed0+seeds; seed++ {
				tasks = append(tasks, task{p, s, seed})
			}
		}
	}
	out := make([]study, len(tasks))
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	ch := make(chan int)
	for range max(1, jobs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				t := tasks[i]
				out[i], errs[i] = runStudy(t.p, t.s, t.seed, trials)
			}
		}()
	}
	for i := range tasks {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return out, errors.Join(errs...)
}

// runOptuna runs optuna_side.py, reads its studies and checks the first
// trials' objectives against ours.
func runOptuna(python string, ps []*problem, samplers []string, seed0, seeds, trials, jobs int) ([]study, error) {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	script := filepath.Join(sourceDir(), "optuna_side.py")
	cmd := exec.Command(python, script, "--funcs", strings.Join(names, ","), "--samplers", strings.Join(samplers, ","),
		"--seed0", strconv.Itoa(seed0), "--seeds", strconv.Itoa(seeds), "--trials", strconv.Itoa(trials), "--jobs", strconv.Itoa(jobs))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("optuna side (%s): %w", script, err)
	}
	probs := map[string]*problem{}
	for _, p := range ps {
		probs[p.Name] = p
	}
	var out []study
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<26)
	for n := 1; sc.Scan(); n++ {
		var s study
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("optuna side, line %d: %w", n, err)
		}
		if err := checkOptuna(probs[s.Func], s); err != nil {
			return nil, fmt.Errorf("optuna side, line %d (%s on %s, seed %d): %w", n, s.Sampler, s.Func, s.Seed, err)
		}
		s.Params = nil
		out = append(out, s)
	}
	return out, sc.Err()
}

// checkOptuna evaluates the first trials of an Optuna study with our
// functions: both sides must compute the same objectives.
func checkOptuna(p *problem, s study) error {
	if p == nil {
		return fmt.Errorf("unknown problem %q", s.Func)
	}
	if len(s.Params) != len(s.Losses) {
		return fmt.Errorf("%d parameter sets for %d results", len(s.Params), len(s.Losses))
	}
	for i := range min(5, len(s.Params)) {
		var vs value.Values
		for name, v := range s.Params[i] {
			switch x := v.(type) {
			case string:
				vs = append(vs, value.NamedValue{Name: name, Value: value.String(x)})
			case float64:
				if name == "n" {
					vs = append(vs, value.NamedValue{Name: name, Value: value.Int(int64(x))})
				} else {
					vs = append(vs, value.NamedValue{Name: name, Value: value.Float(x)})
				}
			default:
				return fmt.Errorf("trial %d: parameter %s = %v", i, name, v)
			}
		}
		f, err := p.Eval(vs)
		if err != nil {
			return fmt.Errorf("trial %d: %w", i, err)
		}
		theirs := s.Losses[i]
		if p.NC > 0 {
			if len(s.Cons) <= i {
				return fmt.Errorf("trial %d: no constraint values", i)
			}
			theirs = append(slices.Clone(theirs), s.Cons[i]...)
		}
		for k := range f {
			if len(theirs) != len(f) || math.Abs(f[k]-theirs[k]) > 1e-9*math.Max(1, math.Abs(f[k])) {
				return fmt.Errorf("trial %d: Optuna's side computed %v, ours %v", i, theirs, f)
			}
		}
	}
	return nil
}

// regrets is the regret after each budget: the true front's hypervolume
// less that of the feasible trials' front, or for one objective the best
// feasible value less the known optimum (+Inf before the first feasible
// trial); with constraints, share is the feasible trials' share.
func regrets(p *problem, losses, cons [][]float64, budgets []int) (regret, share map[string]float64, err error) {
	if p.NC > 0 && len(cons) != len(losses) {
		return nil, nil, fmt.Errorf("%d trials, %d with constraint values", len(losses), len(cons))
	}
	regret = map[string]float64{}
	if p.NC > 0 {
		share = map[string]float64{}
	}
	for _, b := range budgets {
		if b > len(losses) {
			return nil, nil, fmt.Errorf("%d trials, budget %d", len(losses), b)
		}
		var feas [][]float64
		for i, l := range losses[:b] {
			if p.NC == 0 || !slices.ContainsFunc(cons[i], func(c float64) bool { return !(c <= 0) }) {
				feas = append(feas, l)
			}
		}
		key := strconv.Itoa(b)
		if p.NC > 0 {
			share[key] = float64(len(feas)) / float64(b)
		}
		if p.K == 1 {
			best := math.Inf(1)
			for _, l := range feas {
				best = math.Min(best, l[0])
			}
			regret[key] = best - p.Opt
			continue
		}
		hv := 0.0
		if len(feas) > 0 {
			if hv, err = pareto.Hypervolume(feas, p.Ref); err != nil {
				return nil, nil, err
			}
		}
		regret[key] = p.TrueHV - hv
	}
	return regret, share, nil
}

// sourceDir is where this program's files are (the script sits next to them).
func sourceDir() string {
	if d := os.Getenv("MO_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join("bench", "multiobjective")
}

func writeStudies(path string, ss []study) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, s := range ss {
		if err := enc.Encode(s); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return f.Close()
}

func readStudies(path string) ([]study, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []study
	for n, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var s study
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func split(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range split(s, ",") {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-budgets: %q is not a positive whole number", p)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("-budgets: none given")
	}
	slices.Sort(out)
	return out, nil
}
