package fidelity

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"automl/search"
)

// Phase is where a trial stands on its rung ladder.
type Phase uint8

const (
	// Running: a job of the trial is queued or running.
	Running Phase = iota + 1
	// Paused: it reached a rung with a checkpoint and may be promoted.
	Paused
	// Finished: it trained as far as it goes (the top rung, or the trainer
	// ended below the rung on its own); it is ranked but never promoted.
	Finished
	// Dead: its last job failed or was pruned; no result at that rung.
	Dead
)

// Trial is one configuration on a rung ladder.
type Trial struct {
	ID      int `json:"id"`
	Bracket int `json:"b"`
	// Rung is the rung of its current or last job.
	Rung  int   `json:"r"`
	Phase Phase `json:"p"`
	// Loss[i] is its loss at rung i, At[i] that rung's resource.
	Loss []float64 `json:"l,omitempty"`
	At   []float64 `json:"at,omitempty"`
	// Goals[i] is its result at rung i in a study of several objectives
	// or with constraints (goals.go); nil otherwise.
	Goals []*Goal `json:"g,omitempty"`
}

// Ledger records every trial of a rung searcher: its bracket, its rung and
// its loss at each rung it reached. It is the part of a searcher's state
// that events change, and it snapshots to JSON in id order.
type Ledger struct {
	byID  map[int]*Trial
	order []int // creation order
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{byID: map[int]*Trial{}} }

// Add records a new trial, running its first job in bracket b.
func (l *Ledger) Add(id, b int) *Trial {
	t := &Trial{ID: id, Bracket: b, Phase: Running}
	l.byID[id] = t
	l.order = append(l.order, id)
	return t
}

// Get returns a trial by id.
func (l *Ledger) Get(id int) (*Trial, bool) {
	t, ok := l.byID[id]
	return t, ok
}

// Trials returns every trial in creation order.
func (l *Ledger) Trials() []*Trial {
	out := make([]*Trial, len(l.order))
	for i, id := range l.order {
		out[i] = l.byID[id]
	}
	return out
}

// Len is the number of trials.
func (l *Ledger) Len() int { return len(l.order) }

// Exit applies an Exited event to the trial's job that trains to resource
// to, the rung it was sent to; top says that rung is the last. It returns
// the trial, or false when the event is stale: the trial is not running,
// or the scheduler's history shows it running again (a duplicate of an
// exit whose trial has since been promoted), so duplicates are no-ops.
func (l *Ledger) Exit(h *search.History, ev search.Event, to float64, top bool) (*Trial, bool) {
	t, ok := l.byID[ev.ID]
	if !ok || t.Phase != Running {
		return nil, false
	}
	if o, ok := h.Get(ev.ID); ok && o.Status == search.Pending {
		return nil, false
	}
	if ev.Status != search.Complete || !ev.HasLoss || math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		t.Phase = Dead
		return t, true
	}
	t.Loss = append(t.Loss[:t.Rung], ev.Loss)
	t.At = append(t.At[:t.Rung], to)
	if g := goalOf(h, ev.ID); g != nil || len(t.Goals) > 0 {
		for len(t.Goals) < t.Rung {
			t.Goals = append(t.Goals, nil)
		}
		t.Goals = append(t.Goals[:t.Rung], g)
	}
	switch {
	case top:
		t.Phase = Finished
	case ev.Step < to-1e-9*math.Max(1, math.Abs(to)):
		// The trainer stopped below the rung on its own (its budget is
		// smaller than max_resource): there is no checkpoint to resume.
		t.Phase = Finished
	default:
		t.Phase = Paused
	}
	return t, true
}

// Promotable reports whether a paused trial can still be promoted: the
// scheduler's history must show it as it left it (complete). A trial the
// scheduler ended meanwhile (a paused trial stopped by a user shows as
// pruned) is marked dead instead, so it is never promoted.
func (l *Ledger) Promotable(h *search.History, t *Trial) bool {
	if t.Phase != Paused {
		return false
	}
	if o, ok := h.Get(t.ID); ok && o.Status != search.Complete {
		t.Phase = Dead
		return false
	}
	return true
}

// Promote sends a paused trial to its next rung.
func (l *Ledger) Promote(t *Trial) {
	t.Rung++
	t.Phase = Running
}

// SortByLoss orders trials by their loss at rung, then by id.
func SortByLoss(ts []*Trial, rung int) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i].Loss[rung], ts[j].Loss[rung]
		if a != b {
			return a < b
		}
		return ts[i].ID < ts[j].ID
	})
}

// ModelBudget is the largest resource at which at least minPoints trials
// have a result: the budget a model sampler learns from (Falkner et al.
// 2018, section 4.2, with N_min = minPoints).
func (l *Ledger) ModelBudget(minPoints int) (float64, bool) {
	return largestWith(l.resultCounts(), minPoints)
}

// resultCounts is how many trials have a result at each resource.
func (l *Ledger) resultCounts() map[float64]int {
	count := map[float64]int{}
	for _, id := range l.order {
		for _, r := range l.byID[id].At {
			count[r]++
		}
	}
	return count
}

// largestWith is the largest resource counted at least minPoints times.
func largestWith(count map[float64]int, minPoints int) (float64, bool) {
	best, ok := 0.0, false
	for r, n := range count {
		if n >= minPoints && (!ok || r > best) {
			best, ok = r, true
		}
	}
	return best, ok
}

// ModelHistory is the history a model sampler sees for budget r: each
// trial with a result at r as a complete observation with that loss (and
// its goals there: several objectives, constraints), and
// each trial still running its first job as pending (so parallel proposals
// spread out). Points come from the scheduler's history h.
func (l *Ledger) ModelHistory(h *search.History, r float64) *search.History {
	out := &search.History{}
	for _, id := range l.order {
		t := l.byID[id]
		o, ok := h.Get(id)
		if !ok {
			continue
		}
		obs := search.Observation{ID: id, Point: o.Point}
		switch {
		case indexOf(t.At, r) >= 0:
			i := indexOf(t.At, r)
			obs.Status, obs.Loss, obs.HasLoss, obs.Resource = search.Complete, t.Loss[i], true, r
			if g := t.goalAt(i); g != nil {
				obs.Losses, obs.Violation, obs.Slacks = g.Losses, g.Violation, g.Slacks
			}
		case t.Phase == Running && len(t.Loss) == 0:
			obs.Status = search.Pending
		default:
			continue
		}
		out.Add(obs)
	}
	return out
}

func indexOf(xs []float64, x float64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// MarshalJSON writes the trials in creation order.
func (l *Ledger) MarshalJSON() ([]byte, error) {
	ts := l.Trials()
	if ts == nil {
		ts = []*Trial{}
	}
	return json.Marshal(ts)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (l *Ledger) UnmarshalJSON(b []byte) error {
	var ts []*Trial
	if err := json.Unmarshal(b, &ts); err != nil {
		return err
	}
	*l = Ledger{byID: make(map[int]*Trial, len(ts))}
	for _, t := range ts {
		if t == nil || t.Phase < Running || t.Phase > Dead || len(t.Loss) != len(t.At) || len(t.Goals) > len(t.Loss) {
			return fmt.Errorf("ledger: malformed trial %+v", t)
		}
		if _, dup := l.byID[t.ID]; dup {
			return fmt.Errorf("ledger: trial %d twice", t.ID)
		}
		l.byID[t.ID] = t
		l.order = append(l.order, t.ID)
	}
	return nil
}
