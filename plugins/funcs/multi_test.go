package funcs

import (
	"context"
	"math"
	"strings"
	"testing"

	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

func xs(v ...float64) value.Values {
	out := make(value.Values, len(v))
	for i, x := range v {
		out[i] = value.NamedValue{Name: "x" + string(rune('0'+i)), Value: value.Float(x)}
	}
	return out
}

// TestZDT1: f1 = x0, f2 = g (1 - sqrt(f1/g)) with g = 1 + 9 mean(x1..x5);
// on the front (x1..x5 = 0) f2 = 1 - sqrt(f1). It reports f1 and f2, not
// value, at once and along a span.
func TestZDT1(t *testing.T) {
	for _, tc := range []struct {
		x      value.Values
		f1, f2 float64
	}{
		{xs(0.25, 0, 0, 0, 0, 0), 0.25, 0.5},
		{xs(1, 0, 0, 0, 0, 0), 1, 0},
		{xs(0.25, 1, 1, 1, 1, 1), 0.25, 10 * (1 - math.Sqrt(0.025))},
	} {
		res, err := Runner{}.Run(context.Background(), spec("zdt1", tc.x, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		m := res.Metrics
		if _, has := m[Metric]; has || math.Abs(m["f1"]-tc.f1) > 1e-12 || math.Abs(m["f2"]-tc.f2) > 1e-12 {
			t.Errorf("zdt1(%v) = %v, want f1 %v, f2 %v", tc.x, m, tc.f1, tc.f2)
		}
	}
	sp := spec("zdt1", xs(0.25, 0, 0, 0, 0, 0), nil)
	sp.To = 3
	var got []trial.Metrics
	res, err := Runner{}.Run(context.Background(), sp, reporterFunc(func(m trial.Metrics) { got = append(got, m) }))
	if err != nil || len(got) != 3 || math.Abs(res.Metrics["f1"]-0.25) > 1e-12 || math.Abs(res.Metrics["f2"]-0.5) > 1e-12 {
		t.Errorf("over a span: %v, %v, reports %v", res, err, got)
	}
	if _, err := (Runner{}).Run(context.Background(), spec("zdt1", xs(0.5), nil), nil); err == nil || !strings.Contains(err.Error(), `missing parameter "x1"`) {
		t.Errorf("missing parameter: %v", err)
	}
}

type reporterFunc func(trial.Metrics)

func (f reporterFunc) Report(_ context.Context, _ float64, m trial.Metrics) (trial.Directive, error) {
	f(m)
	return trial.Continue, nil
}

func TestZDT1SpaceFileChecks(t *testing.T) {
	params := "parameters:\n"
	for i := 0; i < 6; i++ {
		params += "  x" + string(rune('0'+i)) + ": {type: float, low: 0, high: 1}\n"
	}
	trainer := "trainer: {plugin: funcs, config: {function: zdt1}}\n"
	good := "objectives: [{metric: f1, direction: minimize}, {metric: f2, direction: minimize}]\nconstraints: [{metric: f1, min: 0.1}]\n"
	if _, err := spacefile.Parse("z.yaml", []byte(good+trainer+params)); err != nil {
		t.Errorf("a good zdt1 study: %v", err)
	}
	for bad, want := range map[string]string{
		"objectives: [{metric: f1, direction: minimize}, {metric: value, direction: minimize}]\n": `objectives[1].metric: the funcs trainer's zdt1 reports f1, f2, not "value"`,
		"objective: {metric: f2, direction: minimize}\nconstraints: [{metric: f3, max: 1}]\n":     `constraints[0].metric: the funcs trainer's zdt1 reports f1, f2, not "f3"`,
	} {
		_, err := spacefile.Parse("z.yaml", []byte(bad+trainer+params))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", bad, err, want)
		}
	}
	// A function of one objective reports value only, constraints too.
	_, err := spacefile.Parse("b.yaml", []byte("objective: {metric: value, direction: minimize}\nconstraints: [{metric: f1, max: 1}]\ntrainer: {plugin: funcs, config: {function: branin}}\nparameters:\n  x0: {type: float, low: -5, high: 10}\n  x1: {type: float, low: 0, high: 15}\n"))
	if err == nil || !strings.Contains(err.Error(), `branin reports value, not "f1"`) {
		t.Errorf("branin with a constraint on f1: %v", err)
	}
}
