package nsga2

import (
	"math"
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/searchtest"
)

// space parses a parameters section for nsga2.
func space(t testing.TB, params string) *search.Space {
	t.Helper()
	s, _ := searchtest.Space(t, searchtest.Config{Algorithm: "nsga2"}, searchtest.Case{Name: "t", Params: params}, 1)
	return s
}

// done is a complete trial of the given losses and violation at cube point u.
func done(s *search.Space, id int, u []float64, viol float64, losses ...float64) search.Observation {
	return search.Observation{ID: id, Point: s.Decode(u), Status: search.Complete, HasLoss: true,
		Loss: losses[0], Losses: losses, Violation: viol}
}

const twoFloats = `
  x: {type: float, low: 0, high: 1}
  y: {type: float, low: 0, high: 1}
`

func TestBetterAndTournament(t *testing.T) {
	a := member{rank: 0, crowding: 0.1}
	b := member{rank: 1, crowding: math.Inf(1)}
	c := member{rank: 0, crowding: 0.5}
	if !better(&a, &b) || better(&b, &a) {
		t.Error("the lower rank must win whatever the crowding")
	}
	if !better(&c, &a) || better(&a, &c) {
		t.Error("in one rank the larger crowding distance must win")
	}
	if better(&a, &a) {
		t.Error("a tie is no win")
	}
	// Of two members, the worse one wins only when drawn twice: 1/4.
	e := elite{b, a}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	worse := 0
	for range n {
		if e.tournament(rng).rank == 1 {
			worse++
		}
	}
	if f := float64(worse) / n; math.Abs(f-0.25) > 0.015 {
		t.Errorf("the worse of two members won %.3f of tournaments, want 0.25", f)
	}
}

func TestEliteConstraintDomination(t *testing.T) {
	s := space(t, twoFloats)
	h := &search.History{}
	// 0: infeasible but the best losses; 1, 2: the feasible front; 3:
	// feasible, dominated by 1; 4: failed; 5: pending; 6: infeasible,
	// smaller violation than 0.
	h.Add(done(s, 0, []float64{0.1, 0.1}, 2, 0, 0))
	h.Add(done(s, 1, []float64{0.2, 0.2}, 0, 1, 2))
	h.Add(done(s, 2, []float64{0.3, 0.3}, 0, 2, 1))
	h.Add(done(s, 3, []float64{0.4, 0.4}, 0, 3, 3))
	h.Add(search.Observation{ID: 4, Point: s.Decode([]float64{0.5, 0.5}), Status: search.Failed})
	h.Add(search.Observation{ID: 5, Point: s.Decode([]float64{0.6, 0.6}), Status: search.Pending})
	h.Add(done(s, 6, []float64{0.7, 0.7}, 1, 0, 0))
	if e, err := selectElite(s, h, 6); err != nil || e != nil {
		t.Fatalf("5 completed trials, population 6: elite %v (%v), want none yet", e, err)
	}
	e, err := selectElite(s, h, 4)
	if err != nil {
		t.Fatal(err)
	}
	var ids, ranks []int
	for _, m := range e {
		ids, ranks = append(ids, m.id), append(ranks, m.rank)
	}
	if want := []int{1, 2, 3, 6}; !equalInts(ids, want) {
		t.Errorf("elite %v, want %v (feasible front, the dominated feasible trial, then the least violation)", ids, want)
	}
	if want := []int{0, 0, 1, 2}; !equalInts(ranks, want) {
		t.Errorf("ranks %v, want %v", ranks, want)
	}
	if math.Abs(e[0].u[0]-0.2) > 1e-12 {
		t.Errorf("elite member 1 at %v, want its encoded point [0.2 0.2]", e[0].u)
	}
}

func TestEliteCrowdingBreaksTies(t *testing.T) {
	s := space(t, twoFloats)
	h := &search.History{}
	// One front of four: the two ends are infinitely crowded, and of the
	// middle two, trial 2 (alone in a wide gap) beats trial 1 (squeezed).
	for i, f := range [][]float64{{0, 10}, {1, 8.9}, {1.2, 5}, {10, 0}} {
		h.Add(done(s, i, []float64{0.1, 0.1}, 0, f...))
	}
	e, err := selectElite(s, h, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{e[0].id, e[1].id, e[2].id}; !equalInts(got, []int{0, 3, 2}) {
		t.Errorf("elite %v, want the two ends then the less crowded middle trial [0 3 2]", got)
	}
}

func TestEliteOneObjectiveAndMissingObjectives(t *testing.T) {
	s := space(t, twoFloats)
	h := &search.History{}
	for i, l := range []float64{5, 3, 4, 1} {
		h.Add(search.Observation{ID: i, Point: s.Decode([]float64{0.5, 0.5}), Status: search.Complete, HasLoss: true, Loss: l})
	}
	e, err := selectElite(s, h, 2)
	if err != nil {
		t.Fatal(err)
	}
	if e[0].id != 3 || e[1].id != 1 {
		t.Errorf("one objective: elite %d, %d, want the two lowest losses 3, 1", e[0].id, e[1].id)
	}
	// A trial of two objectives beside trials of one: the vectors of the
	// study's length (the longest) count, the others are left out.
	h.Add(done(s, 9, []float64{0.5, 0.5}, 0, 2, 2))
	if e, err := selectElite(s, h, 2); err != nil || e != nil {
		t.Errorf("one trial of two objectives, population 2: elite %v (%v), want none", e, err)
	}
}

func TestSBXStaysInBoundsAndNearParents(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	near := 0
	const n = 20000
	for i := range n {
		x, y := rng.Float64(), rng.Float64()
		switch i % 4 {
		case 0:
			x = 0
		case 1:
			y = 1
		}
		c := sbx(x, y, rng)
		if !(c >= 0 && c <= 1) {
			t.Fatalf("sbx(%v, %v) = %v, outside [0, 1]", x, y, c)
		}
		if lo, hi := min(x, y), max(x, y); c >= lo-0.5*(hi-lo) && c <= hi+0.5*(hi-lo) {
			near++
		}
	}
	// eta 15 keeps the children close to the parents' span.
	if f := float64(near) / n; f < 0.95 {
		t.Errorf("%.3f of SBX children within half a span of their parents, want >= 0.95", f)
	}
	if c := sbx(0.3, 0.3, rng); c != 0.3 {
		t.Errorf("sbx of equal parents 0.3 = %v, want 0.3", c)
	}
}

func TestPolynomialMutationInBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	moved, small := 0, 0
	const n = 20000
	for i := range n {
		x := []float64{0, 1, rng.Float64()}[i%3]
		m := polynomialMutation(x, rng)
		if !(m >= 0 && m <= 1) {
			t.Fatalf("mutation of %v = %v, outside [0, 1]", x, m)
		}
		if m != x && i%3 == 2 {
			moved++
		}
		if math.Abs(m-x) < 0.2 {
			small++
		}
	}
	// At a bound, the half of the draws pointing out of the cube leaves
	// the coordinate there (Deb's bounded mutation); inside, it moves.
	if moved < n/3-1 {
		t.Errorf("mutation moved %d of %d interior coordinates", moved, (n+2)/3)
	}
	if f := float64(small) / n; f < 0.9 {
		t.Errorf("%.3f of mutations moved less than 0.2, want >= 0.9 (eta 20 makes small steps)", f)
	}
}

func TestCategoricalChildren(t *testing.T) {
	s := space(t, `
  c: {type: categorical, choices: [a, b, c, d, e]}
  x: {type: float, low: 0, high: 1}
`)
	cat := kindsOf(s)
	if !cat[0] || cat[1] {
		t.Fatalf("kinds %v, want the categorical only", cat)
	}
	pa, pb := s.Encode(s.Decode([]float64{0.1, 0.2})), s.Encode(s.Decode([]float64{0.3, 0.8}))
	rng := rand.New(rand.NewPCG(7, 8))
	count := map[string]int{}
	const n = 20000
	for range n {
		p := s.Decode(child(s, cat, pa, pb, rng))
		if err := s.Check(p); err != nil {
			t.Fatal(err)
		}
		count[p[0].String()]++
	}
	// a or b from crossover; c, d, e only by mutation (1/d = 1/2 of the
	// time, a new draw lands off the parents' choices 3/5 of it).
	other := n - count["a"] - count["b"]
	if count["a"] < n/4 || count["b"] < n/4 {
		t.Errorf("children's choices %v: each parent's should be common", count)
	}
	if f := float64(other) / n; f < 0.2 || f > 0.4 {
		t.Errorf("%.3f of children took a choice neither parent had, want about 0.3 (mutation 1/2 x 3/5)", f)
	}
}

const conditional = `
  opt: {type: categorical, choices: [adam, sgd]}
  beta: {type: float, low: 0.8, high: 0.999, when: {opt: adam}}
  momentum: {type: float, low: 0, high: 0.99, when: {opt: sgd}}
  nesterov: {type: categorical, choices: [true, false], when: {opt: sgd}}
  lr: {type: float, low: 1.0e-4, high: 1, log: true}
`

func TestConditionalChildren(t *testing.T) {
	s := space(t, conditional)
	cat := kindsOf(s)
	adam := s.Encode(s.Decode([]float64{0.1, 0.5, 0.5, 0.5, 0.2}))
	sgd := s.Encode(s.Decode([]float64{0.9, 0.5, 0.3, 0.1, 0.7}))
	if !math.IsNaN(adam[2]) || !math.IsNaN(sgd[1]) {
		t.Fatalf("parents %v %v: want inactive coordinates NaN", adam, sgd)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	seen := map[string]int{}
	freshMomentum := 0
	for range 5000 {
		u := child(s, cat, adam, sgd, rng)
		p := s.Decode(u)
		if err := s.Check(p); err != nil {
			t.Fatalf("child %v: %v", p, err)
		}
		seen[p[0].String()]++
		// An sgd child whose momentum came from neither parent (the adam
		// parent has none): drawn uniformly, so not the sgd parent's.
		if p[0].String() == "sgd" {
			if m, _ := p[2].Float(); math.Abs(m-(0.3*0.99)) > 0.05 {
				freshMomentum++
			}
		}
	}
	if seen["adam"] < 1000 || seen["sgd"] < 1000 {
		t.Errorf("children's optimizers %v: both parents' patterns should be common", seen)
	}
	if freshMomentum == 0 {
		t.Error("no sgd child drew its momentum anew: a coordinate activated without a value must be sampled")
	}
}

func TestFillActivated(t *testing.T) {
	s := space(t, conditional)
	rng := rand.New(rand.NewPCG(11, 12))
	u := []float64{0.9, math.NaN(), math.NaN(), math.NaN(), 0.5} // sgd, nothing for its children
	fillActivated(s, u, rng)
	if math.IsNaN(u[2]) || math.IsNaN(u[3]) || !math.IsNaN(u[1]) {
		t.Errorf("filled %v: want momentum and nesterov drawn, beta (inactive) left NaN", u)
	}
}

func TestSamplePendingAware(t *testing.T) {
	s := space(t, twoFloats)
	smp, err := New(Options{Population: 10})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 14))
	h := &search.History{}
	for i := range 10 {
		x := rng.Float64()
		h.Add(done(s, i, []float64{x, rng.Float64()}, 0, x, 1-x))
	}
	ps, err := search.SampleN(smp, s, h, rng, 8)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range ps {
		keys[p.Key()] = true
	}
	if len(keys) != 8 {
		t.Errorf("8 slots got %d distinct points", len(keys))
	}
	if h.Len() != 10 {
		t.Errorf("history has %d trials after sampling, want 10", h.Len())
	}
}

func TestNewRefusesSmallPopulation(t *testing.T) {
	if _, err := New(Options{Population: 1}); err == nil {
		t.Error("population 1 accepted")
	}
	if _, err := OptionsFrom(nil, search.Settings{Options: nil}); err != nil {
		t.Error(err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
