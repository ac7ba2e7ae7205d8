package nsga2

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"automl/search"
	"automl/search/pareto"
)

// member is one trial of the elite: its point in the unit cube (NaN where
// inactive), its constraint-domination rank and its crowding distance in
// its front.
type member struct {
	id       int
	u        []float64
	rank     int
	crowding float64
}

// elite is the parents' pool, best first.
type elite []member

// better reports whether a wins a tournament against b: the lower rank,
// then the larger crowding distance (neither: false).
func better(a, b *member) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.crowding > b.crowding
}

// tournament draws two members at random and returns the better (the
// first drawn on a tie).
func (e elite) tournament(rng *rand.Rand) *member {
	a, b := &e[rng.IntN(len(e))], &e[rng.IntN(len(e))]
	if better(b, a) {
		return b
	}
	return a
}

// lossesOf is a trial's loss vector: Losses in a study of several
// objectives, else the one Loss.
func lossesOf(o *search.Observation) []float64 {
	if len(o.Losses) > 0 {
		return o.Losses
	}
	return []float64{o.Loss}
}

// selectElite ranks the completed trials (creation order) by constraint
// domination, then crowding distance in each front, and returns the best
// size of them; nil while fewer than size trials have completed. Trials
// whose loss vector is shorter than the longest (an objective missing) are
// left out.
func selectElite(space *search.Space, h *search.History, size int) (elite, error) {
	if h == nil {
		return nil, nil
	}
	k := 0
	for i := range h.Trials {
		if o := &h.Trials[i]; o.Status == search.Complete && o.HasLoss {
			k = max(k, len(lossesOf(o)))
		}
	}
	var (
		trials     []*search.Observation
		losses     [][]float64
		violations []float64
	)
	for i := range h.Trials {
		o := &h.Trials[i]
		if o.Status != search.Complete || !o.HasLoss || len(lossesOf(o)) != k {
			continue
		}
		trials = append(trials, o)
		losses = append(losses, lossesOf(o))
		violations = append(violations, o.Violation)
	}
	if len(trials) < size {
		return nil, nil
	}
	ranks, err := pareto.Ranks(losses, violations)
	if err != nil {
		return nil, fmt.Errorf("nsga2: ranking %d completed trials: %w", len(trials), err)
	}
	crowd, err := crowdingByFront(losses, ranks)
	if err != nil {
		return nil, fmt.Errorf("nsga2: crowding of %d completed trials: %w", len(trials), err)
	}
	order := make([]int, len(trials))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(ranks[a], ranks[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(crowd[b], crowd[a]); c != 0 { // larger first; NaN never arises
			return c
		}
		return cmp.Compare(a, b) // creation order
	})
	e := make(elite, size)
	for n, i := range order[:size] {
		e[n] = member{id: trials[i].ID, u: space.Encode(trials[i].Point), rank: ranks[i], crowding: crowd[i]}
	}
	return e, nil
}

// crowdingByFront is each point's crowding distance within its front (the
// points of its rank).
func crowdingByFront(losses [][]float64, ranks []int) ([]float64, error) {
	fronts := map[int][]int{}
	for i, r := range ranks {
		fronts[r] = append(fronts[r], i)
	}
	out := make([]float64, len(losses))
	pts := make([][]float64, 0, len(losses))
	for _, idx := range fronts {
		pts = pts[:0]
		for _, i := range idx {
			pts = append(pts, losses[i])
		}
		d, err := pareto.Crowding(pts)
		if err != nil {
			return nil, err
		}
		for n, i := range idx {
			out[i] = d[n]
		}
	}
	return out, nil
}
