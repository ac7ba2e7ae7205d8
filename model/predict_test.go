package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"automl/plugins/mlp/data"
)

// linearSpec is a hand-made regression model over a categorical column c
// (levels a, b; b the most frequent) and a numeric column x (median 10,
// mean 10, std 2, with a missing indicator), the target y at table index
// 1 between them. Features: c=a, c=b, x, x_missing; one linear layer
// W = (1, 2, 4, 8), b = 0.5; target scaling mean 100, std 10. So
// prediction = 100 + 10*(0.5 + [c=a] + 2[c=b] + 4(x-10)/2 + 8[x missing]).
func linearSpec() Spec {
	prep := data.PrepState{Width: 4, Names: []string{"c=a", "c=b", "x", "x_missing"}, Cols: []data.ColState{
		{Name: "c", Index: 0, Categorical: true, Levels: []string{"a", "b"}, Fill: 1, Indicator: -1, Std: 1, OneHot: []int{0, 1}, Out: 0},
		{Name: "x", Index: 2, Fill: 10, Indicator: 3, Mean: 10, Std: 2, Out: 2},
	}}
	return Spec{
		Info:    Info{Trainer: "test", Task: Regression, Target: "y", Study: "s", Trial: 3},
		Ignore:  []string{"y"},
		Missing: data.DefaultMissing,
		Folds:   []Fold{{Prep: prep, YMean: 100, YStd: 10, Layers: []Layer{{In: 4, Out: 1, W: []float32{1, 2, 4, 8}, B: []float32{0.5}}}}},
	}
}

func mustNew(t testing.TB, s Spec) *Model {
	t.Helper()
	m, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPredictEncodesAsTraining(t *testing.T) {
	m := mustNew(t, linearSpec())
	header := []string{"x", "y", "c"}
	recs := [][]string{
		{"12", "0", "a"},   // 100 + 10*(0.5 + 1 + 4)
		{"", "0", "b"},     // x missing: median 10, indicator on
		{"8", "0", "z"},    // unseen level: all zeros
		{" 10 ", "0", "?"}, // c missing: the most frequent level b
		{"NA", "0", "NaN"}, // both missing
	}
	want := []float64{155, 205, 65, 125, 205}
	p, err := m.PredictRecords(header, recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if math.Abs(p.Value[i]-w) > 1e-9 {
			t.Errorf("row %d %v: predicted %v, want %v", i+1, recs[i], p.Value[i], w)
		}
	}
	if p.Len() != len(want) || p.Label(0) != "155" {
		t.Errorf("len %d, label %q", p.Len(), p.Label(0))
	}
	// The same rows by column name, with the target absent.
	var rows []map[string]string
	for _, r := range recs {
		rows = append(rows, map[string]string{"x": r[0], "c": r[2]})
	}
	q, err := m.Predict(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if q.Value[i] != p.Value[i] {
			t.Errorf("row %d: %v by name, %v by record", i+1, q.Value[i], p.Value[i])
		}
	}
}

func TestPredictErrorsNameTheColumnAndRow(t *testing.T) {
	m := mustNew(t, linearSpec())
	cases := []struct {
		name   string
		header []string
		recs   [][]string
		o      Options
		want   []string
	}{
		{"missing column", []string{"c", "y"}, [][]string{{"a", "1"}}, Options{Source: "d.csv"}, []string{"d.csv", `column "x"`, "missing"}},
		{"extra column", []string{"c", "x", "id"}, [][]string{{"a", "1", "7"}}, Options{Source: "d.csv"}, []string{`column "id"`, "does not read", "reads c, x"}},
		{"bad number", []string{"c", "x"}, [][]string{{"a", "1"}, {"b", "1,5"}}, Options{Source: "d.csv", Lines: []int{2, 3}}, []string{"d.csv:3", "row 2", `column "x"`, `"1,5" is not a number`}},
		{"infinite", []string{"c", "x"}, [][]string{{"a", "Inf"}}, Options{}, []string{"input", "row 1", `column "x"`, "infinite"}},
		{"ragged", []string{"c", "x"}, [][]string{{"a", "1"}, {"a"}}, Options{}, []string{"row 2", "1 fields, the header has 2"}},
		{"header twice", []string{"c", "x", "c"}, [][]string{{"a", "1", "b"}}, Options{}, []string{`column "c"`, "twice"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.PredictRecords(tc.header, tc.recs, tc.o)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an *InputError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := m.PredictRecords([]string{"c", "x", "id"}, [][]string{{"a", "1", "7"}}, Options{IgnoreExtra: true}); err != nil {
		t.Errorf("with IgnoreExtra: %v", err)
	}
	_, err := m.Predict([]map[string]string{{"c": "a", "x": "1"}, {"c": "a"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `row 2: column "x": missing`) {
		t.Errorf("a row without x: %v", err)
	}
	_, err = m.Predict([]map[string]string{{"c": "a", "x": "1", "extra": "2"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `column "extra"`) {
		t.Errorf("a row with an extra key: %v", err)
	}
	if _, err := m.Predict([]map[string]string{{"c": "a", "x": "1", "extra": "2", "y": "3"}}, Options{IgnoreExtra: true}); err != nil {
		t.Errorf("extra key with IgnoreExtra: %v", err)
	}
}

// TestPredictChunksAgree: many rows on several goroutines give what each
// row gives alone, and the first bad row is the one reported.
func TestPredictChunksAgree(t *testing.T) {
	m := mustNew(t, hiddenSpec(Multiclass, 3))
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3*chunkRows + 17
	recs := make([][]string, n)
	for i := range recs {
		recs[i] = []string{strconv.FormatFloat(rng.NormFloat64()*3, 'g', -1, 64), []string{"a", "b", "new", ""}[rng.IntN(4)]}
	}
	header := []string{"x", "c"}
	p1, err := m.PredictRecords(header, recs, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	p4, err := m.PredictRecords(header, recs, Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 37 {
		one, err := m.PredictRecords(header, recs[i:i+1], Options{})
		if err != nil {
			t.Fatal(err)
		}
		for c := 0; c < 3; c++ {
			if a, b, s := p1.Proba[i*3+c], p4.Proba[i*3+c], one.Proba[c]; a != b || a != s {
				t.Fatalf("row %d class %d: %v on one thread, %v on four, %v alone", i, c, a, b, s)
			}
		}
		if p1.Class[i] != one.Class[0] {
			t.Fatalf("row %d: class %d in the batch, %d alone", i, p1.Class[i], one.Class[0])
		}
	}
	recs[2*chunkRows+5][0] = "bad"
	recs[chunkRows+9][0] = "worse"
	_, err = m.PredictRecords(header, recs, Options{Threads: 4})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("row %d:", chunkRows+10)) {
		t.Errorf("two bad rows: %v, want the first (row %d)", err, chunkRows+10)
	}
}

// hiddenSpec is a model with a hidden relu layer over x and c (levels a,
// b) for a classification task with k classes.
func hiddenSpec(task string, k int) Spec {
	s := linearSpec()
	s.Info.Task = task
	s.Info.Classes = nil
	out := 1
	if task != Regression {
		for i := 0; i < k; i++ {
			s.Info.Classes = append(s.Info.Classes, fmt.Sprintf("k%d", i))
		}
	}
	if task == Multiclass {
		out = k
	}
	rng := rand.New(rand.NewPCG(3, 4))
	w := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	s.Folds[0].YMean, s.Folds[0].YStd = 0, 1
	s.Folds[0].Layers = []Layer{{In: 4, Out: 5, W: w(20), B: w(5), Act: "relu"}, {In: 5, Out: out, W: w(5 * out), B: w(out)}}
	return s
}

func TestPredictClassProbabilities(t *testing.T) {
	// Binary: one logit x·1 (x standardised: (x-10)/2), p(class 1) = sigmoid.
	s := linearSpec()
	s.Info.Task, s.Info.Classes = Binary, []string{"no", "yes"}
	s.Folds[0].YMean, s.Folds[0].YStd = 0, 1
	s.Folds[0].Layers[0] = Layer{In: 4, Out: 1, W: []float32{0, 0, 1, 0}, B: []float32{0}}
	m := mustNew(t, s)
	p, err := m.PredictRecords([]string{"c", "x"}, [][]string{{"a", "14"}, {"a", "6"}, {"a", "10"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, z := range []float64{2, -2, 0} {
		want := 1 / (1 + math.Exp(-z))
		if pr := p.Probabilities(i); math.Abs(pr[1]-want) > 1e-12 || math.Abs(pr[0]+pr[1]-1) > 1e-12 {
			t.Errorf("row %d: probabilities %v, want p(yes) %v", i+1, pr, want)
		}
	}
	if p.Label(0) != "yes" || p.Label(1) != "no" || p.Label(2) != "no" {
		t.Errorf("labels %q %q %q, want yes no no (a zero logit is class 0, as the trainer decides)", p.Label(0), p.Label(1), p.Label(2))
	}
	// Multiclass: softmax of the logits, the most probable class.
	s = hiddenSpec(Multiclass, 3)
	m = mustNew(t, s)
	p, err = m.PredictRecords([]string{"c", "x"}, [][]string{{"b", "13"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := []float64{0, 1, 1.5, 0} // c=b, x standardised, no missing
	l := s.Folds[0].Layers
	logits := make([]float64, 3)
	for c := range logits {
		logits[c] = float64(l[1].B[c])
		for u := 0; u < 5; u++ {
			a := float64(l[0].B[u])
			for i, v := range h {
				a += v * float64(l[0].W[i*5+u])
			}
			logits[c] += math.Max(a, 0) * float64(l[1].W[u*3+c])
		}
	}
	var sum float64
	best := 0
	for c, z := range logits {
		sum += math.Exp(z)
		if z > logits[best] {
			best = c
		}
	}
	for c, z := range logits {
		if got := p.Proba[c]; math.Abs(got-math.Exp(z)/sum) > 1e-5 {
			t.Errorf("class %d: probability %v, want %v", c, got, math.Exp(z)/sum)
		}
	}
	if p.Class[0] != best {
		t.Errorf("class %d, want %d", p.Class[0], best)
	}
}

func TestEnsembleAveragesByWeight(t *testing.T) {
	a := mustNew(t, linearSpec())
	sb := linearSpec()
	sb.Folds[0].Layers[0].B = []float32{2.5} // +20 on every prediction
	sb.Info.Trial = 4
	b := mustNew(t, sb)
	e, err := NewEnsemble([]*Model{a, b}, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.PredictRecords([]string{"c", "x"}, [][]string{{"a", "12"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (155 + 3*175) / 4.0; math.Abs(p.Value[0]-want) > 1e-9 {
		t.Errorf("ensemble predicts %v, want %v", p.Value[0], want)
	}
	if e.Kind() != KindEnsemble || e.Target() != "y" || len(e.Inputs()) != 2 {
		t.Errorf("ensemble kind %s target %s inputs %v", e.Kind(), e.Target(), e.Inputs())
	}
	if ms, ws := e.Members(); len(ms) != 2 || ws[1] != 3 {
		t.Errorf("members %d, weights %v", len(ms), ws)
	}
	// Classification: probabilities averaged, then the most probable class.
	c1 := mustNew(t, hiddenSpec(Multiclass, 3))
	s2 := hiddenSpec(Multiclass, 3)
	s2.Folds[0].Layers[1].B = []float32{5, 0, 0}
	c2 := mustNew(t, s2)
	ce, err := NewEnsemble([]*Model{c1, c2}, []int{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := [][]string{{"a", "9"}}
	p1, _ := c1.PredictRecords([]string{"c", "x"}, rec, Options{})
	p2, _ := c2.PredictRecords([]string{"c", "x"}, rec, Options{})
	pe, err := ce.PredictRecords([]string{"c", "x"}, rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 3; c++ {
		if want := (2*p1.Proba[c] + p2.Proba[c]) / 3; math.Abs(pe.Proba[c]-want) > 1e-12 {
			t.Errorf("class %d: ensemble %v, want %v", c, pe.Proba[c], want)
		}
	}

	// Members that cannot be averaged.
	other := linearSpec()
	other.Info.Target = "z"
	other.Ignore = []string{"z"}
	renamed := linearSpec()
	renamed.Folds[0].Prep.Cols[1].Name = "w"
	for name, tc := range map[string]struct {
		ms []*Model
		ws []int
	}{
		"another target":  {[]*Model{a, mustNew(t, other)}, []int{1, 1}},
		"another input":   {[]*Model{a, mustNew(t, renamed)}, []int{1, 1}},
		"another task":    {[]*Model{a, c1}, []int{1, 1}},
		"a zero weight":   {[]*Model{a, b}, []int{1, 0}},
		"weights missing": {[]*Model{a, b}, []int{1}},
		"nested":          {[]*Model{a, e}, []int{1, 1}},
		"none":            {nil, nil},
	} {
		if _, err := NewEnsemble(tc.ms, tc.ws); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNewRefusesInconsistentModels(t *testing.T) {
	for name, edit := range map[string]func(s *Spec){
		"layer width":     func(s *Spec) { s.Folds[0].Layers[0].In = 3 },
		"weights count":   func(s *Spec) { s.Folds[0].Layers[0].W = s.Folds[0].Layers[0].W[:3] },
		"output count":    func(s *Spec) { s.Info.Task, s.Info.Classes = Multiclass, []string{"a", "b", "c"} },
		"unknown task":    func(s *Spec) { s.Info.Task = "ranking" },
		"unknown act":     func(s *Spec) { s.Folds[0].Layers[0].Act = "swish" },
		"output act":      func(s *Spec) { s.Folds[0].Layers[0].Act = "relu" },
		"no folds":        func(s *Spec) { s.Folds = nil },
		"no layers":       func(s *Spec) { s.Folds[0].Layers = nil },
		"one-hot offset":  func(s *Spec) { s.Folds[0].Prep.Cols[0].OneHot[1] = 9 },
		"fill level":      func(s *Spec) { s.Folds[0].Prep.Cols[0].Fill = 2 },
		"zero scale":      func(s *Spec) { s.Folds[0].YStd = 0 },
		"input ignored":   func(s *Spec) { s.Ignore = append(s.Ignore, "x") },
		"duplicate level": func(s *Spec) { s.Folds[0].Prep.Cols[0].Levels[1] = "a" },
		"unknown transform": func(s *Spec) {
			s.Folds[0].Prep.Cols[1].Transforms = []data.Transform{{Name: "yeo-johnson"}}
		},
	} {
		s := linearSpec()
		edit(&s)
		if _, err := New(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestPredictConcurrently: one model serves several goroutines at once
// (run under -race).
func TestPredictConcurrently(t *testing.T) {
	m := mustNew(t, hiddenSpec(Multiclass, 3))
	recs := make([][]string, chunkRows+3)
	for i := range recs {
		recs[i] = []string{"a", strconv.Itoa(i % 20)}
	}
	want, err := m.PredictRecords([]string{"c", "x"}, recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			p, err := m.PredictRecords([]string{"c", "x"}, recs, Options{Threads: 2})
			if err == nil && !slices.Equal(p.Proba, want.Proba) {
				err = fmt.Errorf("concurrent prediction differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestEnsembleOfMembersThatReadCellsDifferently: members with other
// category levels or missing tokens each read the cells themselves; the
// result is still the weighted mean of their predictions.
func TestEnsembleOfMembersThatReadCellsDifferently(t *testing.T) {
	a := mustNew(t, hiddenSpec(Multiclass, 3))
	sb := hiddenSpec(Multiclass, 3)
	sb.Folds[0].Prep.Cols[0].Levels = []string{"a", "b", "c"} // c: absent from its training rows
	sb.Folds[0].Prep.Cols[0].OneHot = []int{0, 1, -1}
	sb.Folds[0].Layers[1].B = []float32{0, 3, 0}
	sc := hiddenSpec(Multiclass, 3)
	sc.Missing = append(slices.Clone(data.DefaultMissing), "-")
	for name, other := range map[string]Spec{"levels": sb, "missing tokens": sc} {
		b := mustNew(t, other)
		e, err := NewEnsemble([]*Model{a, b}, []int{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		if e.sharedParse {
			t.Fatalf("%s: members that read cells differently share the parse", name)
		}
		recs := [][]string{{"c", "3"}, {"a", ""}, {"b", "12"}}
		pa, err1 := a.PredictRecords([]string{"c", "x"}, recs, Options{})
		pb, err2 := b.PredictRecords([]string{"c", "x"}, recs, Options{})
		pe, err3 := e.PredictRecords([]string{"c", "x"}, recs, Options{})
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for j := range pe.Proba {
			if want := (pa.Proba[j] + 2*pb.Proba[j]) / 3; math.Abs(pe.Proba[j]-want) > 1e-12 {
				t.Errorf("%s: probability %d: %v, want %v", name, j, pe.Proba[j], want)
			}
		}
	}
}
