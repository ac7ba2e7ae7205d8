package hyperband_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"automl/search"
	"automl/search/fidelity"
	"automl/search/fidelity/fidelitytest"
	"automl/search/hyperband"
	"automl/search/searchtest"
	"automl/spacefile"

	_ "automl/search/asha"
	_ "automl/search/grid"
)

func newSearcher(t testing.TB, space *search.Space, set search.Settings) *hyperband.Searcher {
	t.Helper()
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*hyperband.Searcher)
}

// TestBracketsFollowPlan runs one cycle for R = 81, eta = 3 and checks,
// bracket by bracket, the table of Li et al.: how many trials each rung
// trains and to what resource, that promotions resume from the previous
// rung, that the survivors of each rung are exactly its best n_{i+1}, and
// that the whole cycle costs what the plan says (no epoch is trained twice).
func TestBracketsFollowPlan(t *testing.T) {
	tests := []struct {
		name  string
		slots int
		jobs  bool
		fail  func(int) bool
	}{
		{"one slot", 1, false, nil},
		{"eight slots", 8, false, nil},
		{"free slots apart from the budget", 5, true, nil},
		{"some trials fail", 6, true, func(id int) bool { return id%17 == 4 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			space, set := fidelitytest.Space(t, "hyperband", "max_resource: 81, cycles: 1", 7)
			s := newSearcher(t, space, set)
			sim := fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: tc.slots, MaxResource: 81, Jobs: tc.jobs, Fail: tc.fail, Seed: 7})
			if !sim.Done {
				t.Fatal("one cycle ran but the searcher did not say Done")
			}
			checkPlan(t, sim, s.Plan(), tc.fail)
		})
	}
}

func checkPlan(t *testing.T, sim *fidelitytest.Sim, plan []fidelity.Bracket, fail func(int) bool) {
	t.Helper()
	first := map[int]float64{} // trial -> its first rung, which names its bracket here
	byRung := map[string][]*fidelitytest.Job{}
	cost := 0.0
	for _, j := range sim.Jobs {
		if !j.Promotion {
			first[j.ID] = j.Span.To
		}
		key := fmt.Sprintf("%g/%g", first[j.ID], j.Span.To)
		byRung[key] = append(byRung[key], j)
		cost += j.Step - j.Span.From
	}
	planCost := 0.0
	for _, b := range plan {
		for i := range b.N {
			jobs := byRung[fmt.Sprintf("%g/%g", b.R[0], b.R[i])]
			if fail == nil && len(jobs) != b.N[i] {
				t.Errorf("bracket s=%d rung %d: %d trials trained to %g, want %d", b.S, i, len(jobs), b.R[i], b.N[i])
			}
			if len(jobs) > b.N[i] {
				t.Errorf("bracket s=%d rung %d: %d trials, more than %d", b.S, i, len(jobs), b.N[i])
			}
			from := 0.0
			if i > 0 {
				from = b.R[i-1]
			}
			planCost += float64(b.N[i]) * (b.R[i] - from)
			for _, j := range jobs {
				if j.Span.From != from || j.Promotion != (i > 0) {
					t.Errorf("bracket s=%d rung %d: trial %d trained %g..%g (promotion %v), want from %g", b.S, i, j.ID, j.Span.From, j.Span.To, j.Promotion, from)
				}
			}
			if i == 0 {
				continue
			}
			// The survivors are exactly the best n_i of the rung below.
			var below []*fidelitytest.Job
			for _, j := range byRung[fmt.Sprintf("%g/%g", b.R[0], b.R[i-1])] {
				if j.Status == search.Complete {
					below = append(below, j)
				}
			}
			sort.Slice(below, func(x, y int) bool {
				if below[x].Loss != below[y].Loss {
					return below[x].Loss < below[y].Loss
				}
				return below[x].ID < below[y].ID
			})
			want := ids(below[:min(len(below), b.N[i])])
			if got := ids(jobs); got != want {
				t.Errorf("bracket s=%d rung %d promoted %s, want the best %d of rung %d: %s", b.S, i, got, b.N[i], i-1, want)
			}
		}
	}
	if fail == nil && cost != planCost {
		t.Errorf("the cycle trained %g units of resource, the plan says %g", cost, planCost)
	}
}

func ids(js []*fidelitytest.Job) string {
	var out []int
	for _, j := range js {
		out = append(out, j.ID)
	}
	sort.Ints(out)
	return fmt.Sprint(out)
}

// TestTrialBudgetClosesBrackets: with 100 new trials for a cycle of 143,
// the bracket cut short still sends its best to the full budget, with
// rungs shrunk in proportion (34 planned -> 19 given: 19, 6, 1, 1).
func TestTrialBudgetClosesBrackets(t *testing.T) {
	space, set := fidelitytest.Space(t, "hyperband", "max_resource: 81", 3)
	sim := fidelitytest.Run(t, space, newSearcher(t, space, set), fidelitytest.Config{Slots: 6, Trials: 100, MaxResource: 81, Jobs: true, Seed: 3})
	count := map[string]int{}
	first := map[int]float64{}
	news := 0
	for _, j := range sim.Jobs {
		if !j.Promotion {
			first[j.ID] = j.Span.To
			news++
		}
		count[fmt.Sprintf("%g/%g", first[j.ID], j.Span.To)]++
	}
	if news != 100 {
		t.Fatalf("%d new trials, want the budget of 100", news)
	}
	want := map[string]int{"1/1": 81, "1/3": 27, "1/9": 9, "1/27": 3, "1/81": 1, "3/3": 19, "3/9": 6, "3/27": 1, "3/81": 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("rung %s: %d trials, want %d (all: %v)", k, count[k], n, count)
		}
	}
	if len(count) != len(want) {
		t.Errorf("rungs %v, want exactly %v", count, want)
	}
}

// TestExhaustedSampler: a grid of 4 points fills what it can of the first
// bracket, which is closed, finishes, and the searcher says Done.
func TestExhaustedSampler(t *testing.T) {
	src := fmt.Sprintf(`objective: {metric: loss, direction: minimize}
algorithm: {name: hyperband, seed: 1, max_resource: 9, sampler: grid}
trainer: {plugin: %s}
parameters:
  x0: {type: float, low: 0, high: 1, points: 4}
`, searchtest.TrainerName)
	f, err := spacefile.Parse("grid.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	space, set := f.Space, f.Algorithm.Settings(1)
	sim := fidelitytest.Run(t, space, newSearcher(t, space, set), fidelitytest.Config{Slots: 3, MaxResource: 9, Seed: 1})
	if !sim.Done || !strings.Contains(sim.Reason, "exhausted") {
		t.Fatalf("Done %v (%q), want done with the space exhausted", sim.Done, sim.Reason)
	}
	if sim.H.Len() != 4 {
		t.Fatalf("%d trials, want the grid's 4", sim.H.Len())
	}
	if best, ok := sim.Best(); !ok {
		t.Fatalf("no trial reached the full budget (best %v)", best)
	}
}

func TestKillAndRestore(t *testing.T) {
	for _, jobs := range []bool{false, true} {
		t.Run(fmt.Sprintf("jobs=%v", jobs), func(t *testing.T) {
			space, set := fidelitytest.Space(t, "hyperband", "max_resource: 27", 11)
			fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return search.NewSearcher(space, set) },
				fidelitytest.Config{Slots: 5, Trials: 90, MaxResource: 27, Jobs: jobs, Seed: 11, Fail: func(id int) bool { return id%23 == 5 }}, 20, 5)
		})
	}
}

func TestRestoreRejects(t *testing.T) {
	space, set := fidelitytest.Space(t, "hyperband", "max_resource: 27", 1)
	for _, bad := range []string{
		`nonsense`,
		`{"v":2,"trials":[],"active":[],"opened":0}`,
		`{"v":1,"trials":[],"active":[{"i":3,"n":[27,9,3,1],"rung":0,"m":[],"sent":0}],"opened":1}`,
		`{"v":1,"trials":[],"active":[{"i":0,"n":[27,9],"rung":0,"m":[],"sent":0}],"opened":1}`,
		`{"v":1,"trials":[],"active":[{"i":0,"n":[27,9,3,1],"rung":0,"m":[5],"sent":1}],"opened":1}`,
	} {
		if err := newSearcher(t, space, set).Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted", bad)
		}
	}
}

func TestOptionsValidated(t *testing.T) {
	for opts, want := range map[string]string{
		"min_resource: 1":                      "max_resource: required",
		"max_resource: 9, sampler: nope":       `unknown algorithm "nope"`,
		"max_resource: 9, sampler: asha":       "not a sampler",
		"max_resource: 9, brackets: 4":         "brackets: at most 3",
		"max_resource: 9, cycles: -1":          "must be >= 0",
		"max_resource: 9, reduction_factor: 1": "must be >= 2",
	} {
		src := fmt.Sprintf("objective: {metric: loss, direction: minimize}\nalgorithm: {name: hyperband, %s}\ntrainer: {plugin: %s}\nparameters:\n  x: {type: float, low: 0, high: 1}\n", opts, searchtest.TrainerName)
		_, err := spacefile.Parse("bad.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", opts, err, want)
		}
	}
}

// TestPausedTrialEndedByScheduler: a survivor that the scheduler ended
// while it waited for its promotion (shown pruned in the history) is
// skipped, and its rung still completes without it.
func TestPausedTrialEndedByScheduler(t *testing.T) {
	space, set := fidelitytest.Space(t, "hyperband", "max_resource: 9, brackets: 1, cycles: 1", 1)
	s := newSearcher(t, space, set)
	h := &search.History{}
	rng := rand.New(rand.NewPCG(1, 1))
	next := 0
	ctx := func(want int) search.Context {
		return search.Context{Space: space, History: h, Rng: rng, Want: want, NewID: func() int { next++; return next - 1 }}
	}
	creates := func(acts []search.Action) (out []search.Action) {
		for _, a := range acts {
			if a.Kind == search.Create {
				out = append(out, a)
			}
		}
		return out
	}
	exit := func(id int, step float64) []search.Action {
		o, _ := h.Get(id)
		o.Status, o.Loss, o.HasLoss, o.Resource = search.Complete, float64(id), true, step
		acts, err := s.Observe(ctx(0), search.Event{Kind: search.Exited, ID: id, Step: step, Loss: float64(id), HasLoss: true, Status: search.Complete})
		if err != nil {
			t.Fatal(err)
		}
		return acts
	}
	acts, err := s.Start(ctx(9))
	if err != nil || len(creates(acts)) != 9 {
		t.Fatalf("start: %v %v, want 9 creates", acts, err)
	}
	for _, a := range acts {
		h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
	}
	for id := 8; id >= 0; id-- {
		exit(id, 1)
	}
	// Survivors of rung 0 are 0, 1, 2 (lowest losses); the scheduler ends 1.
	o, _ := h.Get(1)
	o.Status = search.Pruned
	acts, err = s.Next(ctx(3))
	if got := fmt.Sprint(creates(acts)); err != nil || len(creates(acts)) != 2 || acts[0].ID != 0 || acts[1].ID != 2 {
		t.Fatalf("promotions %s (%v), want trials 0 and 2", got, err)
	}
	for _, id := range []int{0, 2} {
		o, _ := h.Get(id)
		o.Status = search.Pending
	}
	exit(2, 3)
	exit(0, 3)
	acts, err = s.Next(ctx(1))
	if err != nil || len(creates(acts)) != 1 || acts[0].ID != 0 || acts[0].Span != (search.Span{From: 3, To: 9}) {
		t.Fatalf("last rung: %v (%v), want trial 0 promoted over 3..9", acts, err)
	}
}
