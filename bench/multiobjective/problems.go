package main

import (
	"fmt"
	"math"
	"strings"

	"automl/search/pareto"
	"automl/search/value"
)

// problem is one function of several objectives with a known Pareto
// front, or a constrained one (of one objective or several) with a known
// optimum.
type problem struct {
	Name string
	Doc  string
	// Params is the space file's parameters section.
	Params string
	// K is the number of objectives (all minimised).
	K int
	// Eval computes the objectives of a configuration.
	Eval func(vs value.Values) ([]float64, error)
	// Ref is the fixed reference point of the hypervolume: the nadir of
	// the objectives' ranges over the box, plus 10% of each range.
	Ref []float64
	// TrueHV is the hypervolume of the true Pareto front against Ref.
	TrueHV float64
	// NC is the number of constraints: Eval returns K objectives, then
	// NC values each feasible when at most 0 (metrics c1..cNC).
	NC int
	// Opt is the known (constrained) minimum of a problem of one
	// objective, whose figure is the best feasible value's regret.
	Opt float64
	// Feasible is the share of the box that is feasible (constrained
	// problems), and Box the bounds of x0..x{n-1} where the space is a box.
	Feasible float64
	Box      [][2]float64
}

// d is the number of variables of ZDT and DTLZ2.
const d = 6

// cubeParams is d floats x0..x5 on [0, 1].
func cubeParams() string {
	var b strings.Builder
	for i := range d {
		fmt.Fprintf(&b, "  x%d: {type: float, low: 0, high: 1}\n", i)
	}
	return b.String()
}

// floats reads the named float parameters in order.
func floats(vs value.Values, names ...string) ([]float64, error) {
	out := make([]float64, len(names))
	for i, n := range names {
		v, ok := vs.Get(n)
		x, isNum := v.Float()
		if !ok || !isNum {
			return nil, fmt.Errorf("parameter %s: missing or not a number (%v)", n, v)
		}
		out[i] = x
	}
	return out, nil
}

func cubeNames() []string {
	ns := make([]string, d)
	for i := range ns {
		ns[i] = fmt.Sprintf("x%d", i)
	}
	return ns
}

func zdtG(x []float64) float64 {
	s := 0.0
	for _, v := range x[1:] {
		s += v
	}
	return 1 + 9*s/float64(len(x)-1)
}

func zdt1(x []float64) []float64 {
	g := zdtG(x)
	return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}
}

func zdt2(x []float64) []float64 {
	g := zdtG(x)
	return []float64{x[0], g * (1 - (x[0]/g)*(x[0]/g))}
}

func zdt3(x []float64) []float64 {
	g := zdtG(x)
	h := x[0] / g
	return []float64{x[0], g * (1 - math.Sqrt(h) - h*math.Sin(10*math.Pi*x[0]))}
}

func dtlz2(x []float64) []float64 {
	g := 0.0
	for _, v := range x[2:] {
		g += (v - 0.5) * (v - 0.5)
	}
	a, b := x[0]*math.Pi/2, x[1]*math.Pi/2
	return []float64{(1 + g) * math.Cos(a) * math.Cos(b), (1 + g) * math.Cos(a) * math.Sin(b), (1 + g) * math.Sin(a)}
}

func onCube(name, doc string, k int, fn func([]float64) []float64, ref []float64, trueHV float64) *problem {
	return &problem{Name: name, Doc: doc, Params: cubeParams(), K: k, Ref: ref, TrueHV: trueHV,
		Eval: func(vs value.Values) ([]float64, error) {
			x, err := floats(vs, cubeNames()...)
			if err != nil {
				return nil, err
			}
			return fn(x), nil
		}}
}

// mixedParams is the mixed space: ZDT1's shape with g = 1 + 9 (x1 + n/10
// + pen)/3, where pen is 0.5 for kind a, 1 for kind b and z for kind c (z
// in [0, 1], a parameter only kind c has). The front is ZDT1's (x1 = 0, n
// = 0, kind c, z = 0): a search must find the categorical's best choice
// and then its conditional parameter's best value.
const mixedParams = `  x0: {type: float, low: 0, high: 1}
  x1: {type: float, low: 0, high: 1}
  n: {type: int, low: 0, high: 10}
  kind: {type: categorical, choices: [a, b, c]}
  z: {type: float, low: 0, high: 1, when: {kind: c}}
`

func mixed(vs value.Values) ([]float64, error) {
	x, err := floats(vs, "x0", "x1", "n")
	if err != nil {
		return nil, err
	}
	k, _ := vs.Get("kind")
	var pen float64
	switch s, _ := k.Str(); s {
	case "a":
		pen = 0.5
	case "b":
		pen = 1
	case "c":
		z, err := floats(vs, "z")
		if err != nil {
			return nil, err
		}
		pen = z[0]
	default:
		return nil, fmt.Errorf("parameter kind: %v is not a, b or c", k)
	}
	g := 1 + 9*(x[1]+x[2]/10+pen)/3
	return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}, nil
}

// problems builds the benchmark's problems, their true hypervolumes
// computed once.
func problems() (map[string]*problem, error) {
	// ZDT: f1 in [0, 1], f2 in [0, 10] over the box (ZDT3's f2 a little
	// below 0 on its front), so the reference is (1.1, 11).
	zref := []float64{1.1, 11}
	z1 := 1.1*11 - 1.0/3 // the box less the area under f2 = 1 - sqrt(f1), f1 in [0, 1]
	z2 := 1.1*11 - 2.0/3 // ... under f2 = 1 - f1²
	// DTLZ2: every objective in [0, 2] over the box, reference 2.2 each;
	// the front is the unit sphere's octant, and a point of the positive
	// octant is dominated by it exactly when it lies outside the unit ball.
	dref := []float64{2.2, 2.2, 2.2}
	dhv := 2.2*2.2*2.2 - math.Pi/6
	z3, err := pareto.Hypervolume(zdt3Front(), zref)
	if err != nil {
		return nil, fmt.Errorf("zdt3's true front: %w", err)
	}
	ps := []*problem{
		onCube("zdt1", "ZDT1, 6 variables: convex front f2 = 1 - sqrt(f1)", 2, zdt1, zref, z1),
		onCube("zdt2", "ZDT2, 6 variables: concave front f2 = 1 - f1²", 2, zdt2, zref, z2),
		onCube("zdt3", "ZDT3, 6 variables: a front of five disconnected pieces", 2, zdt3, zref, z3),
		onCube("dtlz2", "DTLZ2, 3 objectives, 6 variables: the unit sphere's octant", 3, dtlz2, dref, dhv),
		{Name: "mixed", Doc: "ZDT1's front over a float, an int, a categorical and a float conditional on it", Params: mixedParams, K: 2, Eval: mixed, Ref: zref, TrueHV: z1},
	}
	cons, err := constrainedProblems()
	if err != nil {
		return nil, err
	}
	out := map[string]*problem{}
	for _, p := range append(ps, cons...) {
		out[p.Name] = p
	}
	return out, nil
}

// zdt3Front is a dense sample of ZDT3's objective curve at g = 1 (f1 in
// [0, 1]); its non-dominated points are the true front.
func zdt3Front() [][]float64 {
	const n = 200001
	pts := make([][]float64, n)
	for i := range pts {
		x := make([]float64, d)
		x[0] = float64(i) / (n - 1)
		pts[i] = zdt3(x)
	}
	return pts
}
