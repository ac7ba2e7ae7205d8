package searchtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/value"
)

// Continuous reports whether a parameter takes a continuum of values, where
// a round trip holds only up to rounding.
func Continuous(p *search.Param) bool { return p.Type == search.FloatParam && p.Levels() == 0 }

// CloseEnough compares continuous values: a few ulps of the range's scale.
func CloseEnough(p *search.Param, a, b float64) bool {
	scale := math.Max(math.Abs(p.Low), math.Abs(p.High))
	if p.Log {
		scale = math.Max(math.Abs(a), math.Abs(b))
	}
	return math.Abs(a-b) <= 1e-13*scale
}

// SamePoint asserts q == p: the same kind everywhere, the same value for
// discrete parameters, and equal up to rounding for continuous floats.
func SamePoint(t testing.TB, s *search.Space, p, q search.Point, context string) {
	t.Helper()
	if len(p) != len(q) {
		t.Fatalf("%s: %d values, want %d", context, len(q), len(p))
	}
	for i := range p {
		prm := &s.Params[i]
		if p[i].Kind() != q[i].Kind() {
			t.Fatalf("%s: %s: kind %v, want %v (%v vs %v)", context, prm.Name, q[i].Kind(), p[i].Kind(), q[i], p[i])
		}
		if p[i] == q[i] {
			continue
		}
		a, _ := p[i].Float()
		b, _ := q[i].Float()
		if !Continuous(prm) || !CloseEnough(prm, a, b) {
			t.Fatalf("%s: %s = %v, want %v", context, prm.Name, q[i], p[i])
		}
	}
}

// RandomUnit draws a unit vector, with now and then a coordinate exactly
// 0, exactly 1, outside [0, 1] or NaN (Decode clamps and defaults those).
func RandomUnit(rng *rand.Rand, dim int) []float64 {
	u := make([]float64, dim)
	for i := range u {
		switch r := rng.IntN(40); r {
		case 0:
			u[i] = 0
		case 1:
			u[i] = 1
		case 2:
			u[i] = math.NaN()
		case 3:
			u[i] = rng.Float64()*4 - 2
		default:
			u[i] = rng.Float64()
		}
	}
	return u
}

// Floats, Ints and Strings make value lists for tests.
func Floats(xs ...float64) []value.Value {
	out := make([]value.Value, len(xs))
	for i, x := range xs {
		out[i] = value.Float(x)
	}
	return out
}

func Ints(ns ...int64) []value.Value {
	out := make([]value.Value, len(ns))
	for i, n := range ns {
		out[i] = value.Int(n)
	}
	return out
}

func Strings(ss ...string) []value.Value {
	out := make([]value.Value, len(ss))
	for i, s := range ss {
		out[i] = value.String(s)
	}
	return out
}
