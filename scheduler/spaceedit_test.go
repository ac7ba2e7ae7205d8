package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/search"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// editSpace is the study the edit tests start from: 12 trials of TPE over
// two floats and a categorical, trained by bowlRunner (a plugin path: no
// built-in trainer checks the parameters).
const editSpace = `study: edited
objective: {metric: loss, direction: minimize}
budget: {trials: %d}
algorithm: {name: %s, seed: 5}
trainer: {plugin: ./trainer}
parameters:
  x: {type: float, low: 0.01, high: 1.0}
  y: {type: float, low: 0.0, high: 1.0}
  c: {type: categorical, choices: [a, b]}
`

// bowlRunner reports the loss (x-0.3)^2 + (y-0.6)^2 (+0.1 for c = b), from
// whichever of these parameters a trial has.
var bowlRunner = trial.RunnerFunc(func(_ context.Context, spec trial.Spec, _ trial.Reporter) (trial.Result, error) {
	loss := 0.0
	for _, nv := range spec.Params {
		switch nv.Name {
		case "x", "y":
			x, _ := nv.Value.Float()
			loss += math.Pow(x-map[string]float64{"x": 0.3, "y": 0.6}[nv.Name], 2)
		case "c":
			if nv.Value.String() == "b" {
				loss += 0.1
			}
		}
	}
	return trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": loss}}, nil
})

// edited runs the study of editSpace for 12 trials, then again for 20 with
// the file changed by replacing from with to; it returns the second run's
// error, the edit it was told of, and the stored study.
func edited(t *testing.T, algo, from, to string, allow bool) (error, *scheduler.SpaceEdit, scheduler.StudyState) {
	t.Helper()
	base := fmt.Sprintf(editSpace, 12, algo)
	h := newHarness(t, base)
	if _, err, _ := h.run(context.Background(), bowlRunner, 2, nil); err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(fmt.Sprintf(editSpace, 20, algo), from, to, 1)
	if !strings.Contains(base, from) {
		t.Fatalf("the space lacks %q", from)
	}
	h.space = parse(t, next)
	var told *scheduler.SpaceEdit
	_, err, _ := h.run(context.Background(), bowlRunner, 2, func(c *scheduler.Config) {
		c.AllowSpaceChange = allow
		c.SpaceEdited = func(e scheduler.SpaceEdit) { told = &e }
		c.Override.Trials = 20
	})
	return err, told, h.load()
}

// TestSpaceEditOfEachKind continues a study with its space edited in each
// way a study may take: the change is said as the user reads it, the
// earlier trials stay as they were recorded, the new ones come from the
// new space, the search says which earlier trials it learns from, and the
// study records the new version of its space.
func TestSpaceEditOfEachKind(t *testing.T) {
	for _, c := range []struct {
		name, from, to string
		change         string
		learns         string // the start of the learning line, or a reason it must hold
		check          func(t *testing.T, rec trial.Record)
	}{
		{name: "widen", from: "high: 1.0}\n  y", to: "high: 2.0}\n  y",
			change: "x: high 1 → 2 (widened)", learns: "tpe learns from 12 of 12 earlier trials"},
		{name: "narrow", from: "x: {type: float, low: 0.01,", to: "x: {type: float, low: 0.5,",
			change: "x: low 0.01 → 0.5 (narrowed)", learns: "outside the space (x < 0.5)",
			check: func(t *testing.T, r trial.Record) {
				if x := r.Params.Float("x", 0); x < 0.5 {
					t.Errorf("trial %d: x = %v, below the new low 0.5", r.ID, x)
				}
			}},
		{name: "add a choice", from: "[a, b]", to: "[a, b, d]",
			change: "c: choices + d", learns: "tpe learns from 12 of 12 earlier trials"},
		{name: "remove a choice", from: "[a, b]", to: "[a]",
			change: "c: choices - b", learns: "outside the space (c = b)",
			check: func(t *testing.T, r trial.Record) {
				if v, _ := r.Params.Get("c"); v.String() != "a" {
					t.Errorf("trial %d: c = %v, a choice removed", r.ID, v)
				}
			}},
		{name: "add a parameter with a default", from: "  c:", to: "  z: {type: int, low: 1, high: 8, default: 4}\n  c:",
			change: "z: added (default 4 for the 12 earlier trials that ran without it)", learns: "tpe learns from 12 of 12 earlier trials",
			check: func(t *testing.T, r trial.Record) {
				if _, ok := r.Params.Get("z"); !ok {
					t.Errorf("trial %d has no z", r.ID)
				}
			}},
		{name: "add a parameter only new trials can have", from: "[a, b]}", to: "[a, b, d]}\n  w: {type: float, low: 0, high: 1, when: {c: d}}",
			change: "c: choices + d", learns: "tpe learns from 12 of 12 earlier trials"},
		{name: "remove a parameter", from: "  y: {type: float, low: 0.0, high: 1.0}\n", to: "",
			change: "y: removed", learns: "tpe learns from 12 of 12 earlier trials",
			check: func(t *testing.T, r trial.Record) {
				if _, ok := r.Params.Get("y"); ok {
					t.Errorf("trial %d still has y", r.ID)
				}
			}},
		{name: "log", from: "low: 0.01, high: 1.0}", to: "low: 0.01, high: 1.0, log: true}",
			change: "x: log false → true", learns: "tpe learns from 12 of 12 earlier trials"},
		{name: "an option of a sampler", from: "name: tpe,", to: "name: tpe, gamma: 0.25,",
			change: "algorithm options: gamma (default) → 0.25", learns: "tpe learns from 12 of 12 earlier trials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err, told, st := edited(t, "tpe", c.from, c.to, true)
			if err != nil {
				t.Fatal(err)
			}
			if told == nil || !slices.Contains(told.Changes, c.change) {
				t.Fatalf("told of %+v, want the change %q", told, c.change)
			}
			if told.Version != 2 || told.FirstTrial != 12 || !strings.Contains(told.Learning, c.learns) {
				t.Errorf("version %d from trial %d, learning %q; want version 2 from trial 12, %q", told.Version, told.FirstTrial, told.Learning, c.learns)
			}
			if len(st.Trials) != 20 {
				t.Fatalf("%d trials, want 20", len(st.Trials))
			}
			vs := st.Study.Versions()
			if len(vs) != 2 || vs[1].FirstTrial != 12 || !slices.Contains(vs[1].Changes, c.change) || vs[1].SpaceText != string(st.Study.SpaceText) ||
				vs[0].SpaceText != fmt.Sprintf(editSpace, 12, "tpe") {
				t.Errorf("stored versions %+v", vs)
			}
			now := parse(t, string(st.Study.SpaceText))
			for _, r := range st.Trials {
				switch {
				case r.ID < 12:
					// As recorded: x, y and c, whatever the new space says.
					if len(r.Params) != 3 || st.Study.VersionOf(r.ID) != 1 {
						t.Errorf("earlier trial %d changed: %v (version %d)", r.ID, r.Params, st.Study.VersionOf(r.ID))
					}
				default:
					if _, err := now.Space.PointOf(r.Params); err != nil || st.Study.VersionOf(r.ID) != 2 {
						t.Errorf("new trial %d is not of the new space: %v (version %d)", r.ID, err, st.Study.VersionOf(r.ID))
					}
					if c.check != nil {
						c.check(t, r)
					}
				}
			}
		})
	}
}

// TestSpaceEditRefused: an edit without AllowSpaceChange is refused with
// every change and the flag that applies it; a type change, a grid's
// space, a multi-fidelity algorithm's options, a parameter added without
// the default earlier trials need, and the objective are refused even
// with it. A refused study is left as it was.
func TestSpaceEditRefused(t *testing.T) {
	for _, c := range []struct {
		name, algo, from, to string
		allow                bool
		want                 []string
		cannotResume         bool // refused as another study, not as an edit
	}{
		{name: "without the flag", algo: "tpe", from: "high: 1.0}\n  y", to: "high: 2.0}\n  y",
			want: []string{`study "edited"`, "x: high 1 → 2 (widened)", "run again with --allow-space-change", "change `study:` in space.yaml"}},
		{name: "type", algo: "tpe", from: "y: {type: float, low: 0.0, high: 1.0}", to: "y: {type: int, low: 0, high: 1}", allow: true,
			want: []string{"y: type float → int: a parameter cannot change type"}},
		{name: "added without a default", algo: "tpe", from: "  c:", to: "  z: {type: int, low: 1, high: 8}\n  c:", allow: true,
			want: []string{`space.yaml:9:3: parameter "z": added to a study whose 12 earlier trials ran without it: give it a default:`}},
		{name: "grid", algo: "grid", from: "x: {type: float, low: 0.01, high: 1.0}", to: "x: {type: float, low: 0.01, high: 1.0, points: 4}", allow: true,
			want: []string{"is a grid search, whose points are numbered by its space"}},
		{name: "hyperband's options", algo: "hyperband, max_resource: 9", from: "max_resource: 9", to: "max_resource: 27", allow: true,
			want: []string{"cannot change its algorithm options: max_resource 9 → 27: hyperband lays out its trials from them"}},
		{name: "objective", algo: "tpe", from: "direction: minimize", to: "direction: maximize", allow: true, cannotResume: true,
			want: []string{"objective minimize loss → maximize loss"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err, told, st := editedAlgo(t, c.algo, c.from, c.to, c.allow)
			if err == nil {
				t.Fatal("the edit was applied")
			}
			if errors.Is(err, scheduler.ErrSpaceChanged) == c.cannotResume {
				t.Errorf("errors.Is(ErrSpaceChanged) = %v: %v", !c.cannotResume, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if told != nil || len(st.Study.SpaceVersions) != 0 || len(st.Trials) != 12 || strings.Contains(string(st.Study.SpaceText), c.to) {
				t.Errorf("a refused edit changed the study: told %v, versions %v, %d trials", told, st.Study.SpaceVersions, len(st.Trials))
			}
		})
	}
}

// editedAlgo is edited for any algorithm: a grid study gets grids first.
func editedAlgo(t *testing.T, algo, from, to string, allow bool) (error, *scheduler.SpaceEdit, scheduler.StudyState) {
	t.Helper()
	if algo != "grid" {
		return edited(t, algo, from, to, allow)
	}
	grid := strings.NewReplacer("low: 0.01, high: 1.0}", "low: 0.01, high: 1.0, points: 3}", "low: 0.0, high: 1.0}", "low: 0.0, high: 1.0, points: 2}")
	h := newHarness(t, grid.Replace(fmt.Sprintf(editSpace, 12, algo)))
	if _, err, _ := h.run(context.Background(), bowlRunner, 2, nil); err != nil {
		t.Fatal(err)
	}
	h.space = parse(t, strings.Replace(grid.Replace(fmt.Sprintf(editSpace, 20, algo)), "points: 3}", "points: 4}", 1))
	var told *scheduler.SpaceEdit
	_, err, _ := h.run(context.Background(), bowlRunner, 2, func(c *scheduler.Config) {
		c.AllowSpaceChange = allow
		c.SpaceEdited = func(e scheduler.SpaceEdit) { told = &e }
	})
	return err, told, h.load()
}

// TestSpaceVersionsFollowEachEdit: two edits make three versions, each
// with its text and the trials created under it.
func TestSpaceVersionsFollowEachEdit(t *testing.T) {
	v1 := fmt.Sprintf(editSpace, 6, "random")
	h := newHarness(t, v1)
	run := func(text string, trials int, allow bool) {
		t.Helper()
		h.space = parse(t, text)
		if _, err, _ := h.run(context.Background(), bowlRunner, 2, func(c *scheduler.Config) {
			c.AllowSpaceChange, c.Override.Trials = allow, trials
		}); err != nil {
			t.Fatal(err)
		}
	}
	run(v1, 6, true)
	v2 := strings.Replace(fmt.Sprintf(editSpace, 10, "random"), "[a, b]", "[a, b, d]", 1)
	run(v2, 10, true)
	// The budget alone changes nothing: no new version.
	run(strings.Replace(v2, "trials: 10", "trials: 11", 1), 11, false)
	v3 := strings.Replace(v2, "  y: {type: float, low: 0.0, high: 1.0}\n", "", 1)
	run(v3, 15, true)
	st := h.load()
	vs := st.Study.Versions()
	if len(vs) != 3 {
		t.Fatalf("%d versions, want 3: %+v", len(vs), vs)
	}
	for i, want := range []struct {
		first  int
		text   string
		change string
	}{{0, v1, ""}, {6, v2, "c: choices + d"}, {11, v3, "y: removed"}} {
		v := vs[i]
		if v.Version != i+1 || v.FirstTrial != want.first || v.SpaceText != want.text || (want.change != "" && !slices.Contains(v.Changes, want.change)) {
			t.Errorf("version %d: %+v; want from trial %d, %q", i+1, v, want.first, want.change)
		}
	}
	for id, want := range map[int]int{0: 1, 5: 1, 6: 2, 10: 2, 11: 3, 14: 3} {
		if got := st.Study.VersionOf(id); got != want {
			t.Errorf("trial %d: version %d, want %d", id, got, want)
		}
	}
}

// TestWideningLearnsFromTheEarlierTrials: after x's range is widened, the
// first trial GP proposes is what its model of the 30 earlier trials gives
// (the sampler run by hand on them, with the study's random state), and
// within 10 trials it is back at their optimum (x = 0.3, y = 0.6), which a
// cold study of the widened space does not reach in its first 10.
func TestWideningLearnsFromTheEarlierTrials(t *testing.T) {
	space := fmt.Sprintf(editSpace, 30, "gp")
	wide := parse(t, strings.Replace(fmt.Sprintf(editSpace, 40, "gp"), "high: 1.0}\n  y", "high: 2.0}\n  y", 1))
	h := newHarness(t, space)
	if _, err, _ := h.run(context.Background(), bowlRunner, 1, nil); err != nil {
		t.Fatal(err)
	}
	before := h.load()
	want := modelSuggestion(t, wide, before)
	h.space = wide
	var told scheduler.SpaceEdit
	if _, err, _ := h.run(context.Background(), bowlRunner, 1, func(c *scheduler.Config) {
		c.AllowSpaceChange, c.Override.Trials = true, 40
		c.SpaceEdited = func(e scheduler.SpaceEdit) { told = e }
	}); err != nil {
		t.Fatal(err)
	}
	if told.Learning != "gp learns from 30 of 30 earlier trials" {
		t.Errorf("learning %q", told.Learning)
	}
	after := h.load().Trials[30:]
	if got := after[0].Params; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first trial after the widening %v; the model of the earlier trials proposes %v", got, want)
	}
	cold := newHarness(t, strings.Replace(string(wide.Text), "study: edited", "study: cold", 1))
	if _, err, _ := cold.run(context.Background(), bowlRunner, 1, func(c *scheduler.Config) { c.Override.Trials = 10 }); err != nil {
		t.Fatal(err)
	}
	best := func(recs []trial.Record) float64 {
		b := math.Inf(1)
		for _, r := range recs {
			b = math.Min(b, r.Value)
		}
		return b
	}
	warmBest, coldBest := best(after), best(cold.load().Trials)
	t.Logf("first suggestion after the widening %v; best of 10 trials after it %.2g, of a cold study's first 10 %.2g", want, warmBest, coldBest)
	if warmBest > 1e-3 || coldBest < 10*warmBest {
		t.Errorf("best of 10 trials after the widening %.3g, of a cold study's first 10 %.3g: the earlier trials did not help", warmBest, coldBest)
	}
}

// modelSuggestion runs the study's sampler by hand on its stored trials,
// placed in the space f, with its stored random state: what its next
// proposal must be if it learns from them.
func modelSuggestion(t *testing.T, f *spacefile.File, st scheduler.StudyState) value.Values {
	t.Helper()
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(st.Snapshot.Rng); err != nil {
		t.Fatal(err)
	}
	h := &search.History{}
	for _, r := range st.Trials {
		p, err := f.Space.Fit(r.Params)
		if err != nil {
			t.Fatalf("trial %d: %v", r.ID, err)
		}
		h.Add(search.Observation{ID: r.ID, Point: p, Status: search.Complete, Loss: r.Value, HasLoss: true})
	}
	se, err := search.NewSearcher(f.Space, f.Algorithm.Settings(st.Study.Seed))
	if err != nil {
		t.Fatal(err)
	}
	smp, _ := search.SamplerOf(se)
	pts, err := search.SampleN(smp, f.Space, h, rand.New(pcg), 1)
	if err != nil {
		t.Fatal(err)
	}
	return f.Space.Values(pts[0])
}

// TestSpaceEditOfAMultiFidelityStudy: ASHA, Hyperband and BOHB studies go
// on in a widened space: their rungs (restored from the snapshot) hold the
// earlier trials, and new configurations come from the new space.
func TestSpaceEditOfAMultiFidelityStudy(t *testing.T) {
	for _, algo := range []string{"asha", "hyperband", "bohb"} {
		t.Run(algo, func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(ashaSpace, "rungs", 12, algo))
			if _, err, _ := h.run(context.Background(), funcs.Runner{}, 2, nil); err != nil {
				t.Fatal(err)
			}
			h.space = parse(t, strings.Replace(fmt.Sprintf(ashaSpace, "rungs", 24, algo), "low: -5, high: 10", "low: -5, high: 20", 1))
			var told scheduler.SpaceEdit
			sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, func(c *scheduler.Config) {
				c.AllowSpaceChange, c.Override.Trials = true, 24
				c.SpaceEdited = func(e scheduler.SpaceEdit) { told = e }
			})
			if err != nil || sum.Status != scheduler.StudyDone {
				t.Fatalf("%s %q %v", sum.Status, sum.Reason, err)
			}
			if told.Learning != algo+" learns from 12 of 12 earlier trials" {
				t.Errorf("learning %q", told.Learning)
			}
			st := h.load()
			if len(st.Trials) != 24 {
				t.Fatalf("%d trials, want 24", len(st.Trials))
			}
			for _, r := range st.Trials {
				if x := r.Params.Float("x0", math.NaN()); r.State != trial.Completed || x < -5 || x > 20 || (r.ID < 12 && x > 10) {
					t.Errorf("trial %d: %s at x0 = %v", r.ID, r.State, x)
				}
			}
		})
	}
}
