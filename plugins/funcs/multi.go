package funcs

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"automl/search/benchfn"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// multiFunc is a test function of several objectives: it reports one
// metric per objective (f1, f2, ...) and not "value".
type multiFunc struct {
	fn      *benchfn.Function // its parameters (Argmin: one point of its front)
	metrics []string
	eval    func(x []float64) []float64
}

// multiFuncs are the functions of several objectives, by name.
var multiFuncs = map[string]*multiFunc{"zdt1": zdt1()}

// zdt1 is ZDT1 in 6 variables on [0, 1]: f1 = x0, g = 1 + 9 mean(x1..x5),
// f2 = g (1 - sqrt(f1 / g)), both minimised. Its Pareto front is
// f2 = 1 - sqrt(f1), where x1..x5 are 0.
func zdt1() *multiFunc {
	const d = 6
	bounds := make([][2]float64, d)
	argmin := make(value.Values, d)
	for i := range bounds {
		bounds[i] = [2]float64{0, 1}
		argmin[i] = value.NamedValue{Name: fmt.Sprintf("x%d", i), Value: value.Float(0)}
	}
	eval := func(x []float64) []float64 {
		g := 0.0
		for _, v := range x[1:] {
			g += v
		}
		g = 1 + 9*g/float64(len(x)-1)
		return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}
	}
	f := &benchfn.Function{Name: "zdt1", Bounds: bounds, Argmin: argmin}
	m := &multiFunc{fn: f, metrics: []string{"f1", "f2"}, eval: eval}
	f.Eval = func(v value.Values) (float64, error) {
		out, err := m.evalValues(v)
		if err != nil {
			return 0, err
		}
		return out[0], nil
	}
	return m
}

// evalValues reads x0..x{d-1} and evaluates.
func (m *multiFunc) evalValues(v value.Values) ([]float64, error) {
	x := make([]float64, len(m.fn.Bounds))
	for i := range x {
		name := fmt.Sprintf("x%d", i)
		xv, ok := v.Get(name)
		if !ok {
			return nil, fmt.Errorf("%s: missing parameter %q", m.fn.Name, name)
		}
		f, ok := xv.Float()
		if !ok {
			return nil, fmt.Errorf("%s: parameter %q is not a number", m.fn.Name, name)
		}
		x[i] = f
	}
	return m.eval(x), nil
}

// values are what a function reports at the trial's parameters: "value",
// or one metric per objective of a multiFunc.
func values(cfg Config, params value.Values) (trial.Metrics, error) {
	if m, ok := multiFuncs[cfg.Function.Name]; ok {
		fs, err := m.evalValues(params)
		if err != nil {
			return nil, err
		}
		out := trial.Metrics{}
		for i, name := range m.metrics {
			out[name] = fs[i]
		}
		return out, nil
	}
	f, err := cfg.Function.Eval(params)
	return trial.Metrics{Metric: f}, err
}

// lookup finds a function of one objective (benchfn) or several.
func lookup(name string) (*benchfn.Function, bool) {
	if m, ok := multiFuncs[name]; ok {
		return m.fn, true
	}
	return benchfn.Get(name)
}

// functionNames lists every function the trainer evaluates.
func functionNames() []string {
	names := benchfn.Names()
	for n := range multiFuncs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// reported is the metrics the function reports.
func reported(f *benchfn.Function) []string {
	if m, ok := multiFuncs[f.Name]; ok {
		return m.metrics
	}
	return []string{Metric}
}

// checkMetrics checks that every objective and constraint of the study
// is a metric the function reports.
func checkMetrics(s *spacefile.File, f *benchfn.Function) []error {
	rep := reported(f)
	var errs []error
	g := s.Goals()
	for i, o := range g.Objectives {
		if slices.Contains(rep, o.Metric) {
			continue
		}
		where := "objective.metric"
		if g.Multi() {
			where = fmt.Sprintf("objectives[%d].metric", i)
		}
		if len(rep) == 1 && !g.Multi() {
			errs = append(errs, s.MetricError("the funcs trainer reports the metric %q, not %q; set objective.metric: %s", Metric, o.Metric, Metric))
			continue
		}
		errs = append(errs, s.TrainerError(where, "the funcs trainer's %s reports %s, not %q", f.Name, strings.Join(rep, ", "), o.Metric))
	}
	for i, c := range g.Constraints {
		if !slices.Contains(rep, c.Metric) {
			errs = append(errs, s.TrainerError(fmt.Sprintf("constraints[%d].metric", i), "the funcs trainer's %s reports %s, not %q", f.Name, strings.Join(rep, ", "), c.Metric))
		}
	}
	return errs
}
