package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"automl/plugins/mlp"
	"automl/search"
	"automl/spacefile"
	"automl/trial"
)

// The real-space check on the real trainer: the mlp trainer on
// breast_cancer with the conditional architecture space of
// examples/mlp/space.yaml (val_accuracy, maximised). Every trial trains an
// MLP in-process with mlp.Runner, with the trial seed the scheduler would
// give it. For each study seed, random search runs `budget` trials and its
// best validation score is the target; GP and TPE run with the same seed
// until they reach it (or `limit` trials), and we count their trials.

// mlpCheck is one run of the check.
type mlpCheck struct {
	spaceFile string
	seeds     int
	budget    int // random search's trials
	limit     int // GP's and TPE's trials, at most
	jobs      int
}

var algorithmLine = regexp.MustCompile(`(?m)^algorithm:.*$`)

// mlpSpace parses the space file with its algorithm replaced.
func (c mlpCheck) space(algo string, seed uint64) (*spacefile.File, error) {
	b, err := os.ReadFile(c.spaceFile)
	if err != nil {
		return nil, fmt.Errorf("mlp check: %w", err)
	}
	alg := fmt.Sprintf("algorithm: {name: %s, seed: %d}", algo, seed)
	if !algorithmLine.Match(b) {
		return nil, fmt.Errorf("mlp check: %s has no algorithm line to replace", c.spaceFile)
	}
	return spacefile.Parse(c.spaceFile, algorithmLine.ReplaceAll(b, []byte(alg)))
}

// noReports is the Reporter of an in-process trial nobody prunes.
type noReports struct{}

func (noReports) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

// trialSeedOf is the scheduler's derivation of a trial's seed
// (scheduler.trialSeed, splitmix64 of the study seed and trial id), so a
// trial here trains exactly as it would in a study.
func trialSeedOf(study uint64, id int) uint64 {
	z := study + uint64(id+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// mlpStudy runs one sequential study of n trials (stopping early once the
// best objective value reaches stopAt) and returns the best value after
// each trial and the total training time.
func (c mlpCheck) study(algo string, seed uint64, n int, stopAt float64) ([]float64, time.Duration, error) {
	file, err := c.space(algo, seed)
	if err != nil {
		return nil, 0, err
	}
	space := file.Space
	srch, err := search.NewSearcher(space, file.Algorithm.Settings(seed))
	if err != nil {
		return nil, 0, err
	}
	h := &search.History{}
	rng := rand.New(rand.NewPCG(seed, 0x6d6c70))
	next := 0
	ctx := func(want int) search.Context {
		return search.Context{Space: space, History: h, Rng: rng, Want: want, NewID: func() int { next++; return next - 1 }}
	}
	obj := file.Objective
	best := math.Inf(1) // as a loss
	var trace []float64
	var trainTime time.Duration
	acts, err := srch.Start(ctx(1))
	for err == nil && len(acts) > 0 {
		a := acts[0]
		if a.Kind != search.Create {
			return trace, trainTime, fmt.Errorf("mlp check: %s: unexpected action %v", algo, a.Kind)
		}
		h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
		spec := trial.Spec{
			Key:       trial.Key{Study: file.Study, ID: a.ID},
			Params:    space.Values(a.Point),
			Trainer:   trial.Trainer{Plugin: file.Trainer.Plugin, Config: file.Trainer.Config},
			Objective: obj,
			Resource:  file.Resource,
			Seed:      trialSeedOf(seed, a.ID),
		}
		t0 := time.Now()
		res, rerr := mlp.Runner{}.Run(context.Background(), spec, noReports{})
		trainTime += time.Since(t0)
		o, _ := h.Get(a.ID)
		ev := search.Event{Kind: search.Exited, ID: a.ID}
		v, ok := res.Metrics[obj.Metric]
		switch {
		case rerr != nil || res.Outcome != trial.ExitDone:
			o.Status, ev.Status = search.Failed, search.Failed
		case !ok:
			return trace, trainTime, fmt.Errorf("mlp check: trial %d reported no %s", a.ID, obj.Metric)
		default:
			l := obj.Loss(v)
			o.Status, o.Loss, o.HasLoss = search.Complete, l, true
			ev.Status, ev.Loss, ev.HasLoss = search.Complete, l, true
			best = math.Min(best, l)
		}
		trace = append(trace, obj.Loss(best)) // back to the metric's own sign
		want := 0
		if len(trace) < n && !(obj.Loss(best) >= stopAt && obj.Direction == trial.Maximize ||
			obj.Loss(best) <= stopAt && obj.Direction == trial.Minimize) {
			want = 1
		}
		acts, err = srch.Observe(ctx(want), ev)
	}
	return trace, trainTime, err
}

// run prints the table: random's best per seed, and the trials GP and TPE
// took to reach it.
func (c mlpCheck) run(w io.Writer) error {
	type key struct {
		algo string
		seed int
	}
	traces := map[key][]float64{}
	var mu sync.Mutex
	var total time.Duration
	var trials int
	runAll := func(algos []string, n func(seed int) (int, float64)) error {
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(1, c.jobs))
		errs := make(chan error, len(algos)*c.seeds)
		for _, a := range algos {
			for s := 0; s < c.seeds; s++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					limit, stop := n(s)
					tr, d, err := c.study(a, uint64(100+s), limit, stop)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					traces[key{a, s}] = tr
					total += d
					trials += len(tr)
					mu.Unlock()
					fmt.Fprintf(os.Stderr, "mlp check: %s seed %d: %d trials, best %.4f\n", a, 100+s, len(tr), tr[len(tr)-1])
				}()
			}
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	never := math.Inf(1)
	if err := runAll([]string{"random"}, func(int) (int, float64) { return c.budget, never }); err != nil {
		return err
	}
	space, err := c.space("random", 0)
	if err != nil {
		return err
	}
	maximize := space.Objective.Direction == trial.Maximize
	if !maximize {
		never = math.Inf(-1)
	}
	target := func(s int) float64 { tr := traces[key{"random", s}]; return tr[len(tr)-1] }
	if err := runAll([]string{"gp", "tpe"}, func(s int) (int, float64) { return c.limit, target(s) }); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n### Real space: mlp trainer on breast_cancer (%s, %s %s): trials to reach random search's best of %d\n\n",
		c.spaceFile, space.Objective.Direction, space.Objective.Metric, c.budget)
	seedsCol := fmt.Sprintf("per seed (100..%d)", 100+c.seeds-1)
	fmt.Fprintf(w, "| sampler | %s | median |\n|---|---|---|\n", seedsCol)
	var cells, at60 []string
	for s := 0; s < c.seeds; s++ {
		tr := traces[key{"random", s}]
		cells = append(cells, fmt.Sprintf("%.4f", target(s)))
		at60 = append(at60, fmt.Sprintf("%.4f", tr[min(60, len(tr))-1]))
	}
	fmt.Fprintf(w, "| automl-random: best of %d (the target) | %s | |\n", c.budget, strings.Join(cells, ", "))
	fmt.Fprintf(w, "| automl-random: best of 60 | %s | |\n", strings.Join(at60, ", "))
	for _, a := range []string{"gp", "tpe"} {
		var counts []int
		var cs []string
		for s := 0; s < c.seeds; s++ {
			tr := traces[key{a, s}]
			n := c.limit + 1
			for i, b := range tr {
				if maximize && b >= target(s) || !maximize && b <= target(s) {
					n = i + 1
					break
				}
			}
			counts = append(counts, n)
			if n > c.limit {
				cs = append(cs, fmt.Sprintf(">%d", c.limit))
			} else {
				cs = append(cs, fmt.Sprint(n))
			}
		}
		sort.Ints(counts)
		med := fmt.Sprint(counts[len(counts)/2])
		if counts[len(counts)/2] > c.limit {
			med = fmt.Sprintf(">%d", c.limit)
		}
		fmt.Fprintf(w, "| automl-%s: trials to reach the target | %s | %s |\n", a, strings.Join(cs, ", "), med)
	}
	fmt.Fprintf(w, "\n%d trials trained, %.1f s of training in all (%.2f s per trial, %d at once).\n", trials, total.Seconds(), total.Seconds()/float64(trials), c.jobs)
	return nil
}
