package cmaes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"automl/search"
	"automl/search/tpe"
)

// Sampler is the CMA-ES sampler. Its state is derived from the history at
// every call (replay.go); it keeps only a cache of that replay, so it is
// safe for concurrent use and a study resumes exactly from its trials.
type Sampler struct {
	opts Options
	tpe  *tpe.Sampler // the independent sampler when Independent is "tpe"

	mu     sync.Mutex
	space  *search.Space // the space coords was computed for
	coords []coord
	cache  *replayCache
}

// New returns a sampler with the given options.
func New(o Options) (*Sampler, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	s := &Sampler{opts: o}
	if o.Independent == "tpe" {
		t, err := tpe.New(tpe.DefaultOptions())
		if err != nil {
			return nil, err
		}
		s.tpe = t
	}
	return s, nil
}

// Options returns the sampler's settings.
func (s *Sampler) Options() Options { return s.opts }

// Sample proposes one point: the numeric, unconditional parameters from
// the current generation's distribution (the draw of this trial's index,
// so parallel slots differ), the others from the independent sampler.
func (s *Sampler) Sample(space *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	if space == nil || space.Dim() == 0 {
		return nil, fmt.Errorf("cmaes: empty search space")
	}
	u, err := s.independent(space, h, rng)
	if err != nil {
		return nil, err
	}
	coords := s.coordsOf(space)
	k := h.Proposed() // this trial's index among the study's own
	if len(coords) == 0 || k < s.opts.NStartupTrials {
		return space.Decode(u), nil
	}
	st := s.replay(space, coords, h)
	r := trialRng(s.opts.Seed, k)
	var p search.Point
	for try := 0; try < maxTries; try++ {
		x := st.es.encodeDiscrete(st.es.draw(r), coords)
		for j, c := range coords {
			u[c.param] = x[j]
		}
		if p = space.Decode(u); !pendingAt(h, p) {
			break
		}
	}
	return p, nil
}

// maxTries bounds the draws that avoid a pending trial's point (only
// likely once a discrete space has converged). A redraw is no longer the
// trial's first draw, so the replay injects it (clipped, see es.tell).
const maxTries = 8

// pendingAt reports whether a pending trial has point p: free slots must
// not get copies of one point.
func pendingAt(h *search.History, p search.Point) bool {
	if h == nil {
		return false
	}
	for i := range h.Trials {
		if o := &h.Trials[i]; o.Status == search.Pending && o.Point.Equal(p) {
			return true
		}
	}
	return false
}

// independent draws every coordinate from the independent sampler; the
// ones CMA-ES models are overwritten.
func (s *Sampler) independent(space *search.Space, h *search.History, rng *rand.Rand) ([]float64, error) {
	if s.tpe != nil {
		p, err := s.tpe.Sample(space, h, rng)
		if err != nil {
			return nil, fmt.Errorf("cmaes: independent sampler tpe: %w", err)
		}
		return space.Encode(p), nil
	}
	u := make([]float64, space.Dim())
	for i := range u {
		u[i] = rng.Float64()
	}
	return u, nil
}

// trialRng is the source of trial k's draw: a function of the seed and k
// alone, so a replay draws the same sample again and parallel slots
// (consecutive k) draw different ones.
func trialRng(seed uint64, k int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x636d6165732d7472, uint64(k))) // "cmaes-tr"
}

// restartRng draws the mean of restart r.
func restartRng(seed uint64, r int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x636d6165732d7273, uint64(r))) // "cmaes-rs"
}

// coordsOf caches the coordinates of the last space seen (a space is
// immutable, so its pointer identifies it).
func (s *Sampler) coordsOf(space *search.Space) []coord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.space != space {
		s.space, s.coords, s.cache = space, coordsOf(space), nil
	}
	return s.coords
}

// initialMean is the first run's mean: X0 when given, else the best
// imported result that precedes the study's first own trial (a warm
// start; results imported later do not move a run under way), else the
// centre of the cube.
func (s *Sampler) initialMean(space *search.Space, coords []coord, h *search.History) []float64 {
	m := make([]float64, len(coords))
	for j := range m {
		m[j] = 0.5
	}
	var from search.Point
	if s.opts.X0 != nil {
		from = s.opts.X0
	} else if h != nil {
		best := math.Inf(1)
		for i := range h.Trials {
			o := &h.Trials[i]
			if !o.Imported {
				break
			}
			if o.HasLoss && o.Loss < best {
				best, from = o.Loss, o.Point
			}
		}
	}
	if from != nil {
		u := space.Encode(from)
		for j, c := range coords {
			if x := u[c.param]; !math.IsNaN(x) {
				m[j] = x
			}
		}
	}
	return m
}

// popsize is the first run's population for n coordinates.
func (s *Sampler) popsize(n int) int {
	if s.opts.Popsize > 0 {
		return s.opts.Popsize
	}
	return 4 + int(math.Floor(3*math.Log(float64(n))))
}

func (s *Sampler) sigma0() float64 {
	if s.opts.Sigma0 > 0 {
		return s.opts.Sigma0
	}
	return 1.0 / 6
}

func init() {
	search.RegisterSampler(search.AlgorithmSpec{
		Name:    "cmaes",
		Doc:     "CMA-ES with IPOP restarts and margin (Optuna's CmaEsSampler defaults); categorical and conditional parameters by an independent sampler",
		Options: optionSpecs,
	}, checked, func(o Options) (search.Sampler, error) { return New(o) })
}
