package search_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/search/value"
	"automl/spacefile"
)

// kindsYAML has every kind of parameter, conditions with one and several
// values and parents, and nesting (units_3 hangs off layers_if, itself
// conditional on c_str).
const kindsYAML = `
objective: {metric: loss, direction: minimize}
trainer: {plugin: ./trainer}
parameters:
  f_lin:  {type: float, low: -2.5, high: 7.25}
  f_tenth: {type: float, low: 0.1, high: 0.7}
  f_log:  {type: float, low: 1.0e-5, high: 0.1, log: true}
  f_step: {type: float, low: 0.1, high: 0.9, step: 0.2}
  f_grid: {type: float, low: 0, high: 1, grid: [0.0, 0.25, 1]}
  i_lin:  {type: int, low: -3, high: 4}
  i_log:  {type: int, low: 1, high: 1000, log: true}
  i_step: {type: int, low: 16, high: 128, step: 16}
  i_two:  {type: int, low: 0, high: 1}
  c_str:  {type: categorical, choices: [adam, sgd, "true", "64"]}
  c_num:  {type: categorical, choices: [32, 64, 0.5, -1]}
  c_bool: {type: categorical, choices: [true, false]}
  c_mix:  {type: categorical, choices: [1, "1", true, 1.5, x]}
  c_one:  {type: categorical, choices: [only]}
  momentum:  {type: float, low: 0.5, high: 0.99, when: {c_str: sgd}}
  layers_if: {type: int, low: 1, high: 3, when: {c_str: [adam, sgd]}}
  units_3:   {type: int, low: 8, high: 64, log: true, when: {layers_if: 3}}
  width:     {type: categorical, choices: [narrow, wide], when: {layers_if: [2, 3], c_bool: true}}
`

func mustParse(t testing.TB, yaml string) *search.Space {
	t.Helper()
	f, err := spacefile.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return f.Space
}

// oneParam parses a space with the single parameter x defined by def.
func oneParam(t testing.TB, def string) *search.Space {
	t.Helper()
	return mustParse(t, "objective: {metric: loss, direction: minimize}\ntrainer: {plugin: ./trainer}\nparameters:\n  x: "+def+"\n")
}

func TestDecodeEncodeRoundTrip(t *testing.T) {
	s := mustParse(t, kindsYAML)
	for seed := uint64(1); seed <= 64; seed++ {
		rng := rand.New(rand.NewPCG(seed, 2*seed+1))
		for range 100 {
			p := s.Decode(searchtest.RandomUnit(rng, s.Dim()))
			if err := s.Check(p); err != nil {
				t.Fatalf("seed %d: Check(Decode(u)): %v", seed, err)
			}
			enc := s.Encode(p)
			for i, x := range enc {
				if p[i].IsAbsent() != math.IsNaN(x) {
					t.Fatalf("seed %d: %s = %v encodes to %v; inactive <=> NaN", seed, s.Params[i].Name, p[i], x)
				}
				if !math.IsNaN(x) && (x < 0 || x > 1) {
					t.Fatalf("seed %d: %s = %v encodes to %v, outside [0, 1]", seed, s.Params[i].Name, p[i], x)
				}
			}
			searchtest.SamePoint(t, s, p, s.Decode(enc), fmt.Sprintf("seed %d: Decode(Encode(%v))", seed, p))
		}
	}
}

// TestEncodeDecodeSameCell: a unit vector and the encoding of its decoding
// fall in the same cell of every discrete parameter, and at the same place
// for a continuous one.
func TestEncodeDecodeSameCell(t *testing.T) {
	s := mustParse(t, kindsYAML)
	cellOf := func(u float64, n int) int { return min(n-1, max(0, int(u*float64(n)))) }
	for seed := uint64(1); seed <= 32; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		for range 100 {
			u := searchtest.RandomUnit(rng, s.Dim())
			p := s.Decode(u)
			v := s.Encode(p)
			for i := range s.Params {
				prm := &s.Params[i]
				if p[i].IsAbsent() {
					if !math.IsNaN(v[i]) {
						t.Fatalf("inactive %s encodes to %v, want NaN", prm.Name, v[i])
					}
					continue
				}
				ui := 0.5 // what Decode reads for NaN
				if !math.IsNaN(u[i]) {
					ui = min(1, max(0, u[i]))
				}
				switch n := prm.Levels(); {
				case prm.Type == search.IntParam && prm.Log:
					// Cells of unequal width (log scale): same cell, same value.
					if w := s.Decode(v); w[i] != p[i] {
						t.Fatalf("%s: u %v -> %v -> %v -> %v", prm.Name, ui, p[i], v[i], w[i])
					}
				case n > 0:
					if cellOf(ui, n) != cellOf(v[i], n) {
						t.Fatalf("%s: u %v in cell %d, Encode(Decode(u)) = %v in cell %d of %d", prm.Name, ui, cellOf(ui, n), v[i], cellOf(v[i], n), n)
					}
				default:
					if math.Abs(v[i]-ui) > 1e-12 {
						t.Fatalf("%s: u %v, Encode(Decode(u)) = %v", prm.Name, ui, v[i])
					}
				}
			}
		}
	}
}

// TestEdgeValuesRoundTrip checks Decode(Encode(p)) == p exactly for the
// values a user cares most about: low, high, every choice and every value
// of small discrete ranges.
func TestEdgeValuesRoundTrip(t *testing.T) {
	intRange := func(lo, hi, step int64) []value.Value {
		var out []value.Value
		for n := lo; n <= hi; n += step {
			out = append(out, value.Int(n))
		}
		return out
	}
	cases := []struct {
		def    string
		values []value.Value // must round-trip exactly
		levels int           // distinct values Decode can give (0: continuous)
	}{
		{"{type: float, low: -2.5, high: 7.25}", searchtest.Floats(-2.5, 7.25), 0},
		{"{type: float, low: 0.1, high: 0.7}", searchtest.Floats(0.1, 0.7), 0},
		{"{type: float, low: -1.0e+300, high: 1.0e+300}", searchtest.Floats(-1e300, 1e300), 0},
		{"{type: float, low: 1.0e-5, high: 0.1, log: true}", searchtest.Floats(1e-5, 0.1), 0},
		{"{type: float, low: 3, high: 7, log: true}", searchtest.Floats(3, 7), 0},
		{"{type: float, low: 0.1, high: 0.9, step: 0.2}", searchtest.Floats(0.1, 0.9), 5},
		{"{type: float, low: -1, high: 1, step: 0.25}", searchtest.Floats(-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1), 9},
		{"{type: float, low: 0, high: 1, grid: [0.0, 0.25, 1]}", searchtest.Floats(0, 0.25, 1), 3},
		{"{type: int, low: -3, high: 4}", intRange(-3, 4, 1), 8},
		{"{type: int, low: 0, high: 1}", intRange(0, 1, 1), 2},
		{"{type: int, low: 16, high: 128, step: 16}", intRange(16, 128, 16), 8},
		{"{type: int, low: 1, high: 1000, log: true}", intRange(1, 1000, 1), 1000},
		{"{type: int, low: 1, high: 2, log: true}", intRange(1, 2, 1), 2},
		// The widest int ranges the parser accepts.
		{"{type: int, low: 1, high: 1.0e+13, log: true}", searchtest.Ints(1, 2, 3, 1e6, 1e13-1, 1e13), int(1e13)},
		{"{type: int, low: -1.0e+13, high: 1.0e+13}", searchtest.Ints(-1e13, -1e13+1, -1, 0, 1, 1e13-1, 1e13), int(2e13 + 1)},
		{"{type: int, low: 0, high: 100, grid: [0, 10, 100]}", searchtest.Ints(0, 10, 100), 3},
		{"{type: categorical, choices: [adam, sgd, 'true', '64']}", searchtest.Strings("adam", "sgd", "true", "64"), 4},
		{"{type: categorical, choices: [32, 64, 0.5, -1]}", []value.Value{value.Int(32), value.Int(64), value.Float(0.5), value.Int(-1)}, 4},
		{"{type: categorical, choices: [true, false]}", []value.Value{value.Bool(true), value.Bool(false)}, 2},
		{"{type: categorical, choices: [1, '1', true, 1.5, x]}", []value.Value{value.Int(1), value.String("1"), value.Bool(true), value.Float(1.5), value.String("x")}, 5},
		{"{type: categorical, choices: [only]}", searchtest.Strings("only"), 1},
	}
	for _, c := range cases {
		t.Run(c.def, func(t *testing.T) {
			s := oneParam(t, c.def)
			prm := &s.Params[0]
			if got := prm.Levels(); got != c.levels {
				t.Errorf("Levels() = %d, want %d", got, c.levels)
			}
			seen := map[value.Value]bool{}
			for _, v := range c.values {
				p := search.Point{v}
				if err := s.Check(p); err != nil {
					t.Fatalf("Check(%v): %v", v, err)
				}
				u := s.Encode(p)
				q := s.Decode(u)
				if q[0] != v {
					t.Errorf("Decode(Encode(%v)) = Decode(%v) = %v", v, u[0], q[0])
				}
				seen[q[0]] = true
			}
			if len(seen) != len(c.values) {
				t.Errorf("%d values decode to only %d distinct ones", len(c.values), len(seen))
			}
			// low at u = 0 and high at u = 1, exactly.
			lo, hi := s.Decode([]float64{0})[0], s.Decode([]float64{1})[0]
			if lo != c.values[0] || hi != c.values[len(c.values)-1] {
				t.Errorf("Decode(0), Decode(1) = %v, %v; want %v, %v", lo, hi, c.values[0], c.values[len(c.values)-1])
			}
		})
	}
}

// TestDiscreteCellsEqual: uniform u gives every value of a discrete
// parameter the same share (low and high included), because each value
// owns an equal cell of [0, 1].
func TestDiscreteCellsEqual(t *testing.T) {
	for _, def := range []string{
		"{type: float, low: 0, high: 1, step: 0.25}",
		"{type: int, low: -3, high: 4}",
		"{type: int, low: 16, high: 128, step: 16}",
		"{type: categorical, choices: [a, b, c]}",
		"{type: float, low: 0, high: 1, grid: [0.0, 0.5, 1]}",
	} {
		t.Run(def, func(t *testing.T) {
			s := oneParam(t, def)
			n := s.Params[0].Levels()
			const m = 1 << 12 // a fine regular grid of u, a multiple of n's cells
			count := map[value.Value]int{}
			for i := range m {
				count[s.Decode([]float64{(float64(i) + 0.5) / m})[0]]++
			}
			if len(count) != n {
				t.Fatalf("%d distinct values, want %d: %v", len(count), n, count)
			}
			for v, c := range count {
				if share := float64(c) / m; math.Abs(share-1/float64(n)) > 1.0/m+1e-12 {
					t.Errorf("value %v has share %.4f of u, want %.4f", v, share, 1/float64(n))
				}
			}
		})
	}
}

// pointWith returns a valid point of s with the given values set, the
// other active parameters at their middle, and inactive ones absent.
func pointWith(t *testing.T, s *search.Space, set map[string]value.Value) search.Point {
	t.Helper()
	p := s.Decode(make([]float64, s.Dim()))
	for i := 0; i <= s.Dim(); i++ { // setting a parent may activate its children
		for name, v := range set {
			p[s.Index(name)] = v
		}
		p = s.Decode(s.Encode(p))
	}
	for name, v := range set {
		if got := p[s.Index(name)]; got != v {
			t.Fatalf("pointWith: %s = %v, want %v (inactive?)", name, got, v)
		}
	}
	if err := s.Check(p); err != nil {
		t.Fatalf("pointWith: %v", err)
	}
	return p
}

func TestInactiveParameters(t *testing.T) {
	s := mustParse(t, kindsYAML)
	adam := pointWith(t, s, map[string]value.Value{"c_str": value.String("adam"), "layers_if": value.Int(3), "c_bool": value.Bool(true)})
	for _, tc := range []struct {
		name   string
		active bool
	}{{"momentum", false}, {"layers_if", true}, {"units_3", true}, {"width", true}} {
		if got := !adam[s.Index(tc.name)].IsAbsent(); got != tc.active {
			t.Errorf("c_str=adam, layers_if=3, c_bool=true: %s active = %v, want %v", tc.name, got, tc.active)
		}
	}
	// Whatever the coordinate of an inactive parameter, even NaN, it decodes Absent.
	other := pointWith(t, s, map[string]value.Value{"c_str": value.String("64")})
	u := s.Encode(other)
	for _, name := range []string{"momentum", "layers_if", "units_3", "width"} {
		i := s.Index(name)
		if !math.IsNaN(u[i]) {
			t.Errorf("c_str=64: inactive %s encodes to %v, want NaN", name, u[i])
		}
		for _, x := range []float64{0, 0.3, 1, math.NaN()} {
			u[i] = x
			if v := s.Decode(u)[i]; !v.IsAbsent() {
				t.Errorf("c_str=64: %s with coordinate %v decodes to %v, want Absent", name, x, v)
			}
		}
	}
	// The nested child follows its parent's activity: layers_if = 1 turns units_3 and width off.
	one := pointWith(t, s, map[string]value.Value{"c_str": value.String("sgd"), "layers_if": value.Int(1)})
	for _, name := range []string{"units_3", "width"} {
		if v := one[s.Index(name)]; !v.IsAbsent() {
			t.Errorf("layers_if=1: %s = %v, want Absent", name, v)
		}
	}
	// Both of width's conditions must hold.
	noBool := pointWith(t, s, map[string]value.Value{"c_str": value.String("sgd"), "layers_if": value.Int(2), "c_bool": value.Bool(false)})
	if v := noBool[s.Index("width")]; !v.IsAbsent() {
		t.Errorf("c_bool=false: width = %v, want Absent", v)
	}
}

func TestCheckRejects(t *testing.T) {
	s := mustParse(t, kindsYAML)
	sgd := pointWith(t, s, map[string]value.Value{"c_str": value.String("sgd"), "layers_if": value.Int(3), "c_bool": value.Bool(true)})
	if err := s.Check(sgd); err != nil {
		t.Fatalf("Check(valid point) = %v", err)
	}
	cases := []struct {
		why   string
		name  string
		value value.Value
	}{
		{"float above high", "f_lin", value.Float(7.26)},
		{"float below low", "f_lin", value.Float(-3)},
		{"log float at 0", "f_log", value.Float(0)},
		{"int above high", "i_lin", value.Int(5)},
		{"log int below low", "i_log", value.Int(0)},
		{"float off its step", "f_step", value.Float(0.2)},
		{"int off its step", "i_step", value.Int(20)},
		{"float NaN", "f_lin", value.Float(math.NaN())},
		{"text for a float", "f_lin", value.String("1")},
		{"bool for an int", "i_two", value.Bool(true)},
		{"fraction for an int", "i_lin", value.Float(2.5)},
		{"int for a text choice", "c_str", value.Int(64)},
		{"text for a bool choice", "c_bool", value.String("true")},
		{"text for a number choice", "c_num", value.String("32")},
		{"unknown choice", "c_str", value.String("rmsprop")},
		{"active but absent", "momentum", value.Value{}},
		{"nested, active but absent", "units_3", value.Value{}},
		{"unconditional but absent", "c_one", value.Value{}},
	}
	for _, c := range cases {
		p := append(search.Point(nil), sgd...)
		p[s.Index(c.name)] = c.value
		err := s.Check(p)
		if err == nil {
			t.Errorf("%s: Check accepts %s = %v", c.why, c.name, c.value)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", c.name)) {
			t.Errorf("%s: error does not name %q: %v", c.why, c.name, err)
		}
	}
	// Inactive but set: with c_str = adam, momentum must be absent.
	adam := pointWith(t, s, map[string]value.Value{"c_str": value.String("adam")})
	adam[s.Index("momentum")] = value.Float(0.9)
	if err := s.Check(adam); err == nil || !strings.Contains(err.Error(), "inactive") {
		t.Errorf("inactive but set: Check = %v, want an error saying momentum is inactive", err)
	}
	if err := s.Check(sgd[:len(sgd)-1]); err == nil {
		t.Errorf("Check accepts a point one value short")
	}
}

// TestWideIntRoundTrip: every integer of the widest int ranges the parser
// accepts survives Decode(Encode(x)), checked on random integers.
func TestWideIntRoundTrip(t *testing.T) {
	const bound = int64(1e13)
	rng := rand.New(rand.NewPCG(3, 5))
	for _, c := range []struct {
		def    string
		lo, hi int64
	}{
		{"{type: int, low: -1.0e+13, high: 1.0e+13}", -bound, bound},
		{"{type: int, low: 1, high: 1.0e+13, log: true}", 1, bound},
		{"{type: int, low: 9.0e+12, high: 1.0e+13, log: true}", 9e12, bound},
	} {
		s := oneParam(t, c.def)
		for range 20000 {
			x := c.lo + rng.Int64N(c.hi-c.lo+1)
			if q := s.Decode(s.Encode(search.Point{value.Int(x)})); q[0] != value.Int(x) {
				t.Fatalf("%s: Decode(Encode(%d)) = %v", c.def, x, q[0])
			}
		}
	}
}
