package fidelitytest

import (
	"math/rand/v2"
	"slices"

	"automl/search"
)

// RungGoal is a hand-made result at a rung: a trial's losses and total
// violation (> 0: infeasible).
type RungGoal struct {
	Losses    []float64
	Violation float64
}

// Promoted drives a rung searcher over one hand-made first rung: it
// starts the searcher with len(goals) free slots and a budget of that
// many trials, lets each new trial exit at its first rung with the next
// goal (in creation order) as the scheduler records it (Loss the first
// loss, Losses, Violation, and, when some goal is infeasible, one
// constraint's Slacks of -Violation),
// without capacity for anything else, then gives it `slots` free slots
// and no new trials, and returns the creation indices (into goals) of the
// trials it promotes. The searcher must create exactly len(goals) new
// trials at once.
func Promoted(t TB, s search.Searcher, space *search.Space, goals []RungGoal, slots int) []int {
	t.Helper()
	h := &search.History{}
	next := 0
	ctx := func(want, jobs int) search.Context {
		return search.Context{Space: space, History: h, Rng: rand.New(rand.NewPCG(1, 2)), Want: want, Jobs: jobs,
			NewID: func() int { next++; return next - 1 }}
	}
	acts, err := s.Start(ctx(len(goals), len(goals)))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var ids []int
	span := map[int]float64{}
	for _, a := range acts {
		if a.Kind == search.Create && a.Point != nil {
			ids = append(ids, a.ID)
			span[a.ID] = a.Span.To
			h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
		}
	}
	if len(ids) != len(goals) {
		t.Fatalf("start created %d trials, want %d", len(ids), len(goals))
	}
	constrained := slices.ContainsFunc(goals, func(g RungGoal) bool { return g.Violation != 0 })
	for i, id := range ids {
		o, _ := h.Get(id)
		g := goals[i]
		o.Status, o.Loss, o.HasLoss, o.Resource = search.Complete, g.Losses[0], true, span[id]
		o.Losses, o.Violation = g.Losses, g.Violation
		if constrained {
			o.Slacks = []float64{-g.Violation}
		}
		ev := search.Event{Kind: search.Exited, ID: id, Step: span[id], Loss: g.Losses[0], HasLoss: true, Status: search.Complete}
		if acts, err = s.Observe(ctx(0, 0), ev); err != nil {
			t.Fatalf("observe trial %d: %v", id, err)
		}
		if creates(acts) > 0 {
			t.Fatalf("created %v without capacity", acts)
		}
	}
	if acts, err = s.Next(ctx(0, slots)); err != nil {
		t.Fatalf("next: %v", err)
	}
	var out []int
	for _, a := range acts {
		if a.Kind == search.Create {
			if i := slices.Index(ids, a.ID); i >= 0 && a.Point == nil {
				out = append(out, i)
			} else {
				t.Fatalf("action %+v is not a promotion of a trial of the rung", a)
			}
		}
	}
	slices.Sort(out)
	return out
}

func creates(acts []search.Action) int {
	n := 0
	for _, a := range acts {
		if a.Kind == search.Create {
			n++
		}
	}
	return n
}
