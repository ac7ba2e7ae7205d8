package gp_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/gp"
)

// Imported results feed the model until the study has 30 complete trials
// of its own; from then on the study's suggestion is the one it would make
// without them, and before that it is not.
func TestImportedResultsGiveWayAfter30OwnTrials(t *testing.T) {
	f, _ := benchfn.Get("branin")
	s, _ := parse(t, "", f.SpaceYAML)
	rng := rand.New(rand.NewPCG(5, 6))
	loss := func(u []float64, shift float64) float64 {
		x, y := -5+15*u[0], 15*u[1]
		return math.Pow(y-shift-5.1/(4*math.Pi*math.Pi)*(x-shift)*(x-shift)+5/math.Pi*(x-shift)-6, 2) + 10*(1-1/(8*math.Pi))*math.Cos(x-shift) + 10
	}
	var imported, own []search.Observation
	for i := 0; i < 50; i++ {
		u := []float64{rng.Float64(), rng.Float64()}
		imported = append(imported, search.Observation{ID: i, Point: s.Decode(u), Status: search.Complete, Loss: loss(u, 1.5), HasLoss: true, Imported: true})
	}
	for i := 0; i < 30; i++ {
		u := []float64{rng.Float64(), rng.Float64()}
		own = append(own, search.Observation{ID: 50 + i, Point: s.Decode(u), Status: search.Complete, Loss: loss(s.Encode(s.Decode(u)), 0), HasLoss: true})
	}
	suggest := func(obs ...[]search.Observation) search.Point {
		t.Helper()
		h := &search.History{}
		for _, os := range obs {
			for _, o := range os {
				h.Add(o)
			}
		}
		smp, _ := gp.New(gp.Options{Seed: 3})
		p, err := smp.Sample(s, h, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if warm, cold := suggest(imported, own[:29]), suggest(own[:29]); warm.Equal(cold) {
		t.Errorf("after 29 own trials the suggestion %v is the same with and without the imported results: they were left out too early", warm)
	}
	if warm, cold := suggest(imported, own), suggest(own); !warm.Equal(cold) {
		t.Errorf("after 30 own trials the suggestion is %v with the imported results and %v without: they should be left out", warm, cold)
	}
	// A pending or failed trial is not a complete one: 29 complete and a
	// pending trial still use the imported results.
	pending := own[29]
	pending.Status, pending.HasLoss = search.Pending, false
	if warm, cold := suggest(imported, own[:29], []search.Observation{pending}), suggest(own[:29], []search.Observation{pending}); warm.Equal(cold) {
		t.Errorf("29 complete own trials and a pending one: the suggestion %v is the same with and without the imported results", warm)
	}
}
