package gp_test

import (
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/gp"
)

// TestFitAheadKeepsSuggestionsDeterministic: on 8 asynchronous slots whose
// trials finish out of creation order, a sampler that has run the whole
// study (its fits made ahead in the background, some of them still
// running) and a fresh one (a resumed study: nothing cached) suggest the
// same point for every history and rng state along the way.
func TestFitAheadKeepsSuggestionsDeterministic(t *testing.T) {
	f, _ := benchfn.Get("hartmann6")
	s, _ := parse(t, "", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	long, _ := gp.New(gp.Options{Seed: 3})
	h := &search.History{}
	order := rand.New(rand.NewPCG(5, 5)) // which running trial finishes next
	var running []int
	for id := 0; id < 44; id++ {
		if len(running) == 8 {
			k := order.IntN(len(running))
			i := running[k]
			running = append(running[:k], running[k+1:]...)
			o := h.Trials[i]
			h.Trials[i].Status, h.Trials[i].Loss, h.Trials[i].HasLoss = search.Complete, loss(o.Point), true
		}
		seed := uint64(id)
		p, err := long.Sample(s, h, rand.New(rand.NewPCG(seed, 9)))
		if err != nil {
			t.Fatal(err)
		}
		if id >= 20 && id%4 == 0 { // the fresh sampler costs a fit per call
			fresh, _ := gp.New(gp.Options{Seed: 3})
			q, err := fresh.Sample(s, h, rand.New(rand.NewPCG(seed, 9)))
			if err != nil {
				t.Fatal(err)
			}
			if !p.Equal(q) {
				t.Fatalf("trial %d (%d pending): the running sampler suggests %v, a fresh one %v", id, len(running), p, q)
			}
		}
		h.Add(search.Observation{ID: id, Point: p, Status: search.Pending})
		running = append(running, id)
	}
}
