package fidelitytest

import (
	"math/rand/v2"
	"slices"

	"automl/search"
)

// save commits: the searcher's snapshot with a deep copy of the study.
func (s *Sim) save() {
	if s.crng == nil {
		return
	}
	snap, err := s.S.Snapshot()
	if err != nil {
		s.t.Fatalf("fidelitytest: snapshot: %v", err)
	}
	c := *s
	c.commit, c.S = nil, nil
	c.H = &search.History{}
	for _, o := range s.H.Trials {
		o.Curve = slices.Clone(o.Curve) // the live run appends to its own
		c.H.Add(o)
	}
	c.Jobs = make([]*Job, len(s.Jobs))
	for i, j := range s.Jobs {
		cp := *j
		c.Jobs[i] = &cp
	}
	c.Trace = append([]string(nil), s.Trace...)
	c.running = append([]int(nil), s.running...)
	c.paused = map[int]bool{}
	for id := range s.paused {
		c.paused[id] = true
	}
	state, err := s.src.MarshalBinary()
	if err != nil {
		s.t.Fatal(err)
	}
	c.src = &rand.PCG{}
	if err := c.src.UnmarshalBinary(state); err != nil {
		s.t.Fatal(err)
	}
	c.rng = rand.New(c.src)
	c.snapshot = snap
	s.commit = &c
}

// maybeKill commits after a random half of the events, and kills the
// searcher at the asked moments: the run goes back to the last commit and
// continues with a fresh searcher restored from its snapshot.
func (s *Sim) maybeKill() {
	if s.crng == nil {
		return
	}
	if s.Kills < len(s.cfg.Kills) && s.Events >= s.cfg.Kills[s.Kills] {
		kills, crng := s.Kills+1, s.crng
		c := s.commit
		fresh, err := s.cfg.New()
		if err != nil {
			s.t.Fatalf("fidelitytest: new searcher: %v", err)
		}
		if err := fresh.Restore(c.snapshot); err != nil {
			s.t.Fatalf("fidelitytest: restore after kill %d: %v", kills, err)
		}
		*s = *c
		s.S, s.commit, s.crng, s.Kills = fresh, c, crng, kills
		s.save() // the restored state is the new commit
		return
	}
	if s.crng.IntN(2) == 0 {
		s.save()
	}
}
