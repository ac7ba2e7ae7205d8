package cmaes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
)

func unitSpace(t *testing.T, d int) *search.Space {
	t.Helper()
	params := make([]search.Param, d)
	for i := range params {
		params[i] = search.Param{Name: fmt.Sprintf("x%d", i), Type: search.FloatParam, Low: -5.12, High: 5.12}
	}
	s, err := search.NewSpace(params)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rastrigin(p search.Point) float64 {
	s := 10 * float64(len(p))
	for _, v := range p {
		x, _ := v.Float()
		s += x*x - 10*math.Cos(2*math.Pi*x)
	}
	return s
}

// runSequential adds n trials of f, one at a time, and returns the history.
func runSequential(t *testing.T, s *Sampler, space *search.Space, f func(search.Point) float64, n int) *search.History {
	t.Helper()
	h := &search.History{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		p, err := s.Sample(space, h, rng)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, Loss: f(p), HasLoss: true})
	}
	return h
}

// TestIPOPRestarts: on Rastrigin, a multimodal function, runs converge
// into local minima and stop; each restart doubles the population. With
// restart: none the first run goes on with its population.
func TestIPOPRestarts(t *testing.T) {
	space := unitSpace(t, 2)
	o := DefaultOptions()
	o.Seed = 5
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h := runSequential(t, s, space, rastrigin, 4000)
	st := s.replay(space, coordsOf(space), h)
	lambda0 := 4 + int(math.Floor(3*math.Log(2)))
	t.Logf("after 4000 trials: %d restarts, population %d (first %d)", st.restarts, st.es.lambda, lambda0)
	if st.restarts < 2 {
		t.Fatalf("%d restarts in 4000 trials of Rastrigin; want at least 2", st.restarts)
	}
	if want := lambda0 << st.restarts; st.es.lambda != want {
		t.Fatalf("population %d after %d restarts, want %d (doubled each time)", st.es.lambda, st.restarts, want)
	}

	o.Restart = "none"
	s2, _ := New(o)
	h2 := runSequential(t, s2, space, rastrigin, 4000)
	st2 := s2.replay(space, coordsOf(space), h2)
	if st2.restarts != 0 || st2.es.lambda != lambda0 {
		t.Fatalf("restart: none: %d restarts, population %d; want 0 and %d", st2.restarts, st2.es.lambda, lambda0)
	}
}

// TestReplayCacheAgrees: the state replayed from a cache equals the one
// replayed from scratch, and a changed result in the cached prefix is not
// served from the cache.
func TestReplayCacheAgrees(t *testing.T) {
	space := unitSpace(t, 4)
	o := DefaultOptions()
	o.Seed = 9
	s, _ := New(o)
	h := runSequential(t, s, space, rastrigin, 400) // built with the cache
	fresh, _ := New(o)
	a, b := s.replay(space, coordsOf(space), h), fresh.replay(space, coordsOf(space), h)
	if fmt.Sprint(a.es.mean, a.es.sigma, a.restarts) != fmt.Sprint(b.es.mean, b.es.sigma, b.restarts) {
		t.Fatalf("cached replay %v %v %d, fresh %v %v %d", a.es.mean, a.es.sigma, a.restarts, b.es.mean, b.es.sigma, b.restarts)
	}
	h.Trials[5].Loss = -1e9 // the history changed under the cache
	c, d := s.replay(space, coordsOf(space), h), fresh2(o).replay(space, coordsOf(space), h)
	if fmt.Sprint(c.es.mean) != fmt.Sprint(d.es.mean) || strings.Contains(fmt.Sprint(c.es.mean), "NaN") {
		t.Fatalf("after a change in the prefix: cached %v, fresh %v", c.es.mean, d.es.mean)
	}
	if fmt.Sprint(c.es.mean) == fmt.Sprint(a.es.mean) {
		t.Fatal("a changed result in the prefix did not change the replay")
	}
}

func fresh2(o Options) *Sampler { s, _ := New(o); return s }
