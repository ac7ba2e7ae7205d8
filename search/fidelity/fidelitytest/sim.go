package fidelitytest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"automl/search"
	"automl/search/fidelity"
)

// Config sets up a simulated study.
type Config struct {
	// Slots is how many jobs run at once (default 4).
	Slots int
	// Trials is the budget of new trials (0: unlimited).
	Trials int
	// MaxResource is the full budget: a job whose Span.To is below it
	// pauses at its end; a zero Span.To trains to MaxResource.
	MaxResource float64
	// Jobs gives the searcher the free slots apart from the trial budget
	// (fidelity.Capacity{Jobs: free, New: min(free, trials left)}, through
	// fidelity.Stepper), the scheduler semantics the fidelity package doc
	// proposes; a searcher that is not a Stepper gets Want = New. Otherwise every call gets today's Want = min(free, trials
	// left) and a promotion needs trial budget left.
	Jobs bool
	// Curve gives the losses (default Curve).
	Curve func(space *search.Space, p search.Point, r float64) float64
	// Fail makes every job of a trial fail at its first unit.
	Fail func(id int) bool
	// Seed seeds the study rng.
	Seed uint64
	// MaxEvents bounds the run (default 1e6).
	MaxEvents int
	// New builds a fresh searcher, for kills.
	New func() (search.Searcher, error)
	// Kills lists event counts (ascending) after which the searcher is
	// killed and the run rolls back to its last commit. Commits happen
	// after a random half of the events (CommitSeed).
	Kills      []int
	CommitSeed uint64
	// Before sees each call's actions before they are applied.
	Before func(s *Sim, acts []search.Action)
	// OnEvent sees each event before the searcher does.
	OnEvent func(s *Sim, ev search.Event)
	// MaxResourceTotal bounds the resource the study trains, as the
	// fidelity package doc proposes for budget.max_resource_total: each
	// job reserves its span when it starts (and counts what it trained
	// once it ends), and no job starts once used + reserved reaches the
	// bound; running jobs finish. Zero: no bound.
	MaxResourceTotal float64
}

// Job is one job of a trial: its first span or a promotion.
type Job struct {
	ID        int
	Span      search.Span
	Promotion bool
	// Step is the resource reached, Loss the value there (HasLoss once it
	// reported), Status how it exited (0 while it runs).
	Step    float64
	Loss    float64
	HasLoss bool
	Status  search.Status
	// Reason is the Stop's reason when the searcher stopped it.
	Reason string

	next float64 // virtual time of its next event
	stop bool
}

// TB is the part of testing.TB a simulation uses, so programs (benchmark
// scripts) can run one too.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Failed() bool
}

// Sim is a simulated study around one searcher.
type Sim struct {
	t     TB
	cfg   Config
	Space *search.Space
	S     search.Searcher
	H     *search.History
	// Jobs is every job in start order; Trace every call and its actions.
	Jobs  []*Job
	Trace []string
	// Done is set when the searcher said Done, with its Reason.
	Done   bool
	Reason string
	// Events counts the events delivered (after rollbacks, the replayed
	// count); Kills counts the kills done.
	Events, Kills int

	src     *rand.PCG
	rng     *rand.Rand
	nextID  int
	created int
	now     float64
	running []int // indexes into Jobs
	// trained is the resource finished jobs trained; reserved the spans of running ones.
	trained, reserved float64
	paused            map[int]bool

	commit   *Sim // the last commit (a deep copy), when kills are asked for
	snapshot []byte
	crng     *rand.Rand
}

// Run simulates a study to its end: Done, or nothing running and the
// searcher creating nothing more (or no capacity left).
func Run(t TB, space *search.Space, s search.Searcher, cfg Config) *Sim {
	t.Helper()
	if cfg.Slots <= 0 {
		cfg.Slots = 4
	}
	if cfg.Curve == nil {
		cfg.Curve = Curve
	}
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = 1_000_000
	}
	if cfg.MaxResource <= 0 {
		t.Fatal("fidelitytest: Config.MaxResource must be > 0")
	}
	src := rand.NewPCG(cfg.Seed, 0x66696465)
	sim := &Sim{t: t, cfg: cfg, Space: space, S: s, H: &search.History{}, src: src, rng: rand.New(src), paused: map[int]bool{}}
	if len(cfg.Kills) > 0 {
		if cfg.New == nil {
			t.Fatal("fidelitytest: Kills need Config.New")
		}
		sim.crng = rand.New(rand.NewPCG(cfg.CommitSeed, 1))
	}
	sim.run()
	return sim
}

func (s *Sim) run() {
	s.call(nil, true)
	s.save()
	for !s.t.Failed() {
		if s.Events > s.cfg.MaxEvents {
			s.t.Fatalf("fidelitytest: no end after %d events", s.cfg.MaxEvents)
		}
		if len(s.running) == 0 {
			if s.Done || s.capacity().Jobs == 0 {
				return
			}
			n := len(s.Jobs)
			s.call(nil, false)
			if len(s.Jobs) == n {
				return // idle: nothing runs and nothing more is asked for
			}
			continue
		}
		ev := s.advance(s.earliest())
		if s.cfg.OnEvent != nil {
			s.cfg.OnEvent(s, ev)
		}
		s.call(&ev, false)
		if !s.Done && s.capacity().Jobs > 0 {
			s.call(nil, false) // the scheduler's Next at the end of a step
		}
		s.Events++
		s.maybeKill()
	}
}

// capacity is the scheduler's: free slots, within the trial budget for new ones.
func (s *Sim) capacity() fidelity.Capacity {
	free := s.cfg.Slots - len(s.running)
	left := math.MaxInt32
	if s.cfg.Trials > 0 {
		left = s.cfg.Trials - s.created
	}
	k := fidelity.Capacity{Jobs: max(0, free), New: max(0, min(free, left))}
	if !s.cfg.Jobs {
		k.Jobs = k.New
	}
	if s.Done || (s.cfg.MaxResourceTotal > 0 && s.committed() >= s.cfg.MaxResourceTotal) {
		k = fidelity.Capacity{}
	}
	return k
}

func (s *Sim) context(k fidelity.Capacity) search.Context {
	return search.Context{
		Space: s.Space, History: s.H, Rng: s.rng, Want: k.New,
		NewID: func() int { id := s.nextID; s.nextID++; return id },
	}
}

func (s *Sim) call(ev *search.Event, start bool) {
	s.t.Helper()
	k := s.capacity()
	c := s.context(k)
	var acts []search.Action
	var err error
	switch st, ok := s.S.(fidelity.Stepper); {
	case s.cfg.Jobs && ok:
		acts, err = st.Step(c, k, ev)
	case start: // a single-fidelity searcher needs only Want (new trials)
		acts, err = s.S.Start(c)
	case ev != nil:
		acts, err = s.S.Observe(c, *ev)
	default:
		acts, err = s.S.Next(c)
	}
	if err != nil {
		s.t.Fatalf("fidelitytest: call %d (%s): %v", len(s.Trace), describe(ev), err)
	}
	if s.cfg.Before != nil {
		s.cfg.Before(s, acts)
	}
	s.Trace = append(s.Trace, describe(ev)+" -> "+format(acts))
	s.apply(acts, k)
}

func (s *Sim) apply(acts []search.Action, k fidelity.Capacity) {
	creates, fresh := 0, 0
	for _, a := range acts {
		switch a.Kind {
		case search.Create:
			creates++
			if o, ok := s.H.Get(a.ID); ok {
				if !s.paused[a.ID] {
					s.t.Fatalf("fidelitytest: Create %d continues a trial that is not paused (status %s)", a.ID, o.Status)
				}
				delete(s.paused, a.ID)
				o.Status = search.Pending
				s.start(a.ID, a.Span, true)
				continue
			}
			fresh++
			if err := s.Space.Check(a.Point); err != nil {
				s.t.Fatalf("fidelitytest: Create %d: %v", a.ID, err)
			}
			s.H.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
			s.created++
			s.start(a.ID, a.Span, false)
		case search.Stop:
			for _, i := range s.running {
				if j := s.Jobs[i]; j.ID == a.ID {
					j.stop, j.Reason = true, a.Reason
				}
			}
		case search.Done:
			s.Done, s.Reason = true, a.Reason
		}
	}
	if creates > k.Jobs || fresh > k.New {
		s.t.Fatalf("fidelitytest: %d jobs (%d new trials) in one call; capacity was %+v", creates, fresh, k)
	}
}

func (s *Sim) start(id int, span search.Span, promotion bool) {
	if span.To == 0 {
		span.To = s.cfg.MaxResource
	}
	j := &Job{ID: id, Span: span, Promotion: promotion, Step: span.From, next: s.now + speed(id)}
	s.Jobs = append(s.Jobs, j)
	s.running = append(s.running, len(s.Jobs)-1)
	s.reserved += span.To - span.From
}

// speed is a trial's time per unit of resource: trials differ, so jobs end
// out of order.
func speed(id int) float64 { return 1 + float64((id*7919)%13)/13 }

func (s *Sim) earliest() int {
	best := 0
	for k, i := range s.running {
		a, b := s.Jobs[i], s.Jobs[s.running[best]]
		if a.next < b.next || (a.next == b.next && a.ID < b.ID) {
			best = k
		}
	}
	return best
}

// advance makes running job k's next event.
func (s *Sim) advance(k int) search.Event {
	j := s.Jobs[s.running[k]]
	s.now = j.next
	o, _ := s.H.Get(j.ID)
	switch {
	case j.stop:
		return s.exit(k, search.Pruned)
	case s.cfg.Fail != nil && s.cfg.Fail(j.ID):
		j.HasLoss = false
		return s.exit(k, search.Failed)
	case j.Step < j.Span.To:
		j.Step = math.Min(j.Step+1, j.Span.To)
		j.Loss, j.HasLoss = s.cfg.Curve(s.Space, o.Point, j.Step), true
		o.Resource = j.Step
		// The scheduler keeps every report in the trial's curve (searchers
		// such as median read curves there, not from their snapshots).
		o.Curve = append(o.Curve, search.CurvePoint{Step: j.Step, Loss: j.Loss})
		if j.Step < j.Span.To {
			j.next += speed(j.ID)
		}
		return search.Event{Kind: search.Reported, ID: j.ID, Step: j.Step, Loss: j.Loss, HasLoss: true}
	}
	return s.exit(k, search.Complete)
}

func (s *Sim) exit(k int, st search.Status) search.Event {
	j := s.Jobs[s.running[k]]
	s.running = append(s.running[:k], s.running[k+1:]...)
	j.Status = st
	s.reserved -= j.Span.To - j.Span.From
	s.trained += j.Step - j.Span.From
	o, _ := s.H.Get(j.ID)
	o.Status, o.Loss, o.HasLoss, o.Resource = st, j.Loss, j.HasLoss, j.Step
	if st == search.Complete && j.Span.To < s.cfg.MaxResource {
		s.paused[j.ID] = true
	}
	return search.Event{Kind: search.Exited, ID: j.ID, Step: j.Step, Loss: j.Loss, HasLoss: j.HasLoss, Status: st}
}

// Leaderboard is every trial, best first: status, resource reached, loss,
// id and point, one per line.
func (s *Sim) Leaderboard() string {
	obs := append([]search.Observation(nil), s.H.Trials...)
	sort.SliceStable(obs, func(a, b int) bool {
		x, y := obs[a], obs[b]
		if x.Status != y.Status {
			return x.Status < y.Status
		}
		if x.Resource != y.Resource {
			return x.Resource > y.Resource
		}
		if x.Loss != y.Loss {
			return x.Loss < y.Loss
		}
		return x.ID < y.ID
	})
	var b strings.Builder
	for _, o := range obs {
		fmt.Fprintf(&b, "%s r=%g loss=%.6g id=%d %s\n", o.Status, o.Resource, o.Loss, o.ID, o.Point.Key())
	}
	return b.String()
}

// Best is the lowest loss any job reached at the full budget.
func (s *Sim) Best() (float64, bool) {
	best, ok := math.Inf(1), false
	for _, j := range s.Jobs {
		if j.Status == search.Complete && j.Step >= s.cfg.MaxResource && j.Loss < best {
			best, ok = j.Loss, true
		}
	}
	return best, ok
}

// committed is the resource trained by finished jobs plus the spans of
// running ones.
func (s *Sim) committed() float64 { return s.trained + s.reserved }

// ResourceUsed is the total resource the jobs trained.
func (s *Sim) ResourceUsed() float64 {
	total := 0.0
	for _, j := range s.Jobs {
		total += j.Step - j.Span.From
	}
	return total
}

func describe(ev *search.Event) string {
	if ev == nil {
		return "next"
	}
	if ev.Kind == search.Reported {
		return fmt.Sprintf("reported{%d @%g %.6g}", ev.ID, ev.Step, ev.Loss)
	}
	return fmt.Sprintf("exited{%d @%g %s %.6g}", ev.ID, ev.Step, ev.Status, ev.Loss)
}

func format(acts []search.Action) string {
	parts := make([]string, len(acts))
	for i, a := range acts {
		switch a.Kind {
		case search.Create:
			parts[i] = fmt.Sprintf("create %d %g..%g %s", a.ID, a.Span.From, a.Span.To, a.Point.Key())
		case search.Stop:
			parts[i] = fmt.Sprintf("stop %d", a.ID)
		case search.Done:
			parts[i] = "done: " + a.Reason
		}
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
