package searchtest

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"automl/search"
	_ "automl/search/random" // the toy runs under the "random" algorithm section
	"automl/search/value"
)

// toy is a searcher with one optional fault, to show that the suite
// catches each kind of contract breach (and passes the honest toy).
type toy struct {
	fault string
	calls int // policy state: in the snapshot unless fault is "hidden-state"
	exits int // counted only with fault "counts-events"
}

type toySnap struct {
	Calls int `json:"calls"`
	Exits int `json:"exits"`
}

func (s *toy) Start(c search.Context) ([]search.Action, error) { return s.Next(c) }

func (s *toy) Observe(c search.Context, ev search.Event) ([]search.Action, error) {
	if s.fault == "counts-events" && ev.Kind == search.Exited {
		s.exits++
	}
	return s.Next(c)
}

func (s *toy) Next(c search.Context) ([]search.Action, error) {
	s.calls++
	n := c.Want
	if s.fault == "greedy" && n > 0 {
		n++
	}
	var acts []search.Action
	for i := 0; i < n; i++ {
		u := make([]float64, c.Space.Dim())
		for j := range u {
			switch s.fault {
			case "ignores-seed":
				u[j] = math.Mod(float64(s.calls*7+i*3+j)*0.618034, 1)
			default:
				u[j] = c.Rng.Float64()
			}
		}
		if s.fault == "hidden-state" {
			u[0] = math.Mod(float64(s.calls)*0.37, 1)
		}
		p := c.Space.Decode(u)
		if s.fault == "outside" {
			for j := range p {
				if p[j].IsAbsent() {
					p[j] = value.Float(0.5) // a value for an inactive parameter
				}
			}
		}
		id := c.NewID()
		if s.fault == "own-ids" {
			id += 1000
		}
		acts = append(acts, search.Action{Kind: search.Create, ID: id, Point: p})
	}
	return acts, nil
}

func (s *toy) Snapshot() ([]byte, error) {
	snap := toySnap{Calls: s.calls, Exits: s.exits}
	if s.fault == "hidden-state" {
		snap.Calls = 0
	}
	return json.Marshal(snap)
}

func (s *toy) Restore(b []byte) error {
	var snap toySnap
	if err := json.Unmarshal(b, &snap); err != nil {
		return err
	}
	s.calls, s.exits = snap.Calls, snap.Exits
	return nil
}

// recorder stands in for *testing.T: it records failures, and Fatal ends
// the goroutine like the real one.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Failed() bool { return len(r.msgs) > 0 }
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func TestSuiteCatchesFaults(t *testing.T) {
	checks := map[string]func(testing.TB, Config, Case){
		"valid": checkValid, "same-seed": checkSameSeed, "seeds-differ": checkSeedsDiffer,
		"snapshot": checkSnapshot, "duplicates": checkDuplicates,
	}
	tests := []struct {
		fault, check, space, want string
	}{
		{"greedy", "valid", "continuous", "Creates in one call, Context.Want was"},
		{"outside", "valid", "conditional", "is not in the space"},
		{"own-ids", "valid", "continuous", "neither allocated by Context.NewID"},
		{"ignores-seed", "seeds-differ", "continuous", "created the same"},
		{"hidden-state", "snapshot", "continuous", "restored searcher: actions differ"},
		{"counts-events", "duplicates", "continuous", "snapshots differ"},
	}
	spaces := map[string]Case{}
	for _, c := range Spaces() {
		spaces[c.Name] = c
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			run := func(fault, check string) []string {
				cfg := Config{Algorithm: "random", New: func(*search.Space, search.Settings) (search.Searcher, error) {
					return &toy{fault: fault}, nil
				}}.withDefaults()
				r := &recorder{TB: t}
				done := make(chan struct{})
				go func() {
					defer close(done)
					checks[check](r, cfg, spaces[tc.space])
				}()
				<-done
				return r.msgs
			}
			if msgs := run("", tc.check); len(msgs) > 0 {
				t.Fatalf("honest toy fails %s: %v", tc.check, msgs)
			}
			msgs := run(tc.fault, tc.check)
			if len(msgs) == 0 || !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Fatalf("fault %q, check %s: failures %q, want one containing %q", tc.fault, tc.check, msgs, tc.want)
			}
		})
	}
}
