// Command multifidelity compares automl's multi-fidelity searchers (asha,
// bohb, hyperband, median) with random search at the full budget, by the
// epochs each needs before its best validation score is within 1% of the
// best score any run found (median over seeds). This part runs the
// synthetic learning-curve task of search/fidelity/fidelitytest, whose
// optimum is known, in simulation (no trainer, no NATS); see README.md for
// the real-data half (mlp trainer vs Optuna), which needs the scheduler
// integration first.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"automl/search"
	_ "automl/search/algorithms"
	"automl/search/fidelity/fidelitytest"
	"automl/search/random"
)

func main() {
	var (
		seeds   = flag.Int("seeds", 5, "seeds per method")
		maxR    = flag.Float64("max", 27, "max_resource (epochs of a full training)")
		total   = flag.Float64("total", 30000, "epochs each run may train (max_resource_total)")
		slots   = flag.Int("slots", 4, "jobs at once")
		methods = flag.String("methods", "asha,bohb,hyperband,median,random", "methods to compare")
		within  = flag.Float64("within", 0.01, "target: best score within this fraction of the best found")
		verbose = flag.Bool("v", false, "print every run")
	)
	flag.Parse()
	names := strings.Split(*methods, ",")
	runs := map[string][]run{}
	best := 0.0
	for _, m := range names {
		for seed := 1; seed <= *seeds; seed++ {
			r := simulate(m, uint64(seed), *maxR, *total, *slots)
			runs[m] = append(runs[m], r)
			best = math.Max(best, r.best)
		}
	}
	target := (1 - *within) * best
	fmt.Printf("synthetic learning curves (3 parameters, max_resource %g, eta 3, %d slots, %g epochs per run, %d seeds)\n", *maxR, *slots, *total, *seeds)
	fmt.Printf("score = 1/(1+loss); best score found %.5f; target %.5f\n\n", best, target)
	fmt.Printf("%-10s %22s %8s %14s %12s\n", "method", "median epochs to target", "reached", "vs random", "median best")
	ref := math.NaN()
	if _, ok := runs["random"]; ok {
		ref = medianEpochs(runs["random"], target)
	}
	for _, m := range names {
		e := medianEpochs(runs[m], target)
		reached := 0
		var bests []float64
		for _, r := range runs[m] {
			if !math.IsInf(r.epochsTo(target), 1) {
				reached++
			}
			bests = append(bests, r.best)
		}
		fmt.Printf("%-10s %22s %5d/%-2d %14s %12.5f\n", m, epochs(e), reached, len(runs[m]), ratio(e, ref), median(bests))
		if *verbose {
			for i, r := range runs[m] {
				fmt.Printf("    seed %d: %s epochs, best %.5f\n", i+1, epochs(r.epochsTo(target)), r.best)
			}
		}
	}
}

// run is one study's best score over the epochs it trained.
type run struct {
	at, score []float64 // improvements: epochs trained so far, best score then
	best      float64
}

func (r run) epochsTo(target float64) float64 {
	for i, s := range r.score {
		if s >= target {
			return r.at[i]
		}
	}
	return math.Inf(1)
}

func simulate(method string, seed uint64, maxR, total float64, slots int) run {
	t := &fatal{name: fmt.Sprintf("%s seed %d", method, seed)}
	alg, opts := method, fmt.Sprintf("max_resource: %g", maxR)
	if method == "random" {
		alg, opts = "random", ""
	}
	space := fidelitytest.Space(t, alg, opts, seed)
	var s search.Searcher
	var err error
	if method == "random" {
		s = search.NewSamplerSearcher(random.Sampler{})
	} else {
		s, err = search.NewSearcher(space)
	}
	if err != nil {
		t.Fatal(err)
	}
	var r run
	trained := 0.0
	fidelitytest.Run(t, space, s, fidelitytest.Config{
		Slots: slots, MaxResource: maxR, MaxResourceTotal: total, Jobs: true, Seed: seed,
		OnEvent: func(_ *fidelitytest.Sim, ev search.Event) {
			if ev.Kind != search.Reported {
				return
			}
			trained++ // each report is one epoch
			if sc := 1 / (1 + ev.Loss); sc > r.best {
				r.best = sc
				r.at, r.score = append(r.at, trained), append(r.score, sc)
			}
		},
	})
	return r
}

func medianEpochs(rs []run, target float64) float64 {
	var es []float64
	for _, r := range rs {
		es = append(es, r.epochsTo(target))
	}
	return median(es)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func epochs(e float64) string {
	if math.IsInf(e, 1) {
		return "not reached"
	}
	return fmt.Sprintf("%.0f", e)
}

func ratio(e, ref float64) string {
	if math.IsInf(e, 1) || math.IsInf(ref, 1) || math.IsNaN(ref) {
		return "-"
	}
	return fmt.Sprintf("1/%.1f", ref/e)
}

// fatal is the fidelitytest.TB of a program: any failure ends it.
type fatal struct{ name string }

func (*fatal) Helper()          {}
func (*fatal) Failed() bool     { return false }
func (f *fatal) Fatal(a ...any) { f.Fatalf("%s", fmt.Sprint(a...)) }
func (f *fatal) Fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", f.name, fmt.Sprintf(format, a...))
	os.Exit(1)
}
