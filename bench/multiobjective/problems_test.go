package main

import (
	"fmt"
	"math"
	"testing"

	"automl/search/pareto"
	"automl/search/value"
)

// frontPoints evaluates configurations on each problem's true front: a
// dense sample whose hypervolume must approach TrueHV from below.
func frontPoints(t *testing.T, p *problem) [][]float64 {
	t.Helper()
	var pts [][]float64
	eval := func(vs value.Values) {
		f, err := p.Eval(vs)
		if err != nil {
			t.Fatal(err)
		}
		pts = append(pts, f)
	}
	cube := func(x0, x1, rest float64) value.Values {
		vs := value.Values{{Name: "x0", Value: value.Float(x0)}, {Name: "x1", Value: value.Float(x1)}}
		for i := 2; i < d; i++ {
			vs = append(vs, value.NamedValue{Name: fmt.Sprintf("x%d", i), Value: value.Float(rest)})
		}
		return vs
	}
	const n = 400
	for i := 0; i <= n; i++ {
		a := float64(i) / n
		switch p.Name {
		case "dtlz2":
			for j := 0; j <= n; j++ {
				eval(cube(a, float64(j)/n, 0.5))
			}
		case "mixed":
			eval(value.Values{{Name: "x0", Value: value.Float(a)}, {Name: "x1", Value: value.Float(0)}, {Name: "n", Value: value.Int(0)},
				{Name: "kind", Value: value.String("c")}, {Name: "z", Value: value.Float(0)}})
		default:
			eval(cube(a, 0, 0))
		}
	}
	return pts
}

func TestTrueHypervolumes(t *testing.T) {
	ps, err := problems()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zdt1", "zdt2", "zdt3", "dtlz2", "mixed"} {
		p := ps[name]
		hv, err := pareto.Hypervolume(frontPoints(t, p), p.Ref)
		if err != nil {
			t.Fatal(err)
		}
		// A sample of the front dominates a little less than the front.
		if gap := p.TrueHV - hv; gap < -1e-9 || gap > 0.01*p.TrueHV {
			t.Errorf("%s: a dense sample of the true front has hypervolume %.6f, TrueHV %.6f", name, hv, p.TrueHV)
		}
	}
}

// Off the front (g > 1), each problem's points are dominated by its front.
func TestOffFrontIsWorse(t *testing.T) {
	ps, err := problems()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := ps["mixed"].Eval(value.Values{{Name: "x0", Value: value.Float(0.25)}, {Name: "x1", Value: value.Float(0)}, {Name: "n", Value: value.Int(0)},
		{Name: "kind", Value: value.String("a")}})
	if want := 1 + 9*0.5/3; math.Abs(f[1]-(want-math.Sqrt(0.25*want))) > 1e-12 {
		t.Errorf("mixed, kind a: f = %v, want g = %v", f, want)
	}
	if _, err := ps["mixed"].Eval(value.Values{{Name: "x0", Value: value.Float(0.25)}, {Name: "x1", Value: value.Float(0)}, {Name: "n", Value: value.Int(0)},
		{Name: "kind", Value: value.String("c")}}); err == nil {
		t.Error("mixed, kind c without z: no error")
	}
}
