package grid_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/grid"
	"automl/search/searchtest"
	"automl/search/value"
	"automl/spacefile"
)

func parse(t *testing.T, seed uint64, params string) (*search.Space, search.Settings) {
	t.Helper()
	cfg := searchtest.Config{Algorithm: "grid"}
	return searchtest.Space(t, cfg, searchtest.Case{Name: "grid", Params: params}, seed)
}

// drain runs a study through the searcher: Want new trials per call, all
// kept pending, until Done. It returns the points in order and the reason.
func drain(t *testing.T, space *search.Space, set search.Settings, want int) ([]search.Point, string) {
	t.Helper()
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	h := &search.History{}
	id := 0
	c := search.Context{Space: space, History: h, Rng: rand.New(rand.NewPCG(1, 2)), Want: want,
		NewID: func() int { id++; return id }}
	var points []search.Point
	for calls := 0; calls < 1_000_000; calls++ {
		acts, err := s.Next(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acts {
			switch a.Kind {
			case search.Create:
				if err := space.Check(a.Point); err != nil {
					t.Fatalf("point %d: %v", len(points), err)
				}
				points = append(points, a.Point)
				h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
			case search.Done:
				return points, a.Reason
			}
		}
	}
	t.Fatal("no Done")
	return nil, ""
}

func distinct(t *testing.T, points []search.Point) {
	t.Helper()
	seen := map[string]int{}
	for i, p := range points {
		if j, dup := seen[p.Key()]; dup {
			t.Fatalf("point %d repeats point %d: %s", i, j, p.Key())
		}
		seen[p.Key()] = i
	}
}

// Each grid's size is worked out by hand in its comment.
var grids = []struct {
	name   string
	params string
	size   int
}{
	{"plain", `
  opt: {type: categorical, choices: [sgd, adam, rmsprop]}   # 3
  layers: {type: int, low: 1, high: 4}                      # x 4
  lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true, points: 3}  # x 3
`, 36},
	{"steps-and-grid", `
  n: {type: int, low: 0, high: 100, step: 25}        # 0 25 50 75 100: 5
  units: {type: int, low: 30, high: 33, log: true}   # every integer: x 4
  d: {type: float, low: 0, high: 0.5, step: 0.25}    # x 3
  w: {type: float, low: 0, high: 1, grid: [0.1, 0.7]} # x 2
`, 120},
	// optimizer sgd: 1; momentum: momentum (3) x (nesterov true: 1 +
	// nesterov false: dampening 2) = 9; adam: depends on layers.
	// layers 1: 1, 2: units2 (2) = 2, 3: units2 (2) = 2.
	// amsgrad only for adam with 3 layers (two parents).
	// sgd, momentum: (1 + 9) x (1 + 2 + 2) = 50
	// adam: beta (2) x (layers 1: 1 + layers 2: 2 + layers 3: 2 x amsgrad 2) = 2 x 7 = 14
	{"conditional", `
  optimizer: {type: categorical, choices: [sgd, momentum, adam]}
  momentum: {type: float, low: 0.5, high: 0.9, points: 3, when: {optimizer: momentum}}
  nesterov: {type: categorical, choices: [true, false], when: {optimizer: momentum}}
  dampening: {type: categorical, choices: [0, 0.1], when: {nesterov: false}}
  beta: {type: float, low: 0.8, high: 0.9, grid: [0.8, 0.9], when: {optimizer: adam}}
  layers: {type: int, low: 1, high: 3}
  units2: {type: int, low: 16, high: 32, step: 16, when: {layers: [2, 3]}}
  amsgrad: {type: categorical, choices: [true, false], when: {optimizer: adam, layers: 3}}
`, 64},
}

func TestGridEndsExactlyAtItsSize(t *testing.T) {
	for _, g := range grids {
		t.Run(g.name, func(t *testing.T) {
			space, set := parse(t, 42, g.params)
			smp, err := grid.New(space, set.Seed)
			if err != nil {
				t.Fatal(err)
			}
			if smp.Size() != g.size {
				t.Fatalf("Size() = %d, want %d", smp.Size(), g.size)
			}
			for _, want := range []int{1, 5, g.size + 3} {
				points, reason := drain(t, space, set, want)
				if len(points) != g.size {
					t.Fatalf("want %d per call: %d points before Done, want %d", want, len(points), g.size)
				}
				distinct(t, points)
				if reason != search.ErrExhausted.Error() {
					t.Fatalf("Done reason %q, want %q", reason, search.ErrExhausted.Error())
				}
			}
		})
	}
}

// TestConditionalGridEnumeratesActiveAssignments checks conditional grids
// against a brute force: the Cartesian product of all levels with
// inactive parameters blanked, deduplicated.
func TestConditionalGridEnumeratesActiveAssignments(t *testing.T) {
	str, flt, integer, boolean := value.String, value.Float, value.Int, value.Bool
	ints := func(lo, hi int64) []value.Value {
		var out []value.Value
		for i := lo; i <= hi; i++ {
			out = append(out, integer(i))
		}
		return out
	}
	tests := []struct {
		name   string
		params string
		size   int
		levels [][]value.Value
	}{
		{"optimizers", grids[2].params, grids[2].size, [][]value.Value{
			{str("sgd"), str("momentum"), str("adam")},
			{flt(0.5), flt(0.7), flt(0.9)},
			{boolean(true), boolean(false)},
			{integer(0), flt(0.1)},
			{flt(0.8), flt(0.9)},
			ints(1, 3),
			{integer(16), integer(32)},
			{boolean(true), boolean(false)},
		}},
		// n=1: c (3); n=2: a (2) x c (3); n=3: c (3); n=4: 1;
		// n=5: a=x 1, a=y b (3); n=6: 1. 3+6+3+1+4+1 = 18.
		{"int parents", `
  n: {type: int, low: 1, high: 6}
  a: {type: categorical, choices: [x, y], when: {n: [2, 5]}}
  b: {type: int, low: 1, high: 3, when: {n: 5, a: y}}
  c: {type: int, low: 10, high: 12, when: {n: [1, 2, 3]}}
`, 18, [][]value.Value{ints(1, 6), {str("x"), str("y")}, ints(1, 3), ints(10, 12)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			space, set := parse(t, 3, tc.params)
			want := map[string]bool{}
			p := make(search.Point, len(tc.levels))
			var walk func(k int)
			walk = func(k int) {
				if k == len(tc.levels) {
					q := append(search.Point(nil), p...)
					for i, on := range space.Active(q) {
						if !on {
							q[i] = value.Value{}
						}
					}
					want[q.Key()] = true
					return
				}
				for _, v := range tc.levels[k] {
					p[k] = v
					walk(k + 1)
				}
			}
			walk(0)
			points, _ := drain(t, space, set, 7)
			got := map[string]bool{}
			for _, p := range points {
				got[p.Key()] = true
			}
			if len(want) != tc.size || len(got) != len(want) || len(points) != len(got) {
				t.Fatalf("brute force finds %d assignments, grid hands out %d distinct of %d (hand count %d)", len(want), len(got), len(points), tc.size)
			}
			for k := range want {
				if !got[k] {
					t.Errorf("grid misses %s", k)
				}
			}
		})
	}
}

// TestLargeConditionalGrid: a parent with a million levels, of which a
// condition names two, is counted without walking every level.
func TestLargeConditionalGrid(t *testing.T) {
	// n takes 1..1,000,000; for n in {5, 7}, m adds 10 values each:
	// 999,998 + 2 x 10 = 1,000,018 points.
	space, set := parse(t, 1, `
  n: {type: int, low: 1, high: 1000000}
  m: {type: int, low: 1, high: 10, when: {n: [5, 7]}}
`)
	smp, err := grid.New(space, set.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if smp.Size() != 1_000_018 {
		t.Fatalf("size %d, want 1000018", smp.Size())
	}
	h := &search.History{}
	var points []search.Point
	for i := 0; i < 2000; i++ {
		p, err := smp.Sample(space, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := space.Check(p); err != nil {
			t.Fatal(err)
		}
		points = append(points, p)
		h.Add(search.Observation{ID: i, Point: p, Status: search.Pending})
	}
	distinct(t, points)
}

// TestParallelSlotsNeverShareAPoint draws for 8 slots at a time while
// trials finish in between, as the scheduler does.
func TestParallelSlotsNeverShareAPoint(t *testing.T) {
	for _, g := range grids {
		t.Run(g.name, func(t *testing.T) {
			space, set := parse(t, 9, g.params)
			smp, err := grid.New(space, set.Seed)
			if err != nil {
				t.Fatal(err)
			}
			h := &search.History{}
			rng := rand.New(rand.NewPCG(5, 6))
			var all []search.Point
			for round := 0; ; round++ {
				ps, err := search.SampleN(smp, space, h, rng, 8)
				if err != nil {
					if !errors.Is(err, search.ErrExhausted) {
						t.Fatal(err)
					}
					break
				}
				for _, p := range ps {
					h.Add(search.Observation{ID: len(all), Point: p, Status: search.Pending})
					all = append(all, p)
				}
				// Some of the slots finish before the next round.
				for i := range h.Trials {
					if i%3 == round%3 && h.Trials[i].Status == search.Pending {
						h.Trials[i].Status, h.Trials[i].Loss, h.Trials[i].HasLoss = search.Complete, float64(i), true
					}
				}
				if len(ps) < 8 {
					break
				}
			}
			distinct(t, all)
			if len(all) != g.size {
				t.Fatalf("%d points handed to slots, grid has %d", len(all), g.size)
			}
		})
	}
}

// TestResumeContinuesTheOrder: a new sampler (a restarted scheduler) with
// the same seed hands out the rest of the same order.
func TestResumeContinuesTheOrder(t *testing.T) {
	space, set := parse(t, 77, grids[2].params)
	first, _ := drain(t, space, set, 4)
	again, err := grid.New(space, set.Seed)
	if err != nil {
		t.Fatal(err)
	}
	h := &search.History{}
	for i, p := range first[:20] {
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, HasLoss: true})
	}
	for i := 20; i < len(first); i++ {
		p, err := again.Sample(space, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Equal(first[i]) {
			t.Fatalf("point %d after resume: %s, want %s", i, p.Key(), first[i].Key())
		}
		h.Add(search.Observation{ID: i, Point: p, Status: search.Pending})
	}
	if _, err := again.Sample(space, h, nil); !errors.Is(err, search.ErrExhausted) {
		t.Fatalf("after the last point: err %v, want ErrExhausted", err)
	}
}

func TestSeedShufflesTheOrder(t *testing.T) {
	spaceA, setA := parse(t, 1, grids[0].params)
	spaceB, setB := parse(t, 2, grids[0].params)
	a, _ := drain(t, spaceA, setA, 36)
	b, _ := drain(t, spaceB, setB, 36)
	if searchKeys(a) == searchKeys(b) {
		t.Fatal("seeds 1 and 2 give the same order")
	}
	// The shuffle is not the canonical order: the first parameter changes
	// within the first few points rather than after 12.
	changes := 0
	for i := 1; i < 12; i++ {
		if !a[i][0].Equal(a[i-1][0]) {
			changes++
		}
	}
	if changes == 0 {
		t.Fatalf("first parameter constant over the first 12 points: order looks unshuffled: %s", searchKeys(a[:12]))
	}
}

func searchKeys(ps []search.Point) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Key() + " ")
	}
	return b.String()
}

func TestLevels(t *testing.T) {
	tests := []struct {
		param string
		want  string
	}{
		{"{type: int, low: 2, high: 10, step: 4}", "2 6 10"},
		{"{type: int, low: 6, high: 9, log: true}", "6 7 8 9"},
		{"{type: float, low: 0, high: 1, points: 5}", "0 0.25 0.5 0.75 1"},
		{"{type: float, low: 1.0e-4, high: 1, log: true, points: 5}", "0.0001 0.001 0.01 0.1 1"},
		{"{type: float, low: 0, high: 0.3, step: 0.1}", "0 0.1 0.2 0.3"},
		{"{type: int, low: 1, high: 100, log: true, points: 3}", "1 10 100"},
		{"{type: int, low: 1, high: 3, points: 5}", "1 2 3"},            // snapped values kept once
		{"{type: float, low: 0, high: 1, grid: [0.9, 0.1]}", "0.9 0.1"}, // file order
		{"{type: categorical, choices: [x, 2, false]}", "x 2 false"},
	}
	for _, tc := range tests {
		t.Run(tc.param, func(t *testing.T) {
			space, set := parse(t, 0, "\n  p: "+tc.param+"\n")
			smp, err := grid.New(space, set.Seed)
			if err != nil {
				t.Fatal(err)
			}
			h := &search.History{}
			var got []string
			for i := 0; i < smp.Size(); i++ {
				p, err := smp.Sample(space, h, nil)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p[0].String())
				h.Add(search.Observation{ID: i, Point: p, Status: search.Pending})
			}
			// The order is shuffled; compare as sets in canonical order.
			want := strings.Fields(tc.want)
			if len(got) != len(want) {
				t.Fatalf("levels %v, want %v", got, want)
			}
			for _, w := range want {
				found := false
				for _, g := range got {
					found = found || g == w
				}
				if !found {
					t.Fatalf("levels %v, want %v", got, want)
				}
			}
		})
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name, params, want string
	}{
		{"continuous float", "\n  a: {type: int, low: 1, high: 3}\n  lr: {type: float, low: 0.1, high: 1}\n",
			`grid.yaml:7:3: parameter "lr": grid search needs the values of a continuous float: add grid: [...] or points: N (or a step)`},
		{"too large", "\n  a: {type: int, low: 1, high: 100000}\n  b: {type: int, low: 1, high: 1000}\n",
			"the grid has 100000000 points, more than the limit of 10000000"},
		{"huge int", "\n  a: {type: int, low: 0, high: 1.0e12}\n",
			`parameter "a": takes 1000000000001 values, more than a grid can hold`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := searchtest.Config{Algorithm: "grid"}
			_, err := spacefile.Parse("grid.yaml", []byte(searchtest.SpaceYAML(cfg, searchtest.Case{Name: "grid", Params: tc.params}, 0)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
			var se *spacefile.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *spacefile.Error", err)
			}
		})
	}
}

func Example() {
	f, err := spacefile.Parse("example.yaml", []byte(`
objective: {metric: loss, direction: minimize}
algorithm: {name: grid, seed: 7}
trainer: {plugin: ./searchtest-null}
parameters:
  optimizer: {type: categorical, choices: [sgd, adam]}
  lr: {type: float, low: 0.001, high: 0.1, log: true, points: 3}
  beta: {type: float, low: 0.9, high: 0.99, grid: [0.9, 0.99], when: {optimizer: adam}}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	space := f.Space
	smp, _ := grid.New(space, *f.Algorithm.Seed)
	fmt.Println("size:", smp.Size())
	h := &search.History{}
	for i := 0; i < smp.Size(); i++ {
		p, _ := smp.Sample(space, h, nil)
		fmt.Println(space.Values(p).Map())
		h.Add(search.Observation{ID: i, Point: p, Status: search.Pending})
	}
	_, err = smp.Sample(space, h, nil)
	fmt.Println(err)
	// Output:
	// size: 9
	// map[beta:0.99 lr:0.01 optimizer:adam]
	// map[beta:0.9 lr:0.001 optimizer:adam]
	// map[lr:0.1 optimizer:sgd]
	// map[beta:0.99 lr:0.001 optimizer:adam]
	// map[lr:0.001 optimizer:sgd]
	// map[beta:0.99 lr:0.1 optimizer:adam]
	// map[beta:0.9 lr:0.1 optimizer:adam]
	// map[beta:0.9 lr:0.01 optimizer:adam]
	// map[lr:0.01 optimizer:sgd]
	// grid of 9 points, all handed out: search space exhausted
}

// A space built in code, past the space file's checks, may ask for more
// points than a grid holds: the grid refuses before spacing them out (a
// billion values would cost gigabytes first).
func TestTooManyPointsRefusedBeforeSpacing(t *testing.T) {
	space := &search.Space{Params: []search.Param{{Name: "x", Type: search.FloatParam, Low: 0, High: 1, Points: 1_000_000_000}}}
	_, err := grid.New(space, 1)
	if err == nil || !strings.Contains(err.Error(), "points: 1000000000 is more than a grid can hold") {
		t.Fatalf("error %v; want points refused", err)
	}
}
