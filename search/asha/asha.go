// Package asha is asynchronous successive halving (Li et al. 2020,
// algorithm name "asha"), promotion-based: a trial trains to its rung and
// pauses there with a checkpoint; whenever a slot is free, the searcher
// promotes a paused trial that ranks in the top 1/eta of its rung (looking
// from the highest rung down) and otherwise starts a new configuration at
// the bottom rung. With several objectives or constraints, a rung ranks
// its results by non-dominated sorting and crowding distance instead
// (MO-ASHA, fidelity.Order). A promotion is a new job for the same trial over
// Span{rung, next rung}, resumed from its checkpoint on any worker.
//
// Rungs are min_resource*eta^k up to max_resource (the top rung). With
// `brackets: b`, new trials are spread over b ladders starting at
// min_resource*eta^j (j < b; asynchronous Hyperband), in proportion to
// Hyperband's bracket sizes. New configurations come from any registered
// sampler (`sampler:`). The default is BOHB's TPE (fidelity.ModelTPE):
// fitted to the largest rung with min_points results, random until a rung
// has them, and random for a third of the configurations after. Optuna,
// too, pairs its pruners with TPE, and on wine_quality random sampling
// rarely trains a configuration from the small good region fully
// (bench/multifidelity). `sampler: random` is the paper's ASHA. The rung
// machinery is search/fidelity.
package asha

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"automl/search"
	"automl/search/fidelity"
)

// Config is an ASHA searcher's settings.
type Config struct {
	Options  fidelity.Options
	Proposer fidelity.Proposer
}

// Searcher is an ASHA searcher. It implements search.Searcher and
// fidelity.Stepper.
type Searcher struct {
	cfg     Config
	ladders [][]float64 // rung resources of each bracket
	weights []float64   // share of new trials per bracket

	ledger    *fidelity.Ledger
	exhausted bool
	done      bool

	// Derived from the ledger (rebuilt on Restore, not snapshotted).
	rungs [][]rungIndex // per bracket, per rung
	count []int         // trials per bracket
	// goals: the results carry several objectives or constraints, so
	// rungs rank by Pareto rank and crowding (candidateMO).
	goals bool
}

// rungIndex orders a rung's results so a promotion decision costs
// O(log n): all results, and those of trials paused there, best first.
type rungIndex struct {
	all, paused []entry
	// ordered is all by Pareto rank and crowding, for a study of several
	// objectives or constraints (candidateMO): built when needed, dropped
	// when a result arrives.
	ordered []*fidelity.Trial
}

type entry struct {
	loss float64
	id   int
}

func (a entry) less(b entry) bool { return a.loss < b.loss || (a.loss == b.loss && a.id < b.id) }

func insert(xs []entry, e entry) []entry {
	i := sort.Search(len(xs), func(i int) bool { return !xs[i].less(e) })
	return slices.Insert(xs, i, e)
}

func remove(xs []entry, e entry) []entry {
	i := sort.Search(len(xs), func(i int) bool { return !xs[i].less(e) })
	if i < len(xs) && xs[i] == e {
		return slices.Delete(xs, i, i+1)
	}
	return xs
}

// New builds an ASHA searcher.
func New(cfg Config) (*Searcher, error) {
	o := cfg.Options
	if cfg.Proposer.Sampler == nil {
		return nil, errors.New("asha: no sampler")
	}
	if err := o.Check(true); err != nil {
		return nil, fmt.Errorf("asha: %w", err)
	}
	nb := max(1, o.Brackets)
	s := &Searcher{cfg: cfg, ledger: fidelity.NewLedger()}
	total := 0.0
	for b := 0; b < nb; b++ {
		l := fidelity.Rungs(o.MinResource*math.Pow(float64(o.Eta), float64(b)), o.MaxResource, o.Eta)
		// Hyperband's n_s: eta^s/(s+1) configurations for a bracket of s halvings.
		w := math.Pow(float64(o.Eta), float64(len(l)-1)) / float64(len(l))
		s.ladders = append(s.ladders, l)
		s.weights = append(s.weights, w)
		total += w
	}
	for i := range s.weights {
		s.weights[i] /= total
	}
	s.reindex()
	return s, nil
}

// Rungs returns the rung resources of bracket b.
func (s *Searcher) Rungs(b int) []float64 { return s.ladders[b] }

func (s *Searcher) Start(c search.Context) ([]search.Action, error) {
	return s.Step(c, fidelity.CapacityOf(c), nil)
}

func (s *Searcher) Observe(c search.Context, ev search.Event) ([]search.Action, error) {
	return s.Step(c, fidelity.CapacityOf(c), &ev)
}

func (s *Searcher) Next(c search.Context) ([]search.Action, error) {
	return s.Step(c, fidelity.CapacityOf(c), nil)
}

// Step applies ev (if any) and fills the capacity: promotions first, then
// new configurations.
func (s *Searcher) Step(c search.Context, k fidelity.Capacity, ev *search.Event) ([]search.Action, error) {
	if ev != nil && ev.Kind == search.Exited {
		if t, ok := s.ledger.Get(ev.ID); ok {
			l := s.ladders[t.Bracket]
			if _, ok := s.ledger.Exit(c.History, *ev, l[t.Rung], t.Rung == len(l)-1); ok {
				s.noteResult(t)
			}
		}
	}
	if s.done {
		return []search.Action{{Kind: search.Done, Reason: s.reason()}}, nil
	}
	jobs := k.Jobs
	var acts []search.Action
	for ; jobs > 0; jobs-- {
		t := s.candidate(c.History)
		if t == nil {
			break
		}
		ri := &s.rungs[t.Bracket][t.Rung]
		ri.paused = remove(ri.paused, entry{t.Loss[t.Rung], t.ID})
		s.ledger.Promote(t)
		l := s.ladders[t.Bracket]
		acts = append(acts, search.Action{Kind: search.Create, ID: t.ID, Span: span(l, t.Rung)})
	}
	fresh := min(jobs, k.New)
	if s.exhausted {
		fresh = 0
	}
	slots := s.assign(fresh)
	points, err := s.cfg.Proposer.Propose(c, s.ledger, len(slots))
	switch {
	case errors.Is(err, search.ErrExhausted):
		s.exhausted = true
	case err != nil:
		return nil, fmt.Errorf("asha: %w", err)
	}
	for i, p := range points {
		id := c.NewID()
		s.ledger.Add(id, slots[i])
		s.count[slots[i]]++
		acts = append(acts, search.Action{Kind: search.Create, ID: id, Point: p, Span: span(s.ladders[slots[i]], 0)})
	}
	if s.exhausted && !s.running() && s.candidate(c.History) == nil {
		s.done = true
		acts = append(acts, search.Action{Kind: search.Done, Reason: s.reason()})
	}
	return acts, nil
}

// candidate is the trial to promote next (Li et al. 2020, Algorithm 2,
// get_job): in each bracket, from the highest rung below the top down, the
// best paused trial if it ranks in the top floor(n/eta) of the n results
// at that rung (if the best paused one does not, none does). Nil when no
// rung has one.
func (s *Searcher) candidate(h *search.History) *fidelity.Trial {
	for b, l := range s.ladders {
		for k := len(l) - 2; k >= 0; k-- {
			ri := &s.rungs[b][k]
			if s.goals {
				if t := s.candidateMO(h, ri, k); t != nil {
					return t
				}
				continue
			}
			for len(ri.paused) > 0 {
				e := ri.paused[0]
				rank := sort.Search(len(ri.all), func(i int) bool { return !ri.all[i].less(e) })
				if rank >= len(ri.all)/s.cfg.Options.Eta {
					break
				}
				t, _ := s.ledger.Get(e.id)
				if s.ledger.Promotable(h, t) {
					return t
				}
				ri.paused = ri.paused[1:] // ended by the scheduler meanwhile
			}
		}
	}
	return nil
}

// candidateMO is candidate's choice at rung k of a study of several
// objectives or with constraints (MO-ASHA): the rung's results ordered by
// Pareto rank and crowding distance (fidelity.Order), and in the top
// floor(n/eta) of them, the first paused one.
func (s *Searcher) candidateMO(h *search.History, ri *rungIndex, k int) *fidelity.Trial {
	if len(ri.paused) == 0 {
		return nil
	}
	if ri.ordered == nil {
		ri.ordered = make([]*fidelity.Trial, len(ri.all))
		for i, e := range ri.all {
			ri.ordered[i], _ = s.ledger.Get(e.id)
		}
		fidelity.Order(ri.ordered, k)
	}
	for _, t := range ri.ordered[:len(ri.ordered)/s.cfg.Options.Eta] {
		if t.Rung == k && t.Phase == fidelity.Paused && s.ledger.Promotable(h, t) {
			return t
		}
	}
	return nil
}

// noteResult indexes a trial's exit at its rung.
func (s *Searcher) noteResult(t *fidelity.Trial) {
	if len(t.Loss) <= t.Rung {
		return // no result (failed, pruned)
	}
	ri := &s.rungs[t.Bracket][t.Rung]
	e := entry{t.Loss[t.Rung], t.ID}
	s.goals = s.goals || len(t.Goals) > t.Rung && t.Goals[t.Rung] != nil
	ri.all = insert(ri.all, e)
	ri.ordered = nil
	if t.Phase == fidelity.Paused {
		ri.paused = insert(ri.paused, e)
	}
}

// reindex rebuilds the derived state from the ledger.
func (s *Searcher) reindex() {
	s.rungs = make([][]rungIndex, len(s.ladders))
	for b, l := range s.ladders {
		s.rungs[b] = make([]rungIndex, len(l))
	}
	s.count = make([]int, len(s.ladders))
	s.goals = false
	for _, t := range s.ledger.Trials() {
		s.count[t.Bracket]++
		for _, g := range t.Goals {
			s.goals = s.goals || g != nil
		}
		for k, loss := range t.Loss {
			s.rungs[t.Bracket][k].all = append(s.rungs[t.Bracket][k].all, entry{loss, t.ID})
		}
		if t.Phase == fidelity.Paused && len(t.Loss) == t.Rung+1 {
			s.rungs[t.Bracket][t.Rung].paused = append(s.rungs[t.Bracket][t.Rung].paused, entry{t.Loss[t.Rung], t.ID})
		}
	}
	for b := range s.rungs {
		for k := range s.rungs[b] {
			ri := &s.rungs[b][k]
			for _, xs := range [][]entry{ri.all, ri.paused} {
				sort.Slice(xs, func(i, j int) bool { return xs[i].less(xs[j]) })
			}
		}
	}
}

// assign picks the bracket of each of n new trials by smooth weighted
// round robin over the trials each bracket has, so the split follows the
// weights without randomness.
func (s *Searcher) assign(n int) []int {
	if n <= 0 {
		return nil
	}
	count := slices.Clone(s.count)
	total := s.ledger.Len()
	out := make([]int, n)
	for i := range out {
		best, bestScore := 0, math.Inf(-1)
		for b, w := range s.weights {
			if score := w*float64(total+1) - float64(count[b]); score > bestScore+1e-12 {
				best, bestScore = b, score
			}
		}
		out[i] = best
		count[best]++
		total++
	}
	return out
}

func (s *Searcher) running() bool {
	for _, t := range s.ledger.Trials() {
		if t.Phase == fidelity.Running {
			return true
		}
	}
	return false
}

func (s *Searcher) reason() string { return "asha: " + search.ErrExhausted.Error() }

type snapshot struct {
	Version   int              `json:"v"`
	Ledger    *fidelity.Ledger `json:"trials"`
	Exhausted bool             `json:"exhausted,omitempty"`
	Done      bool             `json:"done,omitempty"`
}

const snapshotVersion = 1

func (s *Searcher) Snapshot() ([]byte, error) {
	return json.Marshal(snapshot{Version: snapshotVersion, Ledger: s.ledger, Exhausted: s.exhausted, Done: s.done})
}

func (s *Searcher) Restore(b []byte) error {
	snap := snapshot{Ledger: fidelity.NewLedger()}
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("restore asha: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("restore asha: unknown snapshot version %d", snap.Version)
	}
	for _, t := range snap.Ledger.Trials() {
		if t.Bracket < 0 || t.Bracket >= len(s.ladders) || t.Rung < 0 || t.Rung >= len(s.ladders[t.Bracket]) || len(t.Loss) > t.Rung+1 {
			return fmt.Errorf("restore asha: trial %d does not fit the rungs (options changed?)", t.ID)
		}
	}
	s.ledger, s.exhausted, s.done = snap.Ledger, snap.Exhausted, snap.Done
	s.reindex()
	return nil
}

// span is the job that trains a trial to rung i of a ladder; below the top
// rung it pauses there for a promotion.
func span(l []float64, i int) search.Span {
	sp := search.Span{To: l[i], Pause: i < len(l)-1}
	if i > 0 {
		sp.From = l[i-1]
	}
	return sp
}
