package fidelitytest

import (
	"math/rand/v2"
	"slices"
	"testing"

	"automl/search"
)

// CheckKills runs a study uninterrupted, then again with the searcher
// killed kills times at random moments (drawn from seed) and restored from
// its last commit each time, and fails unless both runs made the same
// calls with the same answers and ended with the same leaderboard.
func CheckKills(t *testing.T, space *search.Space, newSearcher func() (search.Searcher, error), cfg Config, kills int, seed uint64) {
	t.Helper()
	s, err := newSearcher()
	if err != nil {
		t.Fatal(err)
	}
	whole := Run(t, space, s, cfg)
	if whole.Events < 2*kills {
		t.Fatalf("the study has %d events, too few for %d kills", whole.Events, kills)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	at := map[int]bool{}
	for len(at) < kills {
		at[1+rng.IntN(whole.Events-1)] = true
	}
	cfg.Kills = nil
	for e := range at {
		cfg.Kills = append(cfg.Kills, e)
	}
	slices.Sort(cfg.Kills)
	cfg.New, cfg.CommitSeed = newSearcher, seed
	s, err = newSearcher()
	if err != nil {
		t.Fatal(err)
	}
	killed := Run(t, space, s, cfg)
	if killed.Kills != kills {
		t.Fatalf("%d kills happened, want %d", killed.Kills, kills)
	}
	for i := range min(len(whole.Trace), len(killed.Trace)) {
		if whole.Trace[i] != killed.Trace[i] {
			t.Fatalf("call %d differs after kills:\n uninterrupted %s\n killed        %s", i, whole.Trace[i], killed.Trace[i])
		}
	}
	if len(whole.Trace) != len(killed.Trace) {
		t.Fatalf("uninterrupted run made %d calls, the killed one %d", len(whole.Trace), len(killed.Trace))
	}
	if a, b := whole.Leaderboard(), killed.Leaderboard(); a != b {
		t.Fatalf("leaderboards differ:\n uninterrupted\n%s\n killed\n%s", a, b)
	}
}
