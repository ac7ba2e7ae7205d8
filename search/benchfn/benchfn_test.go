package benchfn

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"automl/search/value"
)

type reference struct {
	Dim       int          `json:"dim"`
	Bounds    [][2]float64 `json:"bounds"`
	Fstar     float64      `json:"fstar"`
	Xstar     []float64    `json:"xstar"`
	FAtXstar  float64      `json:"f_at_xstar"`
	TestPoint []float64    `json:"test_point"`
	FAtTest   float64      `json:"f_at_test_point"`
}

func vec(x []float64) value.Values {
	var v value.Values
	for i, xi := range x {
		v = append(v, value.NamedValue{Name: "x" + string(rune('0'+i)), Value: value.Float(xi)})
	}
	return v
}

func close(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestReferenceValues checks every function against the values computed
// independently in ../shared/benchfn (copied into testdata).
func TestReferenceValues(t *testing.T) {
	data, err := os.ReadFile("testdata/reference_values.json")
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]json.RawMessage
	if err := json.Unmarshal(data, &refs); err != nil {
		t.Fatal(err)
	}
	for name, raw := range refs {
		if name == "mixed" {
			continue
		}
		var ref reference
		if err := json.Unmarshal(raw, &ref); err != nil {
			t.Fatal(err)
		}
		f, ok := Get(name)
		if !ok {
			t.Fatalf("%s: not defined", name)
		}
		if f.Dim() != ref.Dim {
			t.Errorf("%s: dim %d, reference %d", name, f.Dim(), ref.Dim)
		}
		for i, b := range ref.Bounds {
			if f.Bounds[i] != b {
				t.Errorf("%s: bounds[%d] = %v, reference %v", name, i, f.Bounds[i], b)
			}
		}
		if !close(f.Min, ref.Fstar) {
			t.Errorf("%s: f* = %v, reference %v", name, f.Min, ref.Fstar)
		}
		got, err := f.Eval(vec(ref.TestPoint))
		if err != nil || !close(got, ref.FAtTest) {
			t.Errorf("%s: f(test point) = %v (%v), reference %v", name, got, err, ref.FAtTest)
		}
		got, _ = f.Eval(vec(ref.Xstar))
		if !close(got, ref.FAtXstar) {
			t.Errorf("%s: f(x*) = %.17g, reference %.17g", name, got, ref.FAtXstar)
		}
		// Our own minimiser must reach f* too.
		got, _ = f.Eval(f.Argmin)
		if math.Abs(got-f.Min) > 1e-8 {
			t.Errorf("%s: f(Argmin) = %.17g, want f* %.17g", name, got, f.Min)
		}
	}
}

func TestBraninHasThreeMinima(t *testing.T) {
	for _, x := range [][]float64{{-math.Pi, 12.275}, {math.Pi, 2.275}, {9.42478, 2.475}} {
		if got := Branin(x); math.Abs(got-10/(8*math.Pi)) > 1e-5 {
			t.Errorf("Branin(%v) = %v, want %v", x, got, 10/(8*math.Pi))
		}
	}
}

func TestMixedReference(t *testing.T) {
	data, _ := os.ReadFile("testdata/reference_values.json")
	var refs struct {
		Mixed struct {
			Fstar float64 `json:"fstar"`
			Tests []struct {
				X1, X2 float64
				K      int64
				C      string
				F      float64
			} `json:"test_points"`
		} `json:"mixed"`
	}
	if err := json.Unmarshal(data, &refs); err != nil {
		t.Fatal(err)
	}
	if len(refs.Mixed.Tests) == 0 {
		t.Fatal("no mixed test points")
	}
	for _, tp := range refs.Mixed.Tests {
		got, err := Mixed(tp.X1, tp.X2, tp.K, tp.C)
		if err != nil || !close(got, tp.F) {
			t.Errorf("Mixed(%v, %v, %v, %q) = %v (%v), want %v", tp.X1, tp.X2, tp.K, tp.C, got, err, tp.F)
		}
	}
	f, _ := Get("mixed")
	if got, err := f.Eval(f.Argmin); err != nil || got != 0 {
		t.Errorf("mixed at its minimiser = %v (%v), want 0", got, err)
	}
	if _, err := Mixed(0, 0, 0, "e"); err == nil {
		t.Error("Mixed accepted an unknown category")
	}
}

func TestMinimumIsGlobalOnAGrid(t *testing.T) {
	// Coarse check that no grid point beats the stated minimum.
	for _, name := range Names() {
		f, _ := Get(name)
		if f.Bounds == nil || f.Dim() > 4 {
			continue
		}
		n := 9
		idx := make([]int, f.Dim())
		for {
			x := make([]float64, f.Dim())
			for i := range x {
				x[i] = f.Bounds[i][0] + (f.Bounds[i][1]-f.Bounds[i][0])*float64(idx[i])/float64(n-1)
			}
			if v, _ := f.Eval(vec(x)); v < f.Min-1e-9 {
				t.Errorf("%s(%v) = %v below f* %v", name, x, v, f.Min)
			}
			i := 0
			for ; i < len(idx); i++ {
				idx[i]++
				if idx[i] < n {
					break
				}
				idx[i] = 0
			}
			if i == len(idx) {
				break
			}
		}
	}
}
