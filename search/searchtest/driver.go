package searchtest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/benchfn"
)

// study simulates a scheduler around one searcher: it owns the history, the
// study rng, the id counter and the worker slots, turns actions into
// simulated jobs and jobs into events, and checks every answer.
type study struct {
	t      testing.TB
	cfg    Config
	space  *search.Space
	set    search.Settings
	s      search.Searcher
	h      *search.History
	src    *rand.PCG // the study rng's source (cloned for twins)
	rng    *rand.Rand
	nextID int
	trials int   // distinct trials created
	jobs   []job // running, in start order
	done   bool
	trace  []string // every call and its actions, for comparing runs
	points []search.Point
	queue  []search.Point // configurations users queued, not yet taken
	// checks run around each call
	checkSnapshot, checkDuplicate bool
	// imported are the ids of imported results in the history (imports.go)
	imported map[int]bool
	// importAt, when set, is called before each call: it may import results
	importAt func(call int)
	// report, when set, fills in a finished trial's goals (Case.Report)
	report func(space *search.Space, o *search.Observation)
}

type job struct {
	id       int
	span     search.Span
	reported bool
	stopped  bool
}

// newStudy builds the searcher under test for space; its rng is seeded by
// the space's algorithm seed.
func newStudy(t testing.TB, cfg Config, space *search.Space, set search.Settings) *study {
	t.Helper()
	s, err := cfg.New(space, set)
	if err != nil {
		t.Fatalf("new searcher: %v", err)
	}
	src := rand.NewPCG(set.Seed, 0x7365617263687473)
	return &study{t: t, cfg: cfg, space: space, set: set, s: s, h: &search.History{}, src: src, rng: rand.New(src)}
}

// start parses the case's space for the seed and starts a study on it.
func start(t testing.TB, cfg Config, c Case, seed uint64) *study {
	t.Helper()
	space, set := Space(t, cfg, c, seed)
	st := newStudy(t, cfg, space, set)
	st.report = c.Report
	return st
}

// want is the scheduler's free capacity: idle slots within the trial budget.
func (st *study) want() int {
	return max(0, min(st.cfg.Slots-len(st.jobs), st.cfg.Trials-st.trials))
}

func (st *study) context() search.Context {
	return search.Context{
		Space: st.space, History: st.h, Rng: st.rng, Want: st.want(),
		NewID: func() int { id := st.nextID; st.nextID++; return id },
		Queue: func() (search.Point, bool) {
			if len(st.queue) == 0 {
				return nil, false
			}
			p := st.queue[0]
			st.queue = st.queue[1:]
			return p, true
		},
	}
}

// run drives the study to its end: Start, then one event at a time from a
// job chosen by a fixed-seed "cluster" rng (so jobs finish out of order),
// until no job runs and the searcher creates nothing more.
func (st *study) run() {
	st.call(nil)
	cluster := rand.New(rand.NewPCG(7, 7))
	limit := 50 * (st.cfg.Trials + st.cfg.Slots)
	for steps := 0; !st.t.Failed(); steps++ {
		if steps > limit {
			st.t.Fatalf("study did not end after %d events", limit)
		}
		if len(st.jobs) == 0 {
			if st.done || st.want() == 0 {
				return
			}
			before := st.trials + len(st.jobs)
			st.call(nil) // Next, as a scheduler does after a resume
			if st.trials+len(st.jobs) == before && !st.done {
				st.t.Fatalf("searcher stalled: no trial running, Want = %d, and Next returned neither Create nor Done", st.want())
			}
			continue
		}
		k := cluster.IntN(len(st.jobs))
		ev := st.event(k)
		st.call(&ev)
	}
}

// event makes the next event of job k: one Reported, then Exited.
func (st *study) event(k int) search.Event {
	j := &st.jobs[k]
	o, _ := st.h.Get(j.id)
	loss := Loss(st.space, o.Point)
	step := j.span.To
	if step <= 0 {
		step = 1
	}
	if !j.reported && !j.stopped {
		j.reported = true
		mid := j.span.From + (step-j.span.From)/2
		return search.Event{Kind: search.Reported, ID: j.id, Step: mid, Loss: loss + 1/(1+mid), HasLoss: true}
	}
	ev := search.Event{Kind: search.Exited, ID: j.id, Step: step, Status: search.Complete, Loss: loss + 1/(1+step), HasLoss: true}
	switch {
	case j.stopped:
		ev.Status = search.Pruned
	case j.id%7 == 3: // a fixed share of trials fail
		ev.Status, ev.Loss, ev.HasLoss = search.Failed, 0, false
	}
	o.Status, o.Loss, o.HasLoss, o.Resource = ev.Status, ev.Loss, ev.HasLoss, step
	st.reportGoals(o)
	st.jobs = append(st.jobs[:k], st.jobs[k+1:]...)
	return ev
}

// Loss is the suite's objective: Ackley over the point's unit-cube
// coordinates mapped to [-5, 10] (inactive parameters at the centre).
func Loss(space *search.Space, p search.Point) float64 {
	u := space.Encode(p)
	x := make([]float64, len(u))
	for i, v := range u {
		if math.IsNaN(v) {
			v = 0.5
		}
		x[i] = -5 + 15*v
	}
	return benchfn.Ackley(x)
}

// invoke asks the searcher: Start, Next (ev nil after Start) or Observe.
func (st *study) invoke(ev *search.Event) ([]search.Action, error) {
	c := st.context()
	switch {
	case len(st.trace) == 0:
		return st.s.Start(c)
	case ev == nil:
		return st.s.Next(c)
	}
	return st.s.Observe(c, *ev)
}

// call makes one searcher call and applies its actions, with the snapshot
// and duplicate checks around it when enabled.
func (st *study) call(ev *search.Event) {
	st.t.Helper()
	if st.importAt != nil {
		st.importAt(len(st.trace))
	}
	var twin *study
	if st.checkSnapshot {
		twin = st.twin()
	}
	ids, want := st.nextID, st.want()
	acts, err := st.invoke(ev)
	if err != nil {
		st.t.Fatalf("call %d (%s): %v", len(st.trace), describe(ev), err)
	}
	st.trace = append(st.trace, describe(ev)+" -> "+formatActions(acts))
	st.apply(acts, ids, want)
	if twin != nil {
		tacts, err := twin.invoke(ev)
		if err != nil {
			st.t.Fatalf("restored searcher, call %d (%s): %v", len(st.trace)-1, describe(ev), err)
		}
		st.same("restored searcher", acts, tacts, st, twin)
	}
	if st.checkDuplicate && ev != nil {
		dup, next := st.twin(), st.twin()
		dacts, err := dup.s.Observe(dup.context(), *ev)
		if err != nil {
			st.t.Fatalf("duplicate %s: %v", describe(ev), err)
		}
		nacts, err := next.s.Next(next.context())
		if err != nil {
			st.t.Fatalf("Next after %s: %v", describe(ev), err)
		}
		st.same(fmt.Sprintf("duplicate %s (vs Next)", describe(ev)), nacts, dacts, next, dup)
	}
}

// same fails unless two searchers answered alike and ended in the same
// state: same actions, same snapshot, same rng state, same ids allocated.
func (st *study) same(what string, want, got []search.Action, a, b *study) {
	st.t.Helper()
	if w, g := formatActions(want), formatActions(got); w != g {
		st.t.Fatalf("%s: actions differ after call %d:\n got  %s\n want %s", what, len(st.trace)-1, g, w)
	}
	sa, sb := a.snapshot(), b.snapshot()
	if !bytes.Equal(sa, sb) {
		st.t.Fatalf("%s: snapshots differ after call %d:\n got  %s\n want %s", what, len(st.trace)-1, sb, sa)
	}
	ra, _ := a.src.MarshalBinary()
	rb, _ := b.src.MarshalBinary()
	if !bytes.Equal(ra, rb) || a.nextID != b.nextID {
		st.t.Fatalf("%s: rng state or id counter differ after call %d", what, len(st.trace)-1)
	}
}

func (st *study) snapshot() []byte {
	st.t.Helper()
	b, err := st.s.Snapshot()
	if err != nil {
		st.t.Fatalf("snapshot: %v", err)
	}
	return b
}

// twin is a copy of the study whose searcher is a fresh one restored from
// the current snapshot (checked byte-identical when re-snapshotted), with
// its own copies of the history, the rng and the id counter.
func (st *study) twin() *study {
	st.t.Helper()
	snap := st.snapshot()
	s, err := st.cfg.New(st.space, st.set)
	if err != nil {
		st.t.Fatalf("new searcher: %v", err)
	}
	if err := s.Restore(snap); err != nil {
		st.t.Fatalf("restore: %v", err)
	}
	if again, err := s.Snapshot(); err != nil || !bytes.Equal(again, snap) {
		st.t.Fatalf("snapshot after restore differs (err %v):\n got  %s\n want %s", err, again, snap)
	}
	src := &rand.PCG{}
	state, _ := st.src.MarshalBinary()
	if err := src.UnmarshalBinary(state); err != nil {
		st.t.Fatalf("clone rng: %v", err)
	}
	tw := *st
	tw.s, tw.src, tw.rng = s, src, rand.New(src)
	tw.h = &search.History{}
	for _, o := range st.h.Trials {
		tw.h.Add(o)
	}
	tw.jobs = append([]job(nil), st.jobs...)
	tw.queue = append([]search.Point(nil), st.queue...)
	tw.trace = append([]string(nil), st.trace...)
	tw.points = nil
	tw.checkSnapshot, tw.checkDuplicate = false, false
	return &tw
}

// apply checks a call's actions and turns them into jobs. ids is the id
// counter before the call, want the capacity the call was offered.
func (st *study) apply(acts []search.Action, ids, want int) {
	st.t.Helper()
	creates := 0
	for _, a := range acts {
		switch a.Kind {
		case search.Create:
			creates++
			if st.done {
				st.t.Fatalf("Create %d after Done", a.ID)
			}
			st.create(a, ids)
		case search.Stop:
			st.stop(a)
		case search.Done:
			st.done = true
		default:
			st.t.Fatalf("unknown action kind %d", a.Kind)
		}
	}
	if creates > want {
		st.t.Fatalf("%d Creates in one call, Context.Want was %d", creates, want)
	}
}

func (st *study) create(a search.Action, ids int) {
	st.t.Helper()
	if a.ID >= ids && a.ID < st.nextID { // a new trial
		if _, dup := st.h.Get(a.ID); dup {
			st.t.Fatalf("Create reuses id %d", a.ID)
		}
		if err := st.space.Check(a.Point); err != nil {
			st.t.Fatalf("Create %d: point %v is not in the space: %v", a.ID, st.space.Values(a.Point), err)
		}
		st.h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
		st.points = append(st.points, a.Point)
		st.trials++
		st.jobs = append(st.jobs, job{id: a.ID, span: a.Span})
		return
	}
	if st.imported[a.ID] {
		st.t.Fatalf("Create %d continues an imported result (it was never run here)", a.ID)
	}
	o, ok := st.h.Get(a.ID)
	if !ok || a.ID >= ids {
		st.t.Fatalf("Create id %d was neither allocated by Context.NewID in this call nor an existing trial", a.ID)
	}
	for _, j := range st.jobs {
		if j.id == a.ID {
			st.t.Fatalf("Create %d continues a trial that is still running", a.ID)
		}
	}
	if a.Point != nil && !a.Point.Equal(o.Point) {
		st.t.Fatalf("Create %d continues a trial with a different point", a.ID)
	}
	o.Status = search.Pending
	st.jobs = append(st.jobs, job{id: a.ID, span: a.Span})
}

func (st *study) stop(a search.Action) {
	st.t.Helper()
	if st.imported[a.ID] {
		st.t.Fatalf("Stop %d: an imported result (it was never run here)", a.ID)
	}
	for i := range st.jobs {
		if st.jobs[i].id == a.ID {
			st.jobs[i].stopped = true
			return
		}
	}
	// Stopping a trial that just ended is a harmless race in a real
	// scheduler; stopping one that never existed is a bug.
	if _, ok := st.h.Get(a.ID); !ok {
		st.t.Fatalf("Stop %d: no such trial", a.ID)
	}
}

func describe(ev *search.Event) string {
	if ev == nil {
		return "next"
	}
	switch ev.Kind {
	case search.Reported:
		return fmt.Sprintf("reported{id %d step %g loss %g}", ev.ID, ev.Step, ev.Loss)
	case search.Exited:
		return fmt.Sprintf("exited{id %d %s loss %g/%t}", ev.ID, ev.Status, ev.Loss, ev.HasLoss)
	}
	return fmt.Sprintf("event{kind %d}", ev.Kind)
}

func formatActions(acts []search.Action) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, a := range acts {
		if i > 0 {
			b.WriteString("; ")
		}
		switch a.Kind {
		case search.Create:
			fmt.Fprintf(&b, "create %d span %g..%g point %s", a.ID, a.Span.From, a.Span.To, a.Point.Key())
			if a.Point == nil {
				b.WriteString("(kept)")
			}
		case search.Stop:
			fmt.Fprintf(&b, "stop %d (%s)", a.ID, a.Reason)
		case search.Done:
			fmt.Fprintf(&b, "done (%s)", a.Reason)
		default:
			fmt.Fprintf(&b, "kind %d", a.Kind)
		}
	}
	b.WriteByte(']')
	return b.String()
}
