package main

import (
	"maps"
	"sync"
	"time"

	"automl/search"
	_ "automl/search/algorithms"
)

// Lock step. In a study the trainer learns of a Stop (median stopping)
// when the scheduler gets to it, a few epochs later or not at all for a
// fast trainer: the epoch counts would depend on timing. Here each report
// waits for the searcher's answer to it, as Optuna's should_prune answers
// at once: every method is registered again as "bench-<name>", the same
// searcher wrapped so that its Observe of a report releases the trainer
// with the decision (stop or go on). Nothing else changes, so the figures
// are the methods' own and repeat exactly for the same seeds.

// methods are the algorithms the benchmark wraps.
var methods = []string{"asha", "bohb", "hyperband", "median", "random"}

func init() {
	for _, name := range methods {
		inner, ok := search.Lookup(name)
		if !ok {
			panic("bench: algorithm " + name + " not registered")
		}
		spec := *inner
		spec.Name, spec.Aliases = "bench-"+name, nil
		spec.Options = maps.Clone(inner.Options)
		if spec.Options == nil {
			spec.Options = map[string]search.Option{}
		}
		spec.Options[gateOption] = search.Option{Kind: search.OptString, Doc: "the study whose trainer waits for each answer"}
		if v := inner.Validate; v != nil {
			spec.Validate = func(s *search.Space, set search.Settings) []error { return v(s, unwrapped(set, name)) }
		}
		spec.New = func(s *search.Space, set search.Settings) (search.Searcher, error) {
			in, err := inner.New(s, unwrapped(set, name))
			if err != nil {
				return nil, err
			}
			study, _ := set.Options[gateOption].Str()
			return &lockstep{Searcher: in, gate: gateFor(study)}, nil
		}
		search.Register(spec)
	}
}

// gateOption names the study whose trainer the searcher answers: the
// searcher knows nothing of the study, so the bench writes it into the
// algorithm section.
const gateOption = "gate"

// unwrapped are the settings as the wrapped algorithm expects them.
func unwrapped(set search.Settings, name string) search.Settings {
	set.Name = name
	set.Options = maps.Clone(set.Options)
	delete(set.Options, gateOption)
	return set
}

// lockstep is a searcher that tells the trainer its answer to each report.
type lockstep struct {
	search.Searcher
	gate *gate
}

func (l *lockstep) Observe(c search.Context, ev search.Event) ([]search.Action, error) {
	acts, err := l.Searcher.Observe(c, ev)
	if ev.Kind == search.Reported {
		stop := false
		for _, a := range acts {
			stop = stop || (a.Kind == search.Stop && a.ID == ev.ID)
		}
		l.gate.signal(gateKey{ev.ID, ev.Step}, stop)
	}
	return acts, err
}

type gateKey struct {
	id   int
	step float64
}

// gate hands the searcher's answers to the waiting trainer of one study.
type gate struct {
	mu      sync.Mutex
	answers map[gateKey]bool
	waiting map[gateKey]chan struct{}
}

var gates = struct {
	sync.Mutex
	m map[string]*gate
}{m: map[string]*gate{}}

func gateFor(study string) *gate {
	gates.Lock()
	defer gates.Unlock()
	g := gates.m[study]
	if g == nil {
		g = &gate{answers: map[gateKey]bool{}, waiting: map[gateKey]chan struct{}{}}
		gates.m[study] = g
	}
	return g
}

func dropGate(study string) {
	gates.Lock()
	delete(gates.m, study)
	gates.Unlock()
}

func (g *gate) signal(k gateKey, stop bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answers[k] = stop
	if c := g.waiting[k]; c != nil {
		close(c)
		delete(g.waiting, k)
	}
}

// wait returns the searcher's answer to report k; ok is false when none
// came within the limit (the scheduler dropped the report: a metric it
// could not use), and the trainer goes on.
func (g *gate) wait(k gateKey, limit time.Duration) (stop, ok bool) {
	g.mu.Lock()
	if stop, ok := g.answers[k]; ok {
		delete(g.answers, k)
		g.mu.Unlock()
		return stop, true
	}
	c := make(chan struct{})
	g.waiting[k] = c
	g.mu.Unlock()
	select {
	case <-c:
	case <-time.After(limit):
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.waiting, k)
	stop, ok = g.answers[k]
	delete(g.answers, k)
	return stop, ok
}
