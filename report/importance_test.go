package report

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"automl/scheduler"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// studyOf makes a completed study of n trials with parameters drawn
// uniformly from [0, 1] and values f(params).
func studyOf(t *testing.T, space string, n int, seed uint64, f func(p value.Values) float64) Input {
	t.Helper()
	st := &scheduler.Study{Name: "s", Objective: trial.Objective{Metric: "value", Direction: trial.Minimize}, Algorithm: "random", SpaceText: []byte(space), SpaceFile: "space.yaml"}
	file, err := spacefile.Parse("space.yaml", st.SpaceText)
	if err != nil {
		t.Fatal(err)
	}
	sp := file.Space
	rng := rand.New(rand.NewPCG(seed, 1))
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var recs []trial.Record
	for id := range n {
		u := make([]float64, sp.Dim())
		for j := range u {
			u[j] = rng.Float64()
		}
		vs := sp.Values(sp.Decode(u))
		recs = append(recs, trial.Record{ID: id, State: trial.Completed, Params: vs, Attempt: 1, Value: f(vs), HasValue: true,
			Worker: "w", Created: t0, Started: t0.Add(time.Duration(id) * time.Second), Finished: t0.Add(time.Duration(id+1) * time.Second), Busy: time.Second})
	}
	return Input{Study: st, Trials: recs}
}

const threeFloats = `
objective: {metric: value, direction: minimize}
budget: {trials: 10}
trainer: {plugin: ./trainer}
parameters:
  x0: {type: float, low: 0, high: 1}
  x1: {type: float, low: 0, high: 1}
  x2: {type: float, low: 0, high: 1}
`

func shares(imp Importance) map[string]float64 {
	m := map[string]float64{}
	for _, p := range imp.Params {
		m[p.Name] = p.Share
	}
	return m
}

// TestImportanceFindsTheDominantParameter: on functions whose variance
// decomposition is known, fANOVA on the forest ranks the dominant
// parameter first, gives the irrelevant one (almost) nothing, and comes
// close to the true shares.
func TestImportanceFindsTheDominantParameter(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(p value.Values) float64
		// true main-effect shares (variance of each term over the sum)
		want map[string]float64
	}{
		{"linear, x0 dominates", func(p value.Values) float64 { return 10*p.Float("x0", 0) + p.Float("x1", 0) },
			map[string]float64{"x0": 100.0 / 101, "x1": 1.0 / 101, "x2": 0}},
		{"additive 1:4", func(p value.Values) float64 { return p.Float("x0", 0) + 2*p.Float("x1", 0) },
			map[string]float64{"x0": 0.2, "x1": 0.8, "x2": 0}},
		{"non-monotone x1", func(p value.Values) float64 {
			return math.Sin(2*math.Pi*p.Float("x1", 0)) + 0.1*p.Float("x0", 0)
		}, map[string]float64{"x0": 0.01 / 12 / (0.5 + 0.01/12), "x1": 0.5 / (0.5 + 0.01/12), "x2": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Build(studyOf(t, threeFloats, 400, 3, tc.f))
			got := shares(d.Importance)
			t.Logf("shares %v (true %v), main effects explain %.3f", got, tc.want, d.Importance.Explained)
			if len(got) != 3 || d.Importance.Trials != 400 {
				t.Fatalf("importance %+v", d.Importance)
			}
			for name, w := range tc.want {
				if math.Abs(got[name]-w) > 0.03 {
					t.Errorf("%s: share %.3f, true %.3f (all: %v)", name, got[name], w, got)
				}
			}
			if got["x2"] > 0.01 {
				t.Errorf("irrelevant x2 got share %.3f", got["x2"])
			}
			if d.Importance.Explained < 0.8 || d.Importance.Explained > 1+1e-9 {
				t.Errorf("main effects explain %.3f of an additive function's variance", d.Importance.Explained)
			}
		})
	}
}

// TestImportanceCategoricalAndConditional: a categorical parameter that
// decides the value dominates; a conditional parameter that does not
// matter stays small.
func TestImportanceCategoricalAndConditional(t *testing.T) {
	space := `
objective: {metric: value, direction: minimize}
budget: {trials: 10}
trainer: {plugin: ./trainer}
parameters:
  opt: {type: categorical, choices: [sgd, adam, rmsprop]}
  momentum: {type: float, low: 0.5, high: 0.99, when: {opt: sgd}}
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
`
	d := Build(studyOf(t, space, 300, 5, func(p value.Values) float64 {
		off := map[string]float64{"sgd": 0, "adam": 3, "rmsprop": 1}[p.String("opt", "")]
		return off + 0.2*p.Float("lr", 0)*10
	}))
	got := shares(d.Importance)
	t.Logf("shares %v", got)
	if got["opt"] < 0.8 {
		t.Errorf("opt share %.3f, want it to dominate (%v)", got["opt"], got)
	}
	if got["momentum"] > 0.05 {
		t.Errorf("irrelevant conditional momentum share %.3f (%v)", got["momentum"], got)
	}
	// Where momentum is active it decides the value: now it matters.
	d = Build(studyOf(t, space, 300, 5, func(p value.Values) float64 {
		if p.String("opt", "") != "sgd" {
			return 1
		}
		return 1 + 4*(p.Float("momentum", 0)-0.75)
	}))
	got = shares(d.Importance)
	t.Logf("shares %v", got)
	if got["momentum"] < 0.2 || got["lr"] > 0.02 {
		t.Errorf("momentum, active in a third of the trials and deciding them, got %.3f (%v)", got["momentum"], got)
	}
}

func TestImportanceNeedsTrials(t *testing.T) {
	d := Build(studyOf(t, threeFloats, 5, 1, func(p value.Values) float64 { return p.Float("x0", 0) }))
	if len(d.Importance.Params) != 0 || d.Importance.Note == "" {
		t.Errorf("5 trials: importance %+v, want none with a note", d.Importance)
	}
}

func TestImportanceDeterministic(t *testing.T) {
	in := studyOf(t, threeFloats, 200, 9, func(p value.Values) float64 { return p.Float("x0", 0) * p.Float("x1", 0) })
	a, b := Build(in).Importance, Build(in).Importance
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			t.Fatalf("two builds differ: %v vs %v", a.Params, b.Params)
		}
	}
}
