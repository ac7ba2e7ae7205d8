// Package benchfn holds the standard test functions used to check and
// benchmark search algorithms: Branin, Hartmann6, Rosenbrock (4-D), Ackley
// (5-D), Levy (4-D), Styblinski-Tang (4-D) and a mixed space with an int and
// a categorical. Each comes with its domain, known minimum and minimiser.
// All are minimised; continuous parameters are named x0..x{d-1}.
package benchfn

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"automl/search/value"
)

// Function is a benchmark function over named parameters.
type Function struct {
	Name string
	// Bounds of each continuous dimension x0..x{d-1} (nil for Mixed).
	Bounds [][2]float64
	// Min is the known global minimum f*; Argmin one minimiser.
	Min    float64
	Argmin value.Values
	// Eval computes f at a point given by name.
	Eval func(v value.Values) (float64, error)
	// SpaceYAML is the parameters section of a space file for it.
	SpaceYAML string
}

// Dim is the number of parameters.
func (f *Function) Dim() int {
	if f.Bounds == nil {
		return 4
	}
	return len(f.Bounds)
}

// Regret is best - f*, clipped at 0.
func (f *Function) Regret(best float64) float64 { return math.Max(0, best-f.Min) }

// continuous wraps a vector function, reading x0..x{d-1}.
func continuous(name string, bounds [][2]float64, min float64, argmin []float64, fn func(x []float64) float64) *Function {
	f := &Function{Name: name, Bounds: bounds, Min: min}
	for i, a := range argmin {
		f.Argmin = append(f.Argmin, value.NamedValue{Name: fmt.Sprintf("x%d", i), Value: value.Float(a)})
	}
	f.Eval = func(v value.Values) (float64, error) {
		x := make([]float64, len(bounds))
		for i := range x {
			val, ok := v.Get(fmt.Sprintf("x%d", i))
			if !ok {
				return 0, fmt.Errorf("%s needs parameter x%d", name, i)
			}
			xi, ok := val.Float()
			if !ok {
				return 0, fmt.Errorf("%s: x%d = %v is not a number", name, i, val)
			}
			x[i] = xi
		}
		return fn(x), nil
	}
	var b strings.Builder
	for i, bd := range bounds {
		fmt.Fprintf(&b, "  x%d: {type: float, low: %v, high: %v}\n", i, bd[0], bd[1])
	}
	f.SpaceYAML = b.String()
	return f
}

func box(d int, lo, hi float64) [][2]float64 {
	b := make([][2]float64, d)
	for i := range b {
		b[i] = [2]float64{lo, hi}
	}
	return b
}

func repeat(d int, x float64) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = x
	}
	return v
}

// Branin (d = 2), three global minima; f* = 10/(8 pi).
func Branin(x []float64) float64 {
	const a, r, s = 1.0, 6.0, 10.0
	b := 5.1 / (4 * math.Pi * math.Pi)
	c := 5 / math.Pi
	t := 1 / (8 * math.Pi)
	y := x[1] - b*x[0]*x[0] + c*x[0] - r
	return a*y*y + s*(1-t)*math.Cos(x[0]) + s
}

var (
	hartAlpha = [4]float64{1.0, 1.2, 3.0, 3.2}
	hartA     = [4][6]float64{
		{10, 3, 17, 3.5, 1.7, 8},
		{0.05, 10, 17, 0.1, 8, 14},
		{3, 3.5, 1.7, 10, 17, 8},
		{17, 8, 0.05, 10, 0.1, 14},
	}
	hartP = [4][6]float64{
		{1312, 1696, 5569, 124, 8283, 5886},
		{2329, 4135, 8307, 3736, 1004, 9991},
		{2348, 1451, 3522, 2883, 3047, 6650},
		{4047, 8828, 8732, 5743, 1091, 381},
	}
)

// Hartmann6 (d = 6) on [0, 1]^6.
func Hartmann6(x []float64) float64 {
	sum := 0.0
	for i := 0; i < 4; i++ {
		inner := 0.0
		for j := 0; j < 6; j++ {
			d := x[j] - hartP[i][j]*1e-4
			inner += hartA[i][j] * d * d
		}
		sum += hartAlpha[i] * math.Exp(-inner)
	}
	return -sum
}

// Rosenbrock in any dimension.
func Rosenbrock(x []float64) float64 {
	s := 0.0
	for i := 0; i+1 < len(x); i++ {
		a := x[i+1] - x[i]*x[i]
		b := x[i] - 1
		s += 100*a*a + b*b
	}
	return s
}

// Ackley in any dimension.
func Ackley(x []float64) float64 {
	const a, b = 20.0, 0.2
	c := 2 * math.Pi
	d := float64(len(x))
	s1, s2 := 0.0, 0.0
	for _, xi := range x {
		s1 += xi * xi
		s2 += math.Cos(c * xi)
	}
	return -a*math.Exp(-b*math.Sqrt(s1/d)) - math.Exp(s2/d) + a + math.E
}

// Levy in any dimension.
func Levy(x []float64) float64 {
	d := len(x)
	w := func(i int) float64 { return 1 + (x[i]-1)/4 }
	sq := func(v float64) float64 { return v * v }
	s := sq(math.Sin(math.Pi * w(0)))
	for i := 0; i < d-1; i++ {
		s += sq(w(i)-1) * (1 + 10*sq(math.Sin(math.Pi*w(i)+1)))
	}
	s += sq(w(d-1)-1) * (1 + sq(math.Sin(2*math.Pi*w(d-1))))
	return s
}

// StyblinskiTang in any dimension.
func StyblinskiTang(x []float64) float64 {
	s := 0.0
	for _, xi := range x {
		s += xi*xi*xi*xi - 16*xi*xi + 5*xi
	}
	return s / 2
}

// StyblinskiTangArgmin is the minimiser of each coordinate (the smallest
// root of 4x^3 - 32x + 5).
const StyblinskiTangArgmin = -2.903534027771177

var (
	mixedBase = map[string]float64{"a": 0.5, "b": 0.0, "c": 1.0, "d": 2.0}
	mixedK    = map[string]float64{"a": 7, "b": -3, "c": 0, "d": 10}
	mixedM    = map[string][2]float64{"a": {2, -1}, "b": {-1.5, 2.5}, "c": {0, 0}, "d": {-4, -4}}
)

// Mixed is the mixed-type function (x1, x2 in [-5, 5], k int in [-10, 10],
// c in {a, b, c, d}); f* = 0 at c = b, k = -3, x = (-1.5, 2.5).
func Mixed(x1, x2 float64, k int64, c string) (float64, error) {
	base, ok := mixedBase[c]
	if !ok {
		return 0, fmt.Errorf("mixed: c = %q is not one of a, b, c, d", c)
	}
	m := mixedM[c]
	dk := float64(k) - mixedK[c]
	f := base + 0.1*dk*dk
	for i, xi := range []float64{x1, x2} {
		d := xi - m[i]
		f += d*d + 1 - math.Cos(2*math.Pi*d)
	}
	return f, nil
}

var all = map[string]*Function{}

func init() {
	for _, f := range []*Function{
		continuous("branin", [][2]float64{{-5, 10}, {0, 15}}, 10/(8*math.Pi), []float64{math.Pi, 2.275}, Branin),
		continuous("hartmann6", box(6, 0, 1), -3.322368011415515,
			[]float64{0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054}, Hartmann6),
		continuous("rosenbrock4", box(4, -5, 10), 0, repeat(4, 1), Rosenbrock),
		continuous("ackley5", box(5, -32.768, 32.768), 0, repeat(5, 0), Ackley),
		continuous("levy4", box(4, -10, 10), 0, repeat(4, 1), Levy),
		continuous("styblinski_tang4", box(4, -5, 5), -156.66466281508565, repeat(4, StyblinskiTangArgmin), StyblinskiTang),
		mixed(),
	} {
		all[f.Name] = f
	}
}

func mixed() *Function {
	return &Function{
		Name: "mixed",
		Min:  0,
		Argmin: value.Values{
			{Name: "x1", Value: value.Float(-1.5)}, {Name: "x2", Value: value.Float(2.5)},
			{Name: "k", Value: value.Int(-3)}, {Name: "c", Value: value.String("b")},
		},
		Eval: func(v value.Values) (float64, error) {
			get := func(n string) (value.Value, error) {
				val, ok := v.Get(n)
				if !ok {
					return val, fmt.Errorf("mixed needs parameter %s", n)
				}
				return val, nil
			}
			var vals [4]value.Value
			for i, n := range []string{"x1", "x2", "k", "c"} {
				val, err := get(n)
				if err != nil {
					return 0, err
				}
				vals[i] = val
			}
			x1, ok1 := vals[0].Float()
			x2, ok2 := vals[1].Float()
			k, ok3 := vals[2].Int()
			if !ok1 || !ok2 || !ok3 {
				return 0, fmt.Errorf("mixed: x1, x2 must be numbers and k an integer")
			}
			return Mixed(x1, x2, k, vals[3].String())
		},
		SpaceYAML: "  x1: {type: float, low: -5, high: 5}\n  x2: {type: float, low: -5, high: 5}\n" +
			"  k: {type: int, low: -10, high: 10}\n  c: {type: categorical, choices: [a, b, c, d]}\n",
	}
}

// Get returns a function by name (branin, hartmann6, rosenbrock4, ackley5,
// levy4, styblinski_tang4, mixed). The short names rosenbrock, ackley, levy
// and styblinski_tang are accepted too.
func Get(name string) (*Function, bool) {
	if f, ok := all[name]; ok {
		return f, true
	}
	for _, suffix := range []string{"4", "5", "6"} {
		if f, ok := all[name+suffix]; ok {
			return f, true
		}
	}
	return nil, false
}

// Names lists the functions, sorted.
func Names() []string {
	out := make([]string, 0, len(all))
	for n := range all {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
