// Package hyperband is Hyperband (Li et al. 2018, algorithm name
// "hyperband"): synchronous successive halving in brackets of different
// aggressiveness. Bracket s trains n configurations to max*eta^-s, keeps
// the best n/eta of them and trains those eta times longer, and so on up
// to max_resource; the brackets run s = s_max down to 0 and then start
// over (or stop after `cycles` passes).
//
// A rung is synchronous: its survivors are chosen once every member has a
// result, and each survivor is promoted (the same trial, resumed from its
// checkpoint over Span{rung, next rung}). While a bracket waits for its
// slowest member, free slots go to the next bracket, so workers stay busy.
// New configurations come from any registered sampler (`sampler:`,
// default random); search/bohb is this searcher with TPE per budget.
// The rung machinery is search/fidelity.
package hyperband

import (
	"encoding/json"
	"errors"
	"fmt"

	"automl/search"
	"automl/search/fidelity"
)

// Config is a Hyperband searcher's settings.
type Config struct {
	// Name is the algorithm's name in messages (default "hyperband").
	Name    string
	Options fidelity.Options
	// Cycles is how many passes over the brackets to run; 0 repeats until
	// the study's budget ends it.
	Cycles int
	// Proposer draws new configurations.
	Proposer fidelity.Proposer
}

// Searcher is a Hyperband searcher. It implements search.Searcher and
// fidelity.Stepper.
type Searcher struct {
	cfg  Config
	plan []fidelity.Bracket // one cycle, in the order brackets open

	ledger    *fidelity.Ledger
	active    []*bracket // open brackets, in opening order
	opened    int        // brackets opened so far
	exhausted bool       // the sampler ran out of points
	done      bool
}

// bracket is an open bracket: which one of the plan, its rung sizes (as
// planned, or shrunk when the trial budget closed it early), and its
// current rung's members.
type bracket struct {
	Index   int   `json:"i"` // opening order; plan[Index % len(plan)], cycle Index / len(plan)
	N       []int `json:"n"`
	Rung    int   `json:"rung"`
	Members []int `json:"m"`
	Sent    int   `json:"sent"` // members of the current rung dispatched so far
}

// New builds a Hyperband searcher.
func New(cfg Config) (*Searcher, error) {
	o := cfg.Options
	if cfg.Proposer.Sampler == nil {
		return nil, errors.New("hyperband: no sampler")
	}
	if err := o.Check(true); err != nil {
		return nil, fmt.Errorf("hyperband: %w", err)
	}
	if cfg.Name == "" {
		cfg.Name = "hyperband"
	}
	plan := fidelity.Hyperband(o.MinResource, o.MaxResource, o.Eta)
	if o.Brackets > 0 && o.Brackets < len(plan) {
		plan = plan[:o.Brackets]
	}
	return &Searcher{cfg: cfg, plan: plan, ledger: fidelity.NewLedger()}, nil
}

// Plan returns the brackets of one cycle, in the order they open.
func (s *Searcher) Plan() []fidelity.Bracket { return s.plan }

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
// new configurations for the oldest bracket that still takes some,
// opening the next bracket when none does.
func (s *Searcher) Step(c search.Context, k fidelity.Capacity, ev *search.Event) ([]search.Action, error) {
	if ev != nil && ev.Kind == search.Exited {
		s.exit(c, *ev)
	}
	return s.fill(c, k)
}

func (s *Searcher) planOf(b *bracket) fidelity.Bracket { return s.plan[b.Index%len(s.plan)] }

func (s *Searcher) find(index int) *bracket {
	for _, b := range s.active {
		if b.Index == index {
			return b
		}
	}
	return nil
}

// exit records a job's result and advances its bracket.
func (s *Searcher) exit(c search.Context, ev search.Event) {
	t, ok := s.ledger.Get(ev.ID)
	if !ok {
		return
	}
	b := s.find(t.Bracket)
	if b == nil {
		return
	}
	r := s.planOf(b).R
	if _, ok := s.ledger.Exit(c.History, ev, r[t.Rung], t.Rung == len(r)-1); ok {
		s.advance(b)
	}
}

// advance closes the current rung of b once every member is back: the best
// N[rung+1] promotable members form the next rung; after the top rung (or
// when nobody can go on) the bracket is finished.
func (s *Searcher) advance(b *bracket) {
	if b.Sent < len(b.Members) || (b.Rung == 0 && len(b.Members) < b.N[0]) {
		return
	}
	for _, id := range b.Members {
		if t, _ := s.ledger.Get(id); t.Phase == fidelity.Running {
			return
		}
	}
	var next []int
	if b.Rung+1 < len(b.N) {
		var ranked []*fidelity.Trial
		for _, id := range b.Members {
			if t, _ := s.ledger.Get(id); t.Phase == fidelity.Paused {
				ranked = append(ranked, t)
			}
		}
		fidelity.Order(ranked, b.Rung) // by loss, or by Pareto rank and crowding (several objectives, constraints)
		for _, t := range ranked[:min(len(ranked), b.N[b.Rung+1])] {
			next = append(next, t.ID)
		}
	}
	if len(next) == 0 {
		s.remove(b)
		return
	}
	b.Rung++
	b.Members, b.Sent = next, 0
}

func (s *Searcher) remove(b *bracket) {
	for i, a := range s.active {
		if a == b {
			s.active = append(s.active[:i], s.active[i+1:]...)
			return
		}
	}
}

// closeOpen shrinks every bracket still filling its first rung to the
// trials it has, when no new trial can come (the trial budget is used or
// the sampler ran dry), so its members still go up the rungs: later rungs
// keep their planned proportion of the first, at least one trial.
func (s *Searcher) closeOpen() {
	for _, b := range append([]*bracket(nil), s.active...) {
		if b.Rung != 0 || len(b.Members) >= b.N[0] {
			continue
		}
		m, n0 := len(b.Members), b.N[0]
		b.N[0] = m
		for i := 1; i < len(b.N); i++ {
			b.N[i] = min(max(1, b.N[i]*m/n0), b.N[i-1])
		}
		if m == 0 {
			s.remove(b)
			continue
		}
		s.advance(b)
	}
}

func (s *Searcher) cyclesDone() bool {
	return s.cfg.Cycles > 0 && s.opened >= s.cfg.Cycles*len(s.plan)
}

func (s *Searcher) fill(c search.Context, k fidelity.Capacity) ([]search.Action, error) {
	if s.done {
		return []search.Action{{Kind: search.Done, Reason: s.reason()}}, nil
	}
	if k.Exhausted() || s.exhausted {
		s.closeOpen()
	}
	jobs := k.Jobs
	var acts []search.Action
	for _, b := range append([]*bracket(nil), s.active...) {
		r := s.planOf(b).R
		for jobs > 0 && b.Rung > 0 && b.Sent < len(b.Members) {
			t, _ := s.ledger.Get(b.Members[b.Sent])
			b.Sent++
			if !s.ledger.Promotable(c.History, t) {
				// Ended by the scheduler while it waited: the rung may
				// now be complete without it.
				s.advance(b)
				continue
			}
			s.ledger.Promote(t)
			acts = append(acts, search.Action{Kind: search.Create, ID: t.ID, Span: span(r, b.Rung)})
			jobs--
		}
	}
	fresh := min(jobs, k.New)
	if s.exhausted {
		fresh = 0
	}
	var slots []*bracket // the bracket of each new configuration
	for len(slots) < fresh {
		b := s.openBracket(slots)
		if b == nil {
			break
		}
		slots = append(slots, b)
	}
	points, err := s.cfg.Proposer.Propose(c, s.ledger, len(slots))
	switch {
	case errors.Is(err, search.ErrExhausted):
		s.exhausted = true
	case err != nil:
		return nil, fmt.Errorf("%s: %w", s.cfg.Name, err)
	}
	for i, p := range points {
		b := slots[i]
		id := c.NewID()
		s.ledger.Add(id, b.Index)
		b.Members = append(b.Members, id)
		b.Sent++
		acts = append(acts, search.Action{Kind: search.Create, ID: id, Point: p, Span: span(s.planOf(b).R, 0)})
	}
	if s.exhausted {
		s.closeOpen()
	}
	if len(s.active) == 0 && (s.exhausted || s.cyclesDone()) {
		s.done = true
		acts = append(acts, search.Action{Kind: search.Done, Reason: s.reason()})
	}
	return acts, nil
}

// openBracket returns the oldest bracket whose first rung still takes a
// configuration (counting those already given slots in this call), opening
// the next bracket of the plan when there is none.
func (s *Searcher) openBracket(slots []*bracket) *bracket {
	for _, b := range s.active {
		if b.Rung != 0 {
			continue
		}
		taken := len(b.Members)
		for _, x := range slots {
			if x == b {
				taken++
			}
		}
		if taken < b.N[0] {
			return b
		}
	}
	if s.cyclesDone() {
		return nil
	}
	p := s.plan[s.opened%len(s.plan)]
	b := &bracket{Index: s.opened, N: append([]int(nil), p.N...)}
	s.opened++
	s.active = append(s.active, b)
	return b
}

func (s *Searcher) reason() string {
	if s.exhausted {
		return s.cfg.Name + ": " + search.ErrExhausted.Error()
	}
	return fmt.Sprintf("%s: ran %d cycle(s) of %d brackets", s.cfg.Name, s.cfg.Cycles, len(s.plan))
}

// snapshot is the searcher's state; the plan follows from the options.
type snapshot struct {
	Version   int              `json:"v"`
	Ledger    *fidelity.Ledger `json:"trials"`
	Active    []*bracket       `json:"active"`
	Opened    int              `json:"opened"`
	Exhausted bool             `json:"exhausted,omitempty"`
	Done      bool             `json:"done,omitempty"`
}

const snapshotVersion = 1

func (s *Searcher) Snapshot() ([]byte, error) {
	active := s.active
	if active == nil {
		active = []*bracket{}
	}
	return json.Marshal(snapshot{Version: snapshotVersion, Ledger: s.ledger, Active: active, Opened: s.opened, Exhausted: s.exhausted, Done: s.done})
}

func (s *Searcher) Restore(b []byte) error {
	snap := snapshot{Ledger: fidelity.NewLedger()}
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("restore hyperband: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("restore hyperband: unknown snapshot version %d", snap.Version)
	}
	for _, br := range snap.Active {
		if br == nil || br.Index < 0 || br.Index >= snap.Opened {
			return fmt.Errorf("restore hyperband: bracket %+v outside the %d opened", br, snap.Opened)
		}
		p := s.plan[br.Index%len(s.plan)]
		if len(br.N) != len(p.N) || br.Rung < 0 || br.Rung >= len(br.N) || br.Sent < 0 || br.Sent > len(br.Members) {
			return fmt.Errorf("restore hyperband: bracket %d does not fit the plan (options changed?)", br.Index)
		}
		for _, id := range br.Members {
			if _, ok := snap.Ledger.Get(id); !ok {
				return fmt.Errorf("restore hyperband: bracket %d names unknown trial %d", br.Index, id)
			}
		}
	}
	s.ledger, s.active, s.opened, s.exhausted, s.done = snap.Ledger, snap.Active, snap.Opened, snap.Exhausted, snap.Done
	return nil
}

// span is the job that trains a trial to rung i of a ladder of rung
// resources; below the top rung it pauses there for a promotion.
func span(r []float64, i int) search.Span {
	sp := search.Span{To: r[i], Pause: i < len(r)-1}
	if i > 0 {
		sp.From = r[i-1]
	}
	return sp
}
