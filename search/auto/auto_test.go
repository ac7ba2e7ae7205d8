package auto_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/auto"
	"automl/search/gp"
	"automl/search/searchtest"
	"automl/search/value"
	"automl/spacefile"
)

// parse builds a space for auto with extra options and a parameters section.
func parse(t testing.TB, opts, params string) (*search.Space, search.Settings) {
	t.Helper()
	if opts != "" {
		opts = ", " + opts
	}
	yaml := fmt.Sprintf("study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm: {name: auto, seed: 3%s}\ntrainer: {plugin: %s}\nparameters:\n%s",
		opts, searchtest.TrainerName, params)
	f, err := spacefile.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f.Space, f.Algorithm.Settings(3)
}

// floats writes d float parameters x0..x(d-1) in [-2, 2].
func floats(d int) string {
	var b strings.Builder
	for i := range d {
		fmt.Fprintf(&b, "  x%d: {type: float, low: -2, high: 2}\n", i)
	}
	return b.String()
}

// cats writes d categorical parameters c0..c(d-1).
func cats(d int) string {
	var b strings.Builder
	for i := range d {
		fmt.Fprintf(&b, "  c%d: {type: categorical, choices: [a, b, c]}\n", i)
	}
	return b.String()
}

// history has n completed trials of one objective (imported ones first),
// and k objectives and c constraints in their results when k > 1 or c > 0.
func history(s *search.Space, imported, n, k, c int) *search.History {
	h := &search.History{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range imported + n {
		o := search.Observation{ID: i, Point: s.Decode(searchtest.RandomUnit(rng, s.Dim())), Status: search.Complete,
			Loss: float64(i), HasLoss: true, Imported: i < imported}
		if k > 1 || c > 0 {
			o.Losses = make([]float64, k)
			o.Slacks = make([]float64, c)
		}
		h.Add(o)
	}
	return h
}

func TestRule(t *testing.T) {
	for _, tc := range []struct {
		name, params      string
		imported, n, k, c int
		want, why         string
	}{
		{"numeric", floats(6), 0, 12, 1, 0, "gp", "6 numeric parameters, no conditions, 12 trials so far"},
		{"numeric at N", floats(6), 0, 50, 1, 0, "cmaes", "after 50 completed trials"},
		{"imported do not count", floats(6), 10, 45, 1, 0, "gp", "6 numeric parameters, no conditions, 55 trials so far"},
		{"numeric 20", floats(20), 0, 3, 1, 0, "gp", "20 numeric parameters, no conditions, 3 trials so far"},
		{"large", floats(21), 0, 3, 1, 0, "tpe", "21 parameters, more than 20, 3 trials so far"},
		{"mostly categorical", floats(2) + cats(3), 0, 0, 1, 0, "tpe", "3 of 5 parameters categorical, 0 trials so far"},
		{"half categorical", floats(2) + cats(2), 0, 0, 1, 0, "gp", "2 numeric parameters, no conditions, 0 trials so far"},
		{"conditional", floats(2) + cats(1) + "  y: {type: float, low: 0, high: 1, when: {c0: [a]}}\n", 0, 5, 1, 0, "tpe", "4 parameters, conditional ones (when:), 5 trials so far"},
		{"two objectives", floats(6), 0, 12, 2, 0, "gp", "2 objectives, 0 constraints, 6 parameters, no conditions, 12 trials so far"},
		{"constraint", floats(6), 0, 12, 1, 1, "gp", "1 objective, 1 constraint, 6 parameters, no conditions, 12 trials so far"},
		{"two objectives, large", floats(11), 0, 12, 2, 0, "tpe", "2 objectives, 0 constraints, 11 parameters, more than 10, 12 trials so far"},
		{"two objectives, long", floats(3), 0, 300, 2, 1, "tpe", "2 objectives, 1 constraint, after 300 completed trials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := parse(t, "", tc.params)
			got := auto.Choose(s, history(s, tc.imported, tc.n, tc.k, tc.c), 50)
			if got.Name != tc.want || got.Why != tc.why {
				t.Errorf("Choose = %s (%s), want %s (%s)", got.Name, got.Why, tc.want, tc.why)
			}
		})
	}
}

// Pending, failed and pruned trials do not count towards the switch.
func TestRuleCountsCompleted(t *testing.T) {
	s, _ := parse(t, "", floats(2))
	h := history(s, 0, 9, 1, 0)
	for i, st := range []search.Status{search.Pending, search.Failed, search.Pruned} {
		h.Add(search.Observation{ID: 100 + i, Point: h.Trials[0].Point, Status: st})
	}
	if got := auto.Choose(s, h, 10); got.Name != "gp" {
		t.Fatalf("9 completed of 12, switch_after 10: %s (%s), want gp", got.Name, got.Why)
	}
	h.Add(search.Observation{ID: 200, Point: h.Trials[0].Point, Status: search.Complete, Loss: 1, HasLoss: true})
	if got := auto.Choose(s, h, 10); got.Name != "cmaes" {
		t.Fatalf("10 completed: %s (%s), want cmaes", got.Name, got.Why)
	}
}

// run drives a sampler sequentially for n trials on a sphere, with log
// lines going to buf.
func run(t *testing.T, smp search.Sampler, s *search.Space, n int) *search.History {
	t.Helper()
	h := &search.History{}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range n {
		p, err := smp.Sample(s, h, rng)
		if err != nil {
			t.Fatalf("trial %d: %v", i, err)
		}
		loss := 0.0
		for _, v := range p {
			x, _ := v.Float()
			loss += (x - 0.3) * (x - 0.3)
		}
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, Loss: loss, HasLoss: true})
	}
	return h
}

func newSampler(t *testing.T, s *search.Space, set search.Settings, buf *bytes.Buffer) *auto.Sampler {
	t.Helper()
	o, err := auto.OptionsFrom(s, set)
	if err != nil {
		t.Fatal(err)
	}
	smp, err := auto.New(o)
	if err != nil {
		t.Fatal(err)
	}
	smp.Log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	return smp
}

// TestSwitch: gp's suggestions up to switch_after completed trials (the
// same as gp's own with the study's seed), cmaes's after, the choice
// logged once per change, and the same points again from a second
// sampler and from one that starts halfway (a resumed study).
func TestSwitch(t *testing.T) {
	const n, after = 24, 15
	s, set := parse(t, "switch_after: 15", floats(3))
	var buf bytes.Buffer
	h := run(t, newSampler(t, s, set, &buf), s, n)
	want := "level=INFO msg=\"auto: gp (3 numeric parameters, no conditions, 0 trials so far)\" sampler=gp\n" +
		"level=INFO msg=\"auto: switching to cmaes after 15 completed trials\" sampler=cmaes\n"
	if buf.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", buf.String(), want)
	}

	g, err := gp.New(gp.Options{Seed: set.Seed})
	if err != nil {
		t.Fatal(err)
	}
	hg := run(t, g, s, after+1)
	for i := range after {
		if !h.Trials[i].Point.Equal(hg.Trials[i].Point) {
			t.Fatalf("trial %d: %v, gp's is %v", i, h.Trials[i].Point, hg.Trials[i].Point)
		}
	}
	if h.Trials[after].Point.Equal(hg.Trials[after].Point) {
		t.Errorf("trial %d is gp's %v: no switch", after, hg.Trials[after].Point)
	}

	var buf2 bytes.Buffer
	h2 := run(t, newSampler(t, s, set, &buf2), s, n)
	for i := range h.Trials {
		if !h.Trials[i].Point.Equal(h2.Trials[i].Point) {
			t.Fatalf("trial %d: %v, then %v with the same seed", i, h.Trials[i].Point, h2.Trials[i].Point)
		}
	}
	// A fresh sampler (a resumed study) given the first 20 trials proposes
	// the 21st alike.
	var buf3 bytes.Buffer
	resumed := newSampler(t, s, set, &buf3)
	part := &search.History{}
	for _, o := range h.Trials[:20] {
		part.Add(o)
	}
	p, err := resumed.Sample(s, part, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	again, err := newSampler(t, s, set, &buf3).Sample(s, part, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(again) {
		t.Errorf("resumed at 20: %v, then %v", p, again)
	}
	if !strings.Contains(buf3.String(), "auto: cmaes (after 20 completed trials)") {
		t.Errorf("resumed log: %q", buf3.String())
	}
}

func TestOptions(t *testing.T) {
	s, _ := parse(t, "", floats(2))
	for _, tc := range []struct {
		opts map[string]value.Value
		want string
	}{
		{map[string]value.Value{"switch_after": value.Int(0)}, "switch_after: must be >= 1, got 0"},
		{map[string]value.Value{"switch_after": value.String("x")}, "switch_after: unexpected value"},
		{map[string]value.Value{"n_init": value.Int(3)}, "n_init: unknown option of auto"},
	} {
		_, err := auto.OptionsFrom(s, search.Settings{Name: "auto", Options: tc.opts})
		var oe *search.OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an option error %q", tc.opts, err, tc.want)
		}
	}
	o, err := auto.OptionsFrom(s, search.Settings{Name: "auto", Seed: 9})
	if err != nil || o.SwitchAfter != auto.DefaultSwitchAfter || o.Seed != 9 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

// A space file with a bad option is refused at its line and column.
func TestValidatePlace(t *testing.T) {
	yaml := fmt.Sprintf("study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm:\n  name: auto\n  switch_after: 0\ntrainer: {plugin: %s}\nparameters:\n%s", searchtest.TrainerName, floats(2))
	_, err := spacefile.Parse("t.yaml", []byte(yaml))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:5:") || !strings.Contains(err.Error(), "switch_after") {
		t.Fatalf("err = %v, want t.yaml:5: ... switch_after", err)
	}
}

// TestSwitchToTPE: a study of two objectives on 11 parameters starts with
// gp (nothing has completed: one objective as far as the history tells)
// and goes to tpe once a result shows two, saying why.
func TestSwitchToTPE(t *testing.T) {
	s, set := parse(t, "", floats(11))
	var buf bytes.Buffer
	smp := newSampler(t, s, set, &buf)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, h := range []*search.History{{}, history(s, 0, 1, 2, 0), history(s, 0, 2, 2, 0)} {
		if _, err := smp.Sample(s, h, rng); err != nil {
			t.Fatal(err)
		}
	}
	want := "level=INFO msg=\"auto: gp (11 numeric parameters, no conditions, 0 trials so far)\" sampler=gp\n" +
		"level=INFO msg=\"auto: switching to tpe (2 objectives, 0 constraints, 11 parameters, more than 10, 1 trials so far)\" sampler=tpe\n"
	if buf.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
}
