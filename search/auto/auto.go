// Package auto is the algorithm "auto": a sampler that picks, for every
// suggestion, one of gp, tpe and cmaes from the space and the history
// (rule.go), and logs its choice and why whenever the choice changes.
//
// The choice is a function of the space and the history alone, and each
// delegate is a pure function of (space, history, rng) built once with the
// study's seed, so a resumed study makes the same suggestions as one run
// without interruption: the sampler searcher's snapshot is all there is.
package auto

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"automl/search"
	"automl/search/cmaes"
	"automl/search/gp"
	"automl/search/tpe"
)

// Sampler is the auto sampler. It is safe for concurrent use.
type Sampler struct {
	opts Options
	// Log receives a line each time the choice changes (nil: slog.Default()).
	Log *slog.Logger

	gp  *gp.Sampler
	tpe *tpe.Sampler

	mu     sync.Mutex
	last   string // the delegate of the last suggestion ("" before the first)
	cma    *cmaes.Sampler
	cmaKey string // the first mean cma was built with (fmt of the point)
}

// New returns an auto sampler with the given options.
func New(o Options) (*Sampler, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	g, err := gp.New(gp.Options{Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	t, err := tpe.New(tpe.DefaultOptions())
	if err != nil {
		return nil, err
	}
	return &Sampler{opts: o, gp: g, tpe: t}, nil
}

// Sample proposes one point with the delegate the rule picks.
func (s *Sampler) Sample(space *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	ps, err := s.SampleBatch(space, h, rng, 1)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// SampleBatch proposes q points for q free slots, all from one delegate.
func (s *Sampler) SampleBatch(space *search.Space, h *search.History, rng *rand.Rand, q int) ([]search.Point, error) {
	if space == nil || space.Dim() == 0 {
		return nil, fmt.Errorf("auto: empty search space")
	}
	if h == nil {
		h = &search.History{}
	}
	c := Choose(space, h, s.opts.SwitchAfter)
	s.logChoice(c)
	var d search.Sampler
	switch c.Name {
	case "gp":
		d = s.gp
	case "tpe":
		d = s.tpe
	default:
		cma, err := s.cmaes(h)
		if err != nil {
			return nil, err
		}
		d = cma
	}
	ps, err := search.SampleN(d, space, h, rng, q)
	if err != nil {
		return ps, fmt.Errorf("auto: %s: %w", c.Name, err)
	}
	return ps, nil
}

// logChoice logs c when it differs from the last suggestion's delegate.
func (s *Sampler) logChoice(c Choice) {
	s.mu.Lock()
	changed := s.last != c.Name
	first := s.last == ""
	s.last = c.Name
	s.mu.Unlock()
	if !changed {
		return
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	if first {
		log.Info(fmt.Sprintf("auto: %s (%s)", c.Name, c.Why), "sampler", c.Name)
		return
	}
	if strings.HasPrefix(c.Why, "after ") {
		log.Info(fmt.Sprintf("auto: switching to %s %s", c.Name, c.Why), "sampler", c.Name)
		return
	}
	log.Info(fmt.Sprintf("auto: switching to %s (%s)", c.Name, c.Why), "sampler", c.Name)
}

// cmaes returns the CMA-ES delegate: its first SwitchAfter trials are the
// GP's (startup trials to it, left out of its generations), and its first
// mean is the best of them, so it goes on from where GP got to.
func (s *Sampler) cmaes(h *search.History) (*cmaes.Sampler, error) {
	x0 := bestBefore(h, s.opts.SwitchAfter)
	key := fmt.Sprint(x0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cma != nil && s.cmaKey == key {
		return s.cma, nil
	}
	o := cmaes.DefaultOptions()
	o.Seed, o.NStartupTrials, o.X0 = s.opts.Seed, s.opts.SwitchAfter, x0
	cma, err := cmaes.New(o)
	if err != nil {
		return nil, err
	}
	s.cma, s.cmaKey = cma, key
	return cma, nil
}

// bestBefore is the point of the lowest loss among the imported results
// and the study's first n own trials (nil: none has a loss).
func bestBefore(h *search.History, n int) search.Point {
	var best *search.Observation
	k := 0
	for i := range h.Trials {
		o := &h.Trials[i]
		if !o.Imported {
			if k >= n {
				break
			}
			k++
		}
		if o.Status == search.Complete && o.HasLoss && !math.IsNaN(o.Loss) && (best == nil || o.Loss < best.Loss) {
			best = o
		}
	}
	if best == nil {
		return nil
	}
	return best.Point
}

func init() {
	search.RegisterSampler(search.AlgorithmSpec{
		Name:           "auto",
		Doc:            "picks gp, tpe or cmaes per suggestion from the space and the history (gp, then cmaes after switch_after trials; tpe for conditional, mostly categorical or large spaces), logging each choice",
		Options:        optionSpecs,
		MultiObjective: true,
	}, OptionsFrom, func(o Options) (search.Sampler, error) { return New(o) })
}
