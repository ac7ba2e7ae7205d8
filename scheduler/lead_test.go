package scheduler_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/scheduler"
	"automl/search/benchfn"
	"automl/trial"
)

const gpBraninSpace = `
study: lead
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: gp, seed: %d, n_init: 4}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// lockstep is a dispatcher whose workers end one trial at a time, the
// oldest dispatched first, and only once the scheduler has answered the
// last end (or can send nothing more): the same events, in the same
// order and batches, on every run. It records the most jobs it held.
type lockstep struct {
	mu      sync.Mutex
	held    []trial.Spec // dispatched, not yet ended
	sent    int
	most    int
	run     time.Duration // > 0: each trial starts, and ends this much later (worker clock)
	mostAt  []int         // the jobs held when each end was sent
	stalled string        // why drive gave up, if it did
	events  chan scheduler.Inbound
	changed chan struct{}
}

func newLockstep() *lockstep {
	return &lockstep{events: make(chan scheduler.Inbound, 16), changed: make(chan struct{}, 1)}
}

func (d *lockstep) Dispatch(_ context.Context, specs []trial.Spec) error {
	d.mu.Lock()
	d.held = append(d.held, specs...)
	d.sent += len(specs)
	d.most = max(d.most, len(d.held))
	d.mu.Unlock()
	select {
	case d.changed <- struct{}{}:
	default:
	}
	return nil
}
func (d *lockstep) Withdraw(context.Context, string, int) error { return nil }
func (d *lockstep) Stop(context.Context, trial.Key) error       { return nil }
func (d *lockstep) Events() <-chan scheduler.Inbound            { return d.events }

// drive ends trials until total have been sent and ended: it waits for
// full jobs held (or all total sent) before each end, so every end is
// answered before the next. Held short of full for 5 s, it gives up and
// cancels the run.
func (d *lockstep) drive(ctx context.Context, cancel func(), full, total int) {
	for ended := 0; ended < total; ended++ {
		var spec trial.Spec
		for {
			d.mu.Lock()
			ready := len(d.held) > 0 && (len(d.held) >= full || d.sent >= total)
			if ready {
				spec, d.held = d.held[0], d.held[1:]
			}
			d.mu.Unlock()
			if ready {
				break
			}
			select {
			case <-d.changed:
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
				d.mu.Lock()
				d.stalled = fmt.Sprintf("%d jobs held after %d ended, waiting for %d", len(d.held), ended, full)
				d.mu.Unlock()
				cancel()
				return
			}
		}
		d.mu.Lock()
		d.mostAt = append(d.mostAt, len(d.held)+1)
		d.mu.Unlock()
		x := []float64{spec.Params.Float("x0", math.NaN()), spec.Params.Float("x1", math.NaN())}
		end := time.Now()
		if d.run > 0 {
			d.events <- scheduler.Inbound{Ack: func() {}, Event: trial.Event{Key: spec.Key, Kind: trial.Started, Time: end.Add(-d.run)}}
		}
		d.events <- scheduler.Inbound{Ack: func() {}, Event: trial.Event{Key: spec.Key, Kind: trial.Exited, Time: end,
			Result: &trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"value": benchfn.Branin(x)}}}}
	}
}

// A gp study on 8 slots with DefaultLead's lead keeps the lead's jobs
// beyond the busy slots (a freed slot takes one at once), runs exactly its
// budget, each trial once, and with the same seed and events suggests the
// same trials.
func TestLeadKeepsJobsAheadOfTheSlots(t *testing.T) {
	const slots, total = 8, 24
	runOnce := func(seed int) ([]string, *lockstep) {
		h := newHarness(t, fmt.Sprintf(gpBraninSpace, total, seed))
		lead, upTo := scheduler.DefaultLead(h.space, slots)
		if lead != 1 || upTo != 10*time.Second {
			t.Fatalf("DefaultLead for gp on %d slots: %d up to runs of %v, want 1 up to 10s", slots, lead, upTo)
		}
		d := newLockstep()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		go d.drive(ctx, cancel, slots+lead, total)
		s, err := scheduler.New(scheduler.Config{File: h.space, Store: h.store, Dispatcher: d, Slots: slots, Lead: lead,
			LeadRuns: upTo, Queue: scheduler.DefaultQueue(h.space, slots)})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := s.Run(ctx)
		if d.stalled != "" {
			t.Fatalf("seed %d: the scheduler kept too few jobs ahead: %s", seed, d.stalled)
		}
		if err != nil {
			t.Fatal(err)
		}
		recs := h.load().Trials
		ids := map[int]bool{}
		for _, r := range recs {
			if ids[r.ID] || r.State != trial.Completed || r.Attempt != 1 {
				t.Errorf("seed %d: trial %d %s, attempt %d (seen before: %v)", seed, r.ID, r.State, r.Attempt, ids[r.ID])
			}
			ids[r.ID] = true
		}
		if sum.Counts[trial.Completed] != total || len(recs) != total || d.sent != total {
			t.Fatalf("seed %d: %d completed, %d trials, %d jobs sent; want %d of each", seed, sum.Counts[trial.Completed], len(recs), d.sent, total)
		}
		if d.most != slots+lead {
			t.Errorf("seed %d: at most %d jobs held at once, want the %d slots and a lead of %d", seed, d.most, slots, lead)
		}
		return paramsOf(recs), d
	}
	a, _ := runOnce(7)
	b, _ := runOnce(7)
	c, _ := runOnce(8)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("same seed and events, different trials:\n%v\n%v", a, b)
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Fatal("different seeds gave the same trials")
	}
}

// DefaultLead: one for gp (and its alias) from 4 slots on, while runs
// are under 10 s; none for fewer slots or for other algorithms; gp's lead
// option sets it, for runs of any length.
func TestDefaultLead(t *testing.T) {
	for _, c := range []struct {
		algo        string
		slots, want int
		upTo        time.Duration
	}{
		{"gp", 1, 0, 0}, {"gp", 3, 0, 0}, {"gp", 4, 1, 10 * time.Second}, {"gp", 8, 1, 10 * time.Second},
		{"gp", 9, 1, 10 * time.Second}, {"gp", 32, 1, 10 * time.Second}, {"bayes", 32, 1, 10 * time.Second},
		{"tpe", 32, 0, 0}, {"random", 32, 0, 0}, {"cmaes", 8, 0, 0},
		{"gp, lead: 0", 32, 0, 0}, {"gp, lead: 3", 2, 3, 0},
	} {
		f := parse(t, strings.Replace(fmt.Sprintf(gpBraninSpace, 10, 1), "name: gp, seed: 1, n_init: 4", "name: "+c.algo, 1))
		if got, upTo := scheduler.DefaultLead(f, c.slots); got != c.want || upTo != c.upTo {
			t.Errorf("%s on %d slots: lead %d up to runs of %v, want %d up to %v", c.algo, c.slots, got, upTo, c.want, c.upTo)
		}
	}
}

// gp's default lead gives way to trials that run long (a minute here, by
// the workers' clocks): once runs have ended, the study keeps the slots'
// jobs and no more; runs of 100 ms keep the lead, and so does a lead set
// in the space file, whatever the runs.
func TestLeadOnlyWhileRunsAreShort(t *testing.T) {
	const slots, total = 8, 20
	run := func(space string, run time.Duration) (after []int) {
		h := newHarness(t, space)
		lead, upTo := scheduler.DefaultLead(h.space, slots)
		d := newLockstep()
		d.run = run
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		full := slots + lead
		if upTo > 0 && run >= upTo {
			full = slots
		}
		go d.drive(ctx, cancel, full, total)
		s, err := scheduler.New(scheduler.Config{File: h.space, Store: h.store, Dispatcher: d, Slots: slots, Lead: lead, LeadRuns: upTo})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := s.Run(ctx)
		if d.stalled != "" {
			t.Fatalf("runs of %v: %s", run, d.stalled)
		}
		if err != nil || sum.Counts[trial.Completed] != total {
			t.Fatalf("runs of %v: %v, %d completed", run, err, sum.Counts[trial.Completed])
		}
		return d.mostAt[1 : total-slots-lead] // after the first end, while the budget lasts
	}
	def := fmt.Sprintf(gpBraninSpace, total, 3)
	set := strings.Replace(def, "n_init: 4", "n_init: 4, lead: 1", 1)
	for _, c := range []struct {
		name  string
		space string
		run   time.Duration
		held  int
	}{
		{"default lead, runs of a minute", def, time.Minute, slots},
		{"default lead, runs of 100ms", def, 100 * time.Millisecond, slots + 1},
		{"lead: 1, runs of a minute", set, time.Minute, slots + 1},
	} {
		for i, held := range run(c.space, c.run) {
			if held != c.held {
				t.Errorf("%s: %d jobs held at end %d, want %d", c.name, held, i+2, c.held)
				break
			}
		}
	}
}
