package tpe_test

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/search/tpe"
)

// Several objectives and constraints through the conformance suite: the
// contracts hold, and the proposals follow every objective and the
// constraint, not Loss alone (RunGoals' reads-goals check).
func TestConformanceGoals(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5", Learns: true})
}

func TestConformanceGoalsMultivariateGroup(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5, multivariate: true, group: true", Learns: true})
}

func TestSamplerConformanceGoals(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5", Learns: true, Spaces: searchtest.GoalSpaces()},
		func(s *search.Space, set search.Settings) (search.Sampler, error) {
			o, err := tpe.OptionsFrom(s, set)
			if err != nil {
				return nil, err
			}
			return tpe.New(o)
		})
}

// TestGoalsRobustness: studies of several objectives or constraints with
// awkward histories get valid points, and a complete trial without every
// objective (an import from a study of one, a NaN or infinite loss) is
// left out and logged once, with why.
func TestGoalsRobustness(t *testing.T) {
	type obs struct {
		status    search.Status
		losses    []float64
		violation float64
	}
	cases := []struct {
		name   string
		n      int
		trial  func(i int) obs
		logged int
	}{
		{"missing-nan-inf-losses", 30, func(i int) obs {
			switch i % 5 {
			case 0:
				return obs{search.Complete, nil, 0} // an import of one objective
			case 1:
				return obs{search.Complete, []float64{1, math.NaN()}, 0}
			case 2:
				return obs{search.Complete, []float64{math.Inf(-1), 1}, 0}
			}
			return obs{search.Complete, []float64{float64(i), -float64(i)}, 0}
		}, 18},
		{"all-infeasible", 30, func(i int) obs {
			return obs{search.Complete, []float64{float64(i % 7), float64(i % 5)}, []float64{1, math.Inf(1), math.NaN(), 0.5}[i%4]}
		}, 0},
		{"all-equal", 30, func(int) obs { return obs{search.Complete, []float64{1, 1, 1}, 0} }, 0},
		{"one-feasible", 30, func(i int) obs {
			v := 1.0
			if i == 17 {
				v = 0
			}
			return obs{search.Complete, []float64{float64(i), float64(30 - i)}, v}
		}, 0},
		{"pruned-failed-pending", 30, func(i int) obs {
			st := []search.Status{search.Complete, search.Pruned, search.Failed, search.Pending}[i%4]
			return obs{st, []float64{float64(i), float64(-i)}, float64(i%3) / 2}
		}, 0},
	}
	s := unitSpace(t, 3)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, mv := range []bool{false, true} {
				o := tpe.DefaultOptions()
				o.Multivariate = mv
				smp, _ := tpe.New(o)
				var buf bytes.Buffer
				smp.Log = slog.New(slog.NewTextHandler(&buf, nil))
				rng := rand.New(rand.NewPCG(1, 2))
				h := &search.History{}
				u := make([]float64, s.Dim())
				for i := range c.n {
					for k := range u {
						u[k] = rng.Float64()
					}
					ob := c.trial(i)
					o := search.Observation{ID: i, Point: s.Decode(u), Status: ob.status, HasLoss: ob.status == search.Complete || ob.status == search.Pruned}
					if o.HasLoss {
						o.Loss = float64(i)
						if len(ob.losses) > 0 {
							o.Loss = ob.losses[0]
						}
					}
					if ob.status == search.Complete {
						o.Losses, o.Violation = ob.losses, ob.violation
					}
					h.Add(o)
				}
				for range 2 {
					ps, err := smp.SampleBatch(s, h, rng, 2)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range ps {
						if err := s.Check(p); err != nil {
							t.Fatalf("invalid point: %v", err)
						}
					}
				}
				if got := strings.Count(buf.String(), "left out of the model"); got != c.logged {
					t.Errorf("multivariate %v: %d log lines about trials left out over two calls, want %d:\n%s", mv, got, c.logged, buf.String())
				}
				if c.logged > 0 && !strings.Contains(buf.String(), "without every objective's loss as a number") {
					t.Errorf("the log does not say why:\n%s", buf.String())
				}
			}
		})
	}
}
