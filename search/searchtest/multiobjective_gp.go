package searchtest

import (
	"math"

	"automl/search"
)

// Several objectives and constraints, for any searcher: WithGoals turns
// the suite's studies into studies of two objectives and one constraint,
// so Run checks every contract (valid points, same seed same actions,
// snapshot and restore, duplicates, imported results, queued points) on
// a searcher that reads Observation.Losses, Violation and Slacks.

// Goals are the suite's two objectives and one constraint at a point
// trained to resource (0: the full budget): the suite's loss (Loss) and a
// second objective that conflicts with it, the mean squared distance of
// the unit-cube coordinates from the far corner (1, ..., 1), both plus the
// learning curve's 1/(1+resource); the constraint's slack is 0.6 minus
// the mean coordinate (it holds on a bit more than half of the cube).
// Inactive parameters count as 0.5.
func Goals(space *search.Space, p search.Point, resource float64) (losses []float64, slack float64) {
	u := space.Encode(p)
	far, mean := 0.0, 0.0
	for _, v := range u {
		if math.IsNaN(v) {
			v = 0.5
		}
		far += (1 - v) * (1 - v)
		mean += v
	}
	n := float64(len(u))
	if resource <= 0 {
		resource = 1
	}
	curve := 1 / (1 + resource)
	return []float64{Loss(space, p) + curve, far/n + curve}, 0.6 - mean/n
}

// WithGoals makes cfg's studies studies of the two objectives and one
// constraint of Goals: before each call, every completed trial with a
// loss in the history the searcher is given carries Losses, Violation
// and Slacks (the searcher under test is wrapped; cfg.New, or
// search.NewSearcher, builds it). Loss itself stays the suite's loss as
// the events carry it; Losses[0] is that loss as well.
func WithGoals(cfg Config) Config {
	inner := cfg.New
	if inner == nil {
		inner = search.NewSearcher
	}
	cfg.New = func(space *search.Space, set search.Settings) (search.Searcher, error) {
		s, err := inner(space, set)
		if err != nil {
			return nil, err
		}
		return &goalSearcher{Searcher: s}, nil
	}
	return cfg
}

type goalSearcher struct{ search.Searcher }

func (g *goalSearcher) Start(c search.Context) ([]search.Action, error) {
	fillGoals(c)
	return g.Searcher.Start(c)
}

func (g *goalSearcher) Observe(c search.Context, ev search.Event) ([]search.Action, error) {
	fillGoals(c)
	return g.Searcher.Observe(c, ev)
}

func (g *goalSearcher) Next(c search.Context) ([]search.Action, error) {
	fillGoals(c)
	return g.Searcher.Next(c)
}

// fillGoals sets every completed trial's Losses, Violation and Slacks
// from its point and resource, as the scheduler sets them from its
// metrics: the first loss is the trial's Loss (as the event carried it).
func fillGoals(c search.Context) {
	if c.History == nil {
		return
	}
	for i := range c.History.Trials {
		o := &c.History.Trials[i]
		if o.Status != search.Complete || !o.HasLoss {
			o.Losses, o.Violation, o.Slacks = nil, 0, nil
			continue
		}
		if len(o.Losses) == 2 && o.Losses[0] == o.Loss {
			continue // filled before, and its loss has not changed since
		}
		losses, slack := Goals(c.Space, o.Point, o.Resource)
		losses[0] = o.Loss
		o.Losses, o.Violation, o.Slacks = losses, math.Max(0, -slack), []float64{slack}
	}
}
