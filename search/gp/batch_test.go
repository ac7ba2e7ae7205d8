package gp_test

import (
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/gp"
)

// TestBatchRules: with trials pending, `batch: thompson` and `batch:
// believer` choose different points from the same history and rng; each
// rule is deterministic under the rng and never repeats a point of the
// history; without pending trials both are log EI and agree.
func TestBatchRules(t *testing.T) {
	f, _ := benchfn.Get("hartmann6")
	s, _ := parse(t, "", f.SpaceYAML)
	hist := func(pending int) *search.History {
		h := &search.History{}
		rng := rand.New(rand.NewPCG(11, 12))
		u := make([]float64, s.Dim())
		for i := range 20 + pending {
			for k := range u {
				u[k] = rng.Float64()
			}
			p := s.Decode(u)
			o := search.Observation{ID: i, Point: p, Status: search.Pending}
			if i < 20 {
				v, err := f.Eval(s.Values(p))
				if err != nil {
					t.Fatal(err)
				}
				o.Status, o.Loss, o.HasLoss = search.Complete, v, true
			}
			h.Add(o)
		}
		return h
	}
	suggest := func(batch string, h *search.History, seed uint64) search.Point {
		smp, err := gp.New(gp.Options{Seed: 3, NInit: 5, Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		p, err := smp.Sample(s, h, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range h.Trials {
			if o.Point.Equal(p) {
				t.Fatalf("batch %s suggested trial %d's point again", batch, o.ID)
			}
		}
		return p
	}
	busy := hist(4)
	ts, kb := suggest("thompson", busy, 5), suggest("believer", busy, 5)
	if ts.Equal(kb) {
		t.Errorf("with 4 pending trials thompson and believer chose the same point %v", ts)
	}
	if again := suggest("thompson", busy, 5); !again.Equal(ts) {
		t.Errorf("thompson with the same rng: %v, then %v", ts, again)
	}
	if other := suggest("thompson", busy, 6); other.Equal(ts) {
		t.Errorf("thompson with another rng chose the same point %v: the draw is not random", ts)
	}
	idle := hist(0)
	if a, b := suggest("thompson", idle, 5), suggest("believer", idle, 5); !a.Equal(b) {
		t.Errorf("without pending trials thompson chose %v, believer %v: both should be log EI", a, b)
	}
}
