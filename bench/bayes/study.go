package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"automl/search"
	"automl/search/benchfn"
	"automl/spacefile"
)

// sampler names one configuration of our side: an algorithm and its
// options as a space file would give them.
type sampler struct {
	Name    string // as printed in the tables
	Algo    string
	Options string // extra `algorithm:` keys, e.g. "multivariate: true"
}

var ourSamplers = map[string]sampler{
	"gp":      {Name: "automl-gp", Algo: "gp"},
	"tpe":     {Name: "automl-tpe", Algo: "tpe"},
	"tpe-mv":  {Name: "automl-tpe-mv", Algo: "tpe", Options: "multivariate: true"},
	"random":  {Name: "automl-random", Algo: "random"},
	"sobol":   {Name: "automl-sobol", Algo: "sobol"},
	"gp-std":  {Name: "automl-gp-std", Algo: "gp", Options: "warp: standard"},
	"gp-log":  {Name: "automl-gp-log", Algo: "gp", Options: "warp: log"},
	"gp-auto": {Name: "automl-gp-auto", Algo: "gp", Options: "warp: auto"},
	"cmaes":   {Name: "automl-cmaes", Algo: "cmaes"},
	"auto":    {Name: "automl-auto", Algo: "auto"},
}

// spaceFor writes the space file of a benchmark function for one algorithm and seed.
func spaceFor(f *benchfn.Function, s sampler, seed uint64) (*spacefile.File, error) {
	alg := fmt.Sprintf("{name: %s, seed: %d", s.Algo, seed)
	if s.Options != "" {
		alg += ", " + s.Options
	}
	alg += "}"
	yaml := fmt.Sprintf("study: bench\nobjective: {metric: value, direction: minimize}\nalgorithm: %s\n"+
		"trainer: {plugin: funcs, config: {function: %s}}\nparameters:\n%s", alg, f.Name, f.SpaceYAML)
	return spacefile.Parse(f.Name+".yaml", []byte(yaml))
}

// result is one study: the best value after each budget and the time each
// searcher call took.
type result struct {
	Sampler string             `json:"sampler"`
	Func    string             `json:"func"`
	Seed    uint64             `json:"seed"`
	Q       int                `json:"q"`
	Best    map[string]float64 `json:"best"`   // budget -> best value found within it
	Regret  map[string]float64 `json:"regret"` // budget -> best - f*
	// Trace is the best value after each trial (for time-to-target).
	Trace     []float64 `json:"trace,omitempty"`
	SuggestMS []float64 `json:"suggest_ms,omitempty"`
}

// runStudy drives a searcher the way the scheduler does, with q slots:
// q trials start at once, then each completion (the oldest running trial)
// frees one slot, until budget trials have been created and finished.
func runStudy(f *benchfn.Function, s sampler, seed uint64, budgets []int, q int, trace bool) (result, error) {
	file, err := spaceFor(f, s, seed)
	if err != nil {
		return result{}, err
	}
	space := file.Space
	srch, err := search.NewSearcher(space, file.Algorithm.Settings(seed))
	if err != nil {
		return result{}, err
	}
	budget := budgets[len(budgets)-1]
	h := &search.History{}
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368))
	next := 0
	ctx := func(want int) search.Context {
		return search.Context{Space: space, History: h, Rng: rng, Want: want, NewID: func() int { next++; return next - 1 }}
	}
	name := s.Name
	if q > 1 {
		name += fmt.Sprintf("(q=%d)", q)
	}
	res := result{Sampler: name, Func: f.Name, Seed: seed, Q: q, Best: map[string]float64{}, Regret: map[string]float64{}}
	var running []int
	apply := func(acts []search.Action) error {
		for _, a := range acts {
			switch a.Kind {
			case search.Create:
				h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
				running = append(running, a.ID)
			case search.Done:
				return fmt.Errorf("%s stopped early: %s", s.Name, a.Reason)
			}
		}
		return nil
	}
	call := func(fn func() ([]search.Action, error)) error {
		t0 := time.Now()
		acts, err := fn()
		res.SuggestMS = append(res.SuggestMS, float64(time.Since(t0).Microseconds())/1000)
		if err != nil {
			return err
		}
		return apply(acts)
	}
	if err := call(func() ([]search.Action, error) { return srch.Start(ctx(min(q, budget))) }); err != nil {
		return res, err
	}
	best := math.Inf(1)
	done := 0
	for len(running) > 0 {
		id := running[0]
		running = running[1:]
		o, _ := h.Get(id)
		v, err := f.Eval(space.Values(o.Point))
		if err != nil {
			return res, err
		}
		o.Status, o.Loss, o.HasLoss = search.Complete, v, true
		done++
		best = math.Min(best, v)
		if trace {
			res.Trace = append(res.Trace, best)
		}
		for _, b := range budgets {
			if done == b {
				res.Best[fmt.Sprint(b)] = best
				res.Regret[fmt.Sprint(b)] = f.Regret(best)
			}
		}
		want := 0
		if h.Len() < budget {
			want = 1
		}
		ev := search.Event{Kind: search.Exited, ID: id, Loss: v, HasLoss: true, Status: search.Complete}
		if err := call(func() ([]search.Action, error) { return srch.Observe(ctx(want), ev) }); err != nil {
			return res, err
		}
	}
	return res, nil
}
