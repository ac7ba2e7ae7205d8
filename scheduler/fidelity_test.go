package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/plugins/funcs"
	"automl/scheduler"
	_ "automl/search/asha"
	_ "automl/search/hyperband"
	"automl/trial"
)

const ashaSpace = `
study: %s
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: %s, seed: 11, min_resource: 1, max_resource: 9, reduction_factor: 3}
trainer: {plugin: funcs, config: {function: branin, max_resource: 9}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// leaderboard renders the final trials (what ranks them: state, value,
// resource reached) for comparison.
func leaderboard(t *testing.T, h *harness) string {
	var b strings.Builder
	for _, r := range h.load().Trials {
		fmt.Fprintf(&b, "%d %s %.12g %v %g\n", r.ID, r.State, r.Value, r.Pause, r.Resource)
	}
	return b.String()
}

func TestPromotionsPauseAndResume(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(ashaSpace, "promote", 30, "asha"))
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, nil)
	if err != nil || sum.Status != scheduler.StudyDone {
		t.Fatalf("%+v %v", sum, err)
	}
	top, promoted := 0, 0
	for _, r := range h.load().Trials {
		if r.State != trial.Completed {
			t.Errorf("trial %d ended %s", r.ID, r.State)
		}
		if r.Attempt > 1 {
			promoted++
		}
		if r.Resource == 9 {
			top++
			if r.Pause {
				t.Errorf("trial %d reached the top rung but is marked as pausing", r.ID)
			}
		} else if !r.Pause || !strings.Contains(r.Note, "not promoted") {
			t.Errorf("trial %d ended at %v: pause %v, note %q", r.ID, r.Resource, r.Pause, r.Note)
		}
	}
	if promoted == 0 || top == 0 {
		t.Fatalf("%d trials promoted, %d reached the top rung; want some of each", promoted, top)
	}
}

// TestKilledMidBracketContinuesTheSameBrackets kills the scheduler at 20
// random commits of a Hyperband study with a deterministic trainer and one
// slot, restarting it each time, and compares the final leaderboard with
// an uninterrupted run of the same seed.
func TestKilledMidBracketContinuesTheSameBrackets(t *testing.T) {
	for _, alg := range []string{"hyperband", "asha"} {
		t.Run(alg, func(t *testing.T) {
			ref := newHarness(t, fmt.Sprintf(ashaSpace, "ref", 40, alg))
			if _, err, _ := ref.run(context.Background(), funcs.Runner{}, 1, nil); err != nil {
				t.Fatal(err)
			}
			want := leaderboard(t, ref)

			h := newHarness(t, fmt.Sprintf(ashaSpace, "ref", 40, alg))
			rng := rand.New(rand.NewPCG(1, 2))
			kills := 0
			for attempt := 0; attempt < 200; attempt++ {
				fs := &failingStore{Store: h.store}
				crash := kills < 20
				if crash {
					fs.left.Store(int64(1 + rng.IntN(6)))
				} else {
					fs.left.Store(1 << 40)
				}
				store := h.store
				h.store = fs
				sum, err, _ := h.run(context.Background(), funcs.Runner{}, 1, nil)
				h.store = store
				if errors.Is(err, errCrash) {
					kills++
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if sum.Status != scheduler.StudyDone {
					t.Fatalf("status %s", sum.Status)
				}
				break
			}
			if kills != 20 {
				t.Fatalf("%d kills, want 20", kills)
			}
			if !strings.Contains(want, " 9\n") || !strings.Contains(want, " 3\n") {
				t.Fatalf("the reference run has no trials at rungs 3 and 9:\n%s", want)
			}
			if got := leaderboard(t, h); got != want {
				t.Fatalf("leaderboard after 20 kills differs from an uninterrupted run:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
