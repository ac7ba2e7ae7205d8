package fidelity_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/fidelity"
	_ "automl/search/random"
	"automl/search/searchtest"
	_ "automl/search/sobol"
	"automl/search/tpe"
	"automl/spacefile"
)

const testAlg = "fidelity-test"

func init() {
	search.Register(search.AlgorithmSpec{
		Name: testAlg,
		Options: fidelity.OptionSpecs(nil, fidelity.KeyMinResource, fidelity.KeyMaxResource, fidelity.KeyEta,
			fidelity.KeyBrackets, fidelity.KeySampler, fidelity.KeyMinPoints, fidelity.KeyRandomFraction),
		New: func(*search.Space, search.Settings) (search.Searcher, error) { return nil, errors.New("not for use") },
	})
	search.Register(search.AlgorithmSpec{
		Name: "fidelity-test-searcher",
		New: func(*search.Space, search.Settings) (search.Searcher, error) {
			return search.NewSamplerSearcher(nil), errors.New("unused")
		},
	})
}

func parse(t *testing.T, opts string) (*search.Space, search.Settings) {
	t.Helper()
	src := fmt.Sprintf(`objective: {metric: loss, direction: minimize}
algorithm: {name: %s%s}
trainer: {plugin: %s}
parameters:
  x: {type: float, low: 0, high: 1}
  y: {type: float, low: 0, high: 1}
  c: {type: categorical, choices: [a, b]}
`, testAlg, opts, searchtest.TrainerName)
	f, err := spacefile.Parse("space.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f.Space, f.Algorithm.Settings(0)
}

func TestReadOptions(t *testing.T) {
	sp, set := parse(t, ", max_resource: 27")
	o, err := fidelity.Read(sp, set, fidelity.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := fidelity.Options{MinResource: 1, MaxResource: 27, Eta: 3, Sampler: "random", MinPoints: 4}
	if o != want {
		t.Fatalf("defaults: got %+v, want %+v", o, want)
	}
	sp, set = parse(t, ", min_resource: 2, max_resource: 54, reduction_factor: 2, brackets: 2, sampler: tpe, min_points: 7, random_fraction: 0.5")
	o, err = fidelity.Read(sp, set, fidelity.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	want = fidelity.Options{MinResource: 2, MaxResource: 54, Eta: 2, Brackets: 2, Sampler: "tpe", MinPoints: 7, RandomFraction: 0.5}
	if o != want {
		t.Fatalf("set: got %+v, want %+v", o, want)
	}
}

func TestReadOptionErrors(t *testing.T) {
	tests := []struct {
		opts, key, msg string
	}{
		{"", fidelity.KeyMaxResource, "required"},
		{", min_resource: 0, max_resource: 9", fidelity.KeyMinResource, "positive"},
		{", min_resource: 10, max_resource: 9", fidelity.KeyMaxResource, ">= min_resource"},
		{", max_resource: 81, brackets: 6", fidelity.KeyBrackets, "at most 5"},
		{", max_resource: 9, random_fraction: 1.5", fidelity.KeyRandomFraction, "[0, 1]"},
		{", max_resource: 1.0e30, reduction_factor: 2", fidelity.KeyEta, "10^9"},
	}
	for _, tc := range tests {
		t.Run(tc.opts, func(t *testing.T) {
			sp, set := parse(t, tc.opts)
			_, err := fidelity.Read(sp, set, fidelity.Options{}, true)
			var oe *search.OptionError
			if !errors.As(err, &oe) || oe.Key != tc.key || !strings.Contains(oe.Msg, tc.msg) {
				t.Fatalf("got %v; want an OptionError on %s saying %q", err, tc.key, tc.msg)
			}
		})
	}
}

func TestNamedSampler(t *testing.T) {
	sp, _ := parse(t, ", max_resource: 9")
	tests := []struct {
		name  string
		model bool
		err   string
	}{
		{"random", false, ""},
		{"tpe", true, ""},
		{"nope", false, `unknown algorithm "nope"`},
		{"fidelity-test-searcher", false, "unused"},
	}
	for _, tc := range tests {
		s, model, err := fidelity.NamedSampler(sp, tc.name, 1)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: got %v, want an error saying %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || s == nil || model != tc.model):
			t.Errorf("%s: got %T model %v err %v; want a sampler, model %v", tc.name, s, model, err, tc.model)
		}
	}
	if errs := fidelity.ValidateSampler(sp, "nope", 1); len(errs) != 1 {
		t.Errorf("ValidateSampler(nope) = %v, want one error", errs)
	}
}

// TestRungSampler: `sampler: tpe` in a rung searcher is BOHB's TPE (no
// startup of its own, multivariate), whichever searcher names it, and a
// third of the configurations stay random unless random_fraction says
// otherwise.
func TestRungSampler(t *testing.T) {
	sp, _ := parse(t, ", max_resource: 9")
	s, model, err := fidelity.RungSampler(sp, "tpe", 1)
	if err != nil || !model {
		t.Fatalf("tpe: model %v, err %v", model, err)
	}
	ts, ok := s.(*tpe.Sampler)
	if !ok || ts.Options() != fidelity.ModelTPE() || ts.Options().NStartupTrials != 0 || !ts.Options().Multivariate {
		t.Fatalf("tpe: %T %+v, want fidelity.ModelTPE()", s, ts)
	}
	if _, model, err := fidelity.RungSampler(sp, "sobol", 1); err != nil || model {
		t.Errorf("sobol: model %v, err %v; want a sequence sampler", model, err)
	}
	if _, _, err := fidelity.RungSampler(sp, "nope", 1); err == nil || !strings.Contains(err.Error(), `unknown algorithm "nope"`) {
		t.Errorf("nope: %v", err)
	}
	for _, c := range []struct {
		opts string
		frac float64
	}{{", max_resource: 9, sampler: tpe", 1.0 / 3}, {", max_resource: 9, sampler: tpe, random_fraction: 0", 0}} {
		sp, set := parse(t, c.opts)
		o, err := fidelity.Read(sp, set, fidelity.Options{Sampler: "random", RandomFraction: 1.0 / 3}, true)
		if err != nil {
			t.Fatal(err)
		}
		p, err := fidelity.ProposerFor(sp, o)
		if err != nil || !p.Model || p.RandomFraction != c.frac {
			t.Errorf("%s: proposer %+v, err %v; want a model with random_fraction %v", c.opts, p, err, c.frac)
		}
	}
}

// history builds a scheduler-side history of n trials.
func history(sp *search.Space, n int) *search.History {
	h := &search.History{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		u := []float64{rng.Float64(), rng.Float64(), rng.Float64()}
		h.Add(search.Observation{ID: i, Point: sp.Decode(u), Status: search.Pending})
	}
	return h
}

func TestLedgerExit(t *testing.T) {
	sp, _ := parse(t, ", max_resource: 9")
	h := history(sp, 4)
	l := fidelity.NewLedger()
	for i := 0; i < 4; i++ {
		l.Add(i, 0)
	}
	exit := func(id int, st search.Status, step, to float64, top bool) (*fidelity.Trial, bool) {
		o, _ := h.Get(id)
		o.Status = st
		return l.Exit(h, search.Event{Kind: search.Exited, ID: id, Status: st, Step: step, Loss: float64(id), HasLoss: st == search.Complete}, to, top)
	}
	if tr, ok := exit(0, search.Complete, 3, 3, false); !ok || tr.Phase != fidelity.Paused || tr.Loss[0] != 0 || tr.At[0] != 3 {
		t.Fatalf("complete at its rung: %+v %v, want paused with loss 0 at 3", tr, ok)
	}
	if _, ok := exit(0, search.Complete, 3, 3, false); ok {
		t.Fatal("a second exit of a paused trial was applied")
	}
	if tr, ok := exit(1, search.Failed, 1, 3, false); !ok || tr.Phase != fidelity.Dead {
		t.Fatalf("failed: %+v, want dead", tr)
	}
	if tr, ok := exit(2, search.Complete, 2, 3, false); !ok || tr.Phase != fidelity.Finished {
		t.Fatalf("ended below its rung: %+v, want finished", tr)
	}
	if tr, ok := exit(3, search.Complete, 9, 9, true); !ok || tr.Phase != fidelity.Finished {
		t.Fatalf("top rung: %+v, want finished", tr)
	}
	// Promoted: the history shows it pending again, so a late copy of the
	// exit that paused it must not count as the new job's exit.
	tr, _ := l.Get(0)
	l.Promote(tr)
	o, _ := h.Get(0)
	o.Status = search.Pending
	if _, ok := l.Exit(h, search.Event{Kind: search.Exited, ID: 0, Status: search.Complete, Step: 3, Loss: 0, HasLoss: true}, 9, true); ok || tr.Phase != fidelity.Running {
		t.Fatalf("duplicate exit after promotion was applied: %+v", tr)
	}
}

func TestLedgerModel(t *testing.T) {
	sp, _ := parse(t, ", max_resource: 9")
	h := history(sp, 8)
	l := fidelity.NewLedger()
	for i := 0; i < 8; i++ {
		l.Add(i, 0)
	}
	// Trials 0..4 have a result at 1; 0..2 went on to 3; 5..7 still run.
	for i := 0; i < 5; i++ {
		o, _ := h.Get(i)
		o.Status = search.Complete
		l.Exit(h, search.Event{Kind: search.Exited, ID: i, Status: search.Complete, Step: 1, Loss: 10 - float64(i), HasLoss: true}, 1, false)
	}
	for i := 0; i < 3; i++ {
		tr, _ := l.Get(i)
		l.Promote(tr)
		l.Exit(h, search.Event{Kind: search.Exited, ID: i, Status: search.Complete, Step: 3, Loss: 5 - float64(i), HasLoss: true}, 3, false)
	}
	tests := []struct {
		min    int
		budget float64
		ok     bool
	}{{1, 3, true}, {3, 3, true}, {4, 1, true}, {5, 1, true}, {6, 0, false}}
	for _, tc := range tests {
		if b, ok := l.ModelBudget(tc.min); b != tc.budget || ok != tc.ok {
			t.Errorf("ModelBudget(%d) = %v, %v; want %v, %v", tc.min, b, ok, tc.budget, tc.ok)
		}
	}
	mh := l.ModelHistory(h, 3)
	var got []string
	for _, o := range mh.Trials {
		got = append(got, fmt.Sprintf("%d:%s:%g", o.ID, o.Status, o.Loss))
	}
	want := "0:complete:5 1:complete:4 2:complete:3 5:pending:0 6:pending:0 7:pending:0"
	if strings.Join(got, " ") != want {
		t.Fatalf("ModelHistory(3) = %s, want %s", strings.Join(got, " "), want)
	}
	b, err := l.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	l2 := fidelity.NewLedger()
	if err := l2.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if b2, _ := l2.MarshalJSON(); string(b2) != string(b) {
		t.Fatalf("round trip:\n%s\n%s", b, b2)
	}
	for _, bad := range []string{`{}`, `[{"id":1,"p":9}]`, `[{"id":1,"p":1},{"id":1,"p":1}]`, `[{"id":1,"p":2,"l":[1]}]`} {
		if err := fidelity.NewLedger().UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%s) accepted", bad)
		}
	}
}

// recorder is a model sampler that records what it was shown.
type recorder struct{ seen []*search.History }

func (r *recorder) Sample(sp *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	r.seen = append(r.seen, h)
	return sp.Decode([]float64{0.5, 0.5, 0.5}), nil
}

func TestProposerModelGate(t *testing.T) {
	sp, _ := parse(t, ", max_resource: 9")
	h := history(sp, 6)
	l := fidelity.NewLedger()
	for i := 0; i < 6; i++ {
		l.Add(i, 0)
	}
	rec := &recorder{}
	p := fidelity.Proposer{Sampler: rec, Model: true, MinPoints: 4}
	c := search.Context{Space: sp, History: h, Rng: rand.New(rand.NewPCG(3, 4)), Want: 3}
	for done := 0; done <= 5; done++ {
		if done > 0 {
			o, _ := h.Get(done - 1)
			o.Status = search.Complete
			l.Exit(h, search.Event{Kind: search.Exited, ID: done - 1, Status: search.Complete, Step: 1, Loss: 1, HasLoss: true}, 1, false)
		}
		rec.seen = nil
		pts, err := p.Propose(c, l, 3)
		if err != nil || len(pts) != 3 {
			t.Fatalf("%d results: %d points, %v", done, len(pts), err)
		}
		switch {
		case done < 4 && len(rec.seen) > 0:
			t.Fatalf("%d results at the only budget (min_points 4): the model was asked", done)
		case done >= 4 && len(rec.seen) != 3:
			t.Fatalf("%d results: the model was asked %d times for 3 points, want 3", done, len(rec.seen))
		case done >= 4 && len(rec.seen[0].Completed()) != done:
			t.Fatalf("%d results: the model saw %d complete observations", done, len(rec.seen[0].Completed()))
		}
	}
	// With a random fraction, about that share comes from the random sampler.
	p.RandomFraction = 0.25
	rec.seen = nil
	if _, err := p.Propose(c, l, 400); err != nil {
		t.Fatal(err)
	}
	if frac := 1 - float64(len(rec.seen))/400; frac < 0.18 || frac > 0.32 {
		t.Fatalf("random share %.3f, want about 0.25", frac)
	}
}

// Imported results feed the model at the budget they were trained to,
// clamped to the full budget (unknown resource: the full budget), and
// count towards min_points there: four full-budget imports start the model
// before any trial of the study has a result.
func TestProposerImported(t *testing.T) {
	sp, _ := parse(t, ", max_resource: 9")
	h := history(sp, 2) // two trials of the study, still running
	l := fidelity.NewLedger()
	l.Add(0, 0)
	l.Add(1, 0)
	for i, res := range []float64{0, 9, 27, 3, 0} {
		p := sp.Decode([]float64{0.1 * float64(i), 0.5, 0.5})
		h.Add(search.Observation{ID: 10 + i, Point: p, Status: search.Complete, Loss: float64(i), HasLoss: true, Resource: res, Imported: true})
	}
	rec := &recorder{}
	p := fidelity.Proposer{Sampler: rec, Model: true, MinPoints: 4, Top: 9}
	c := search.Context{Space: sp, History: h, Rng: rand.New(rand.NewPCG(3, 4)), Want: 1}
	if _, err := p.Propose(c, l, 1); err != nil {
		t.Fatal(err)
	}
	if len(rec.seen) != 1 {
		t.Fatalf("4 imported results at the full budget (min_points 4): the model was asked %d times, want 1", len(rec.seen))
	}
	var got []string
	for _, o := range rec.seen[0].Trials {
		got = append(got, fmt.Sprintf("%d:%s:%g@%g", o.ID, o.Status, o.Loss, o.Resource))
	}
	want := "0:pending:0@0 1:pending:0@0 10:complete:0@9 11:complete:1@9 12:complete:2@9 14:complete:4@9"
	if strings.Join(got, " ") != want {
		t.Fatalf("the model saw %s, want %s (the import at 3 is another budget)", strings.Join(got, " "), want)
	}
	p.MinPoints = 5
	rec.seen = nil
	if _, err := p.Propose(c, l, 1); err != nil || len(rec.seen) != 0 {
		t.Fatalf("min_points 5, 4 results at the full budget and 1 at 3: the model was asked %d times (%v)", len(rec.seen), err)
	}
}
