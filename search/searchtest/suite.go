package searchtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"automl/search"
)

// Config says what to test and how large the simulated studies are.
type Config struct {
	// Algorithm is the registered name written into each space's algorithm section.
	Algorithm string
	// Options are extra keys for that section, in YAML flow syntax ("scramble: false").
	Options string
	// New builds the searcher under test for a parsed space (default search.NewSearcher).
	New func(space *search.Space, set search.Settings) (search.Searcher, error)
	// Discrete gives every continuous float of the standard spaces points: 3.
	Discrete bool
	// Trials is a study's trial budget (default 40); Slots its parallel jobs (default 4).
	Trials, Slots int
	// Spaces replaces the standard spaces (Spaces()).
	Spaces []Case
	// Learns says the searcher models results (GP, TPE, BOHB): imported
	// results must change what it proposes first (see checkImported).
	Learns bool
}

func (c Config) withDefaults() Config {
	if c.New == nil {
		c.New = search.NewSearcher
	}
	if c.Trials <= 0 {
		c.Trials = 40
	}
	if c.Slots <= 0 {
		c.Slots = 4
	}
	if c.Spaces == nil {
		c.Spaces = Spaces()
	}
	return c
}

// Seeds the suite compares.
const seedA, seedB = 1, 2

// Run checks a searcher against the contracts on every space of cfg.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	cfg = cfg.withDefaults()
	for _, c := range cfg.Spaces {
		t.Run(c.Name, func(t *testing.T) {
			t.Run("valid", func(t *testing.T) { checkValid(t, cfg, c) })
			t.Run("same-seed", func(t *testing.T) { checkSameSeed(t, cfg, c) })
			t.Run("seeds-differ", func(t *testing.T) { checkSeedsDiffer(t, cfg, c) })
			t.Run("snapshot", func(t *testing.T) { checkSnapshot(t, cfg, c) })
			t.Run("duplicates", func(t *testing.T) { checkDuplicates(t, cfg, c) })
			t.Run("imported", func(t *testing.T) { checkImported(t, cfg, c) })
			t.Run("queued", func(t *testing.T) { checkQueued(t, cfg, c) })
		})
	}
}

// RunSampler runs Run on the sampler wrapped in a search.SamplerSearcher,
// and checks that the sampler is pure.
func RunSampler(t *testing.T, cfg Config, newSampler func(space *search.Space, set search.Settings) (search.Sampler, error)) {
	t.Helper()
	cfg.New = func(space *search.Space, set search.Settings) (search.Searcher, error) {
		s, err := newSampler(space, set)
		if err != nil {
			return nil, err
		}
		return search.NewSamplerSearcher(s), nil
	}
	Run(t, cfg)
	cfg = cfg.withDefaults()
	for _, c := range cfg.Spaces {
		t.Run(c.Name+"/pure", func(t *testing.T) { checkPure(t, cfg, c, newSampler) })
	}
}

// checkValid runs a study (the driver checks every answer) and then that
// it did create trials and that every conditional parameter was seen both
// active and absent.
func checkValid(t testing.TB, cfg Config, c Case) {
	st := start(t, cfg, c, seedA)
	space := st.space
	st.run()
	if len(st.points) == 0 {
		t.Fatal("the study created no trial")
	}
	for i := range space.Params {
		prm := &space.Params[i]
		if len(prm.When) == 0 {
			continue
		}
		active := 0
		for _, p := range st.points {
			if !p[i].IsAbsent() {
				active++
			}
		}
		if active == 0 || active == len(st.points) {
			t.Errorf("conditional parameter %q active in %d of %d trials; want some of each", prm.Name, active, len(st.points))
		}
	}
}

func checkSameSeed(t testing.TB, cfg Config, c Case) {
	a := start(t, cfg, c, seedA)
	a.run()
	b := start(t, cfg, c, seedA)
	b.run()
	if len(a.trace) != len(b.trace) {
		t.Fatalf("same seed: %d calls, then %d", len(a.trace), len(b.trace))
	}
	for i := range a.trace {
		if a.trace[i] != b.trace[i] {
			t.Fatalf("same seed, call %d differs:\n %s\n %s", i, a.trace[i], b.trace[i])
		}
	}
}

func checkSeedsDiffer(t testing.TB, cfg Config, c Case) {
	a := start(t, cfg, c, seedA)
	a.run()
	b := start(t, cfg, c, seedB)
	b.run()
	if keys(a.points) == keys(b.points) {
		t.Fatalf("seeds %d and %d created the same %d points", seedA, seedB, len(a.points))
	}
}

// checkSnapshot restores a fresh searcher from the snapshot before every
// call and checks that it answers exactly as the original.
func checkSnapshot(t testing.TB, cfg Config, c Case) {
	st := start(t, cfg, c, seedA)
	st.checkSnapshot = true
	st.run()
}

// checkDuplicates observes every event a second time (on a restored twin)
// and checks that it answers exactly like Next.
func checkDuplicates(t testing.TB, cfg Config, c Case) {
	st := start(t, cfg, c, seedA)
	st.checkDuplicate = true
	st.run()
}

// checkQueued gives the study configurations users queued
// (Context.Queue): they are the first new trials, in order and as given,
// before any point of the algorithm's own; the study then runs to its end
// as usual (the driver checks every answer), and a searcher restored from
// its snapshot answers alike.
func checkQueued(t testing.TB, cfg Config, c Case) {
	st := start(t, cfg, c, seedA)
	rng := rand.New(rand.NewPCG(11, 12))
	for range 5 {
		u := make([]float64, st.space.Dim())
		for i := range u {
			u[i] = rng.Float64()
		}
		p := st.space.Decode(u)
		if err := st.space.Check(p); err != nil {
			t.Fatalf("queued point: %v", err)
		}
		st.queue = append(st.queue, p)
	}
	want := append([]search.Point(nil), st.queue...)
	st.checkSnapshot = true
	st.run()
	if len(st.queue) != 0 {
		t.Fatalf("%d of %d queued configurations never ran", len(st.queue), len(want))
	}
	if len(st.points) < len(want) {
		t.Fatalf("%d trials, fewer than the %d queued", len(st.points), len(want))
	}
	for i, p := range want {
		if !st.points[i].Equal(p) {
			t.Fatalf("new trial %d has point %s, want the queued %s", i, st.points[i].Key(), p.Key())
		}
	}
}

func keys(ps []search.Point) string {
	s := ""
	for _, p := range ps {
		s += p.Key() + "\n"
	}
	return s
}

// checkPure: from a history with pending, complete and failed trials, the
// sampler gives the same point for the same rng state (also from a second
// instance), uses the rng alike, and leaves the history as it was.
func checkPure(t testing.TB, cfg Config, c Case, newSampler func(*search.Space, search.Settings) (search.Sampler, error)) {
	st := start(t, cfg, c, seedA)
	space, set := st.space, st.set
	st.cfg.Trials = cfg.Slots * 3
	st.run()
	// Leave a few trials pending, as a running study has.
	for i := range st.h.Trials {
		if i%3 == 0 {
			st.h.Trials[i].Status = search.Pending
		}
	}
	before := history(st.h)
	var got []string
	for n := 0; n < 2; n++ {
		s, err := newSampler(space, set)
		if err != nil {
			t.Fatalf("new sampler: %v", err)
		}
		for rep := 0; rep < 2; rep++ {
			rng := rand.New(rand.NewPCG(11, 12))
			p, err := s.Sample(space, st.h, rng)
			if err != nil {
				t.Fatalf("sample: %v", err)
			}
			if err := space.Check(p); err != nil {
				t.Fatalf("sample %v: %v", space.Values(p), err)
			}
			got = append(got, fmt.Sprintf("%s rng %d", p.Key(), rng.Uint64()))
			if after := history(st.h); after != before {
				t.Fatalf("Sample changed the history:\n before %s\n after  %s", before, after)
			}
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[0] {
			t.Fatalf("same history and rng state, different results: %q then %q", got[0], got[i])
		}
	}
}

func history(h *search.History) string {
	s := fmt.Sprintf("%d trials:", h.Len())
	for _, o := range h.Trials {
		s += fmt.Sprintf(" %d/%s/%g/%s", o.ID, o.Status, o.Loss, o.Point.Key())
	}
	return s
}
