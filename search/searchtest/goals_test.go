package searchtest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
)

// TestGoalSpaces: every goal space parses with an algorithm of several
// objectives, and its trials report k losses (the first the suite's
// Loss) and, under a constraint, feasible, infeasible and unreported
// (infinite) violations.
func TestGoalSpaces(t *testing.T) {
	cfg := Config{Algorithm: "random"}.withDefaults()
	for _, c := range append(GoalSpaces(), ConstrainedSpaces()...) {
		st := start(t, cfg, c, seedA)
		st.run()
		k := 1
		if strings.Contains(c.Goals, "objectives:") {
			k = strings.Count(c.Goals, "{metric:") - strings.Count(c.Goals, "constraints:")
		}
		var feasible, infeasible, unreported int
		for _, o := range st.h.Trials {
			switch {
			case !o.HasLoss:
				if o.Losses != nil {
					t.Errorf("%s: trial %d has losses %v without a loss", c.Name, o.ID, o.Losses)
				}
				continue
			case len(o.Losses) != k || o.Losses[0] != o.Loss:
				t.Fatalf("%s: trial %d: losses %v for %d objectives, loss %v", c.Name, o.ID, o.Losses, k, o.Loss)
			case math.IsInf(o.Violation, 1):
				unreported++
			case o.Violation > 0:
				infeasible++
			default:
				feasible++
			}
		}
		constrained := strings.Contains(c.Goals, "constraints:")
		if constrained != (infeasible > 0 && unreported > 0) || feasible == 0 {
			t.Errorf("%s (constrained %v): %d feasible, %d infeasible, %d without the constraint's metric", c.Name, constrained, feasible, infeasible, unreported)
		}
	}
}

// follower proposes next to the best finished trial: by Loss alone, or
// (goals) feasible first, then by the sum of its other losses.
type follower struct{ goals bool }

func (f follower) Sample(space *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	score := func(o *search.Observation) float64 {
		if !f.goals || o.Losses == nil {
			return o.Loss
		}
		s := o.Loss / 1000 // the other objectives lead
		for _, l := range o.Losses[1:] {
			s += l
		}
		if o.Violation > 0 {
			s += 1e6
		}
		return s
	}
	var best *search.Observation
	for i := range h.Trials {
		o := &h.Trials[i]
		if o.Status == search.Complete && o.HasLoss && (best == nil || score(o) < score(best)) {
			best = o
		}
	}
	u := make([]float64, space.Dim())
	var at []float64
	if best != nil && h.Len() >= 8 {
		at = space.Encode(best.Point)
	}
	for i := range u {
		u[i] = rng.Float64()
		if at != nil && !math.IsNaN(at[i]) {
			u[i] = min(1, max(0, at[i]+0.05*(u[i]-0.5)))
		}
	}
	return space.Decode(u), nil
}

// TestReadsGoalsCatchesLossOnly: a searcher that models Loss alone fails
// the reads-goals check on every goal space; one that reads the losses
// and violations passes it.
func TestReadsGoalsCatchesLossOnly(t *testing.T) {
	for _, c := range GoalSpaces() {
		run := func(goals bool) []string {
			cfg := Config{Algorithm: "random", Learns: true, New: func(*search.Space, search.Settings) (search.Searcher, error) {
				return search.NewSamplerSearcher(follower{goals: goals}), nil
			}}.withDefaults()
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				checkReadsGoals(r, cfg, c)
			}()
			<-done
			return r.msgs
		}
		if msgs := run(true); len(msgs) > 0 {
			t.Errorf("%s: a searcher reading every goal fails: %v", c.Name, msgs)
		}
		if msgs := run(false); len(msgs) == 0 || !strings.Contains(msgs[0], "reads Loss alone") {
			t.Errorf("%s: a searcher reading Loss alone: failures %q, want one saying so", c.Name, msgs)
		}
	}
}
