package trial

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"automl/search/value"
)

var allStates = []State{Pending, Running, Paused, Completed, Failed, Pruned, Stopped}

func TestTransitions(t *testing.T) {
	legalPairs := map[[2]State]bool{
		{Pending, Running}: true, {Pending, Failed}: true, {Pending, Stopped}: true, {Pending, Pruned}: true,
		{Running, Completed}: true, {Running, Failed}: true, {Running, Pruned}: true, {Running, Stopped}: true,
		{Running, Paused}: true, {Running, Pending}: true,
		{Paused, Pending}: true, {Paused, Completed}: true, {Paused, Stopped}: true,
	}
	for _, from := range allStates {
		for _, to := range allStates {
			want := legalPairs[[2]State{from, to}]
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			err := Transition(from, to)
			if (err == nil) != want {
				t.Errorf("Transition(%s, %s) = %v", from, to, err)
			}
			if err != nil && !strings.Contains(err.Error(), from.String()+" -> "+to.String()) {
				t.Errorf("error %q does not name the transition", err)
			}
		}
	}
	for _, s := range allStates {
		if s.Terminal() != (s == Completed || s == Failed || s == Pruned || s == Stopped) {
			t.Errorf("%s.Terminal() = %v", s, s.Terminal())
		}
		if s.Terminal() && len(legal[s]) > 0 {
			t.Errorf("terminal state %s has transitions", s)
		}
	}
}

func TestStateAndOutcomeText(t *testing.T) {
	for _, s := range allStates {
		b, _ := s.MarshalText()
		var back State
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("state %s round trip: %v %v", s, back, err)
		}
	}
	if _, err := ParseState("finished"); err == nil {
		t.Error("ParseState accepted an unknown state")
	}
	for o := ExitDone; o <= ExitPaused; o++ {
		b, _ := o.MarshalText()
		var back Outcome
		if err := back.UnmarshalText(b); err != nil || back != o {
			t.Errorf("outcome %s round trip: %v %v", o, back, err)
		}
	}
	var o Outcome
	if err := o.UnmarshalText([]byte("exploded")); err == nil {
		t.Error("unknown outcome accepted")
	}
}

func TestSpecAndEventJSONRoundTrip(t *testing.T) {
	reuse := true
	spec := Spec{
		Key: Key{Study: "s", ID: 7, Attempt: 2},
		Params: value.Values{
			{Name: "lr", Value: value.Float(0.001)}, {Name: "layers", Value: value.Int(3)},
			{Name: "opt", Value: value.String("adam")}, {Name: "bn", Value: value.Bool(true)},
			{Name: "scale", Value: value.Float(2)},
		},
		Trainer:   Trainer{Plugin: "funcs", Config: map[string]any{"function": "branin"}, Reuse: &reuse, Timeout: time.Minute, ProgressTimeout: 5 * time.Minute, Pool: "a100"},
		Objective: Objective{Metric: "value", Direction: Minimize},
		Resource:  "epochs", From: 3, To: 9, Checkpoint: "s/7/3", Seed: 42,
	}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(spec, back) {
		t.Fatalf("spec round trip:\n%+v\n%+v\n%s", spec, back, b)
	}
	if !strings.Contains(string(b), `"params":{"lr":0.001,"layers":3,"opt":"adam","bn":true,"scale":2.0}`) {
		t.Errorf("params not an ordered object with kinds kept: %s", b)
	}

	ev := Event{Key: spec.Key, Delivery: 3, Seq: 4, Kind: Exited, Time: time.Unix(1700000000, 5).UTC(), Worker: "w",
		GPUs: []string{"0"}, Result: &Result{Outcome: ExitDone, Metrics: Metrics{"loss": math.NaN(), "acc": 0.9, "big": math.Inf(1)}, Step: 9}}
	b, err = json.Marshal(ev)
	if err != nil {
		t.Fatalf("event with NaN metrics must encode: %v", err)
	}
	var evBack Event
	if err := json.Unmarshal(b, &evBack); err != nil {
		t.Fatal(err)
	}
	m := evBack.Result.Metrics
	if !math.IsNaN(m["loss"]) || m["acc"] != 0.9 || !math.IsInf(m["big"], 1) || evBack.Kind != Exited || evBack.Delivery != 3 {
		t.Fatalf("event round trip: %+v %+v", evBack, m)
	}
	if k, ok := m.Finite(); ok || k != "big" {
		t.Errorf("Finite() = %q, %v; want the first non-finite key (big)", k, ok)
	}
}

// A trainer without a progress timeout gets the generous default; one
// with a timeout keeps it.
func TestProgressLimit(t *testing.T) {
	if got := (Trainer{}).ProgressLimit(); got != 30*time.Minute {
		t.Errorf("default progress limit %v, want 30m", got)
	}
	if got := (Trainer{ProgressTimeout: 2 * time.Second}).ProgressLimit(); got != 2*time.Second {
		t.Errorf("progress limit %v, want the trainer's 2s", got)
	}
}

func TestSpecValidate(t *testing.T) {
	ok := Spec{Key: Key{Study: "s", ID: 1, Attempt: 1}, Trainer: Trainer{Plugin: "funcs"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Spec){
		"no study":  func(s *Spec) { s.Key.Study = "" },
		"negative":  func(s *Spec) { s.Key.ID = -1 },
		"no plugin": func(s *Spec) { s.Trainer.Plugin = "" },
		"to < from": func(s *Spec) { s.From, s.To = 5, 3 },
	} {
		s := ok
		mod(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := (Key{Study: "s", ID: 3, Attempt: 2}).String(); got != "s/3/2" {
		t.Errorf("Key.String() = %q", got)
	}
}
