package search_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/search/value"
)

func TestValuesJSON(t *testing.T) {
	vs := value.Values{
		{Name: "lr", Value: value.Float(0.001)},
		{Name: "layers", Value: value.Int(3)},
		{Name: "optimizer", Value: value.String("adam")},
		{Name: "bias", Value: value.Bool(true)},
		{Name: "scale", Value: value.Float(1)},
		{Name: "big", Value: value.Float(1e21)},
		{Name: "neg", Value: value.Int(-7)},
		{Name: "quoted", Value: value.String(`say "hi"`)},
		{Name: "number_text", Value: value.String("64")},
		{Name: "a_last", Value: value.Float(-0.5)},
	}
	b, err := json.Marshal(vs)
	if err != nil {
		t.Fatal(err)
	}
	// Keys in the order given (not sorted), ints without a fraction, floats
	// with one, text quoted: what a trainer reads.
	want := `{"lr":0.001,"layers":3,"optimizer":"adam","bias":true,"scale":1.0,"big":1e+21,"neg":-7,"quoted":"say \"hi\"","number_text":"64","a_last":-0.5}`
	if string(b) != want {
		t.Errorf("Marshal =\n %s\nwant\n %s", b, want)
	}
	var back value.Values
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(vs) {
		t.Fatalf("Unmarshal gave %d values, want %d", len(back), len(vs))
	}
	for i := range vs {
		if back[i] != vs[i] {
			t.Errorf("value %d: %s = %v (kind %v), want %s = %v (kind %v)", i, back[i].Name, back[i].Value, back[i].Value.Kind(), vs[i].Name, vs[i].Value, vs[i].Value.Kind())
		}
	}
}

func TestValuesUnmarshalRejects(t *testing.T) {
	for _, in := range []string{`[1, 2]`, `{"a": [1]}`, `{"a": {"b": 1}}`, `{"a": 1`, `"text"`} {
		var vs value.Values
		if err := json.Unmarshal([]byte(in), &vs); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, vs)
		}
	}
	var vs value.Values
	if err := json.Unmarshal([]byte(`null`), &vs); err != nil || vs != nil {
		t.Errorf("Unmarshal(null) = %v, %v; want nil, nil", vs, err)
	}
}

// TestValuesRoundTrip: for random points of every kind, Values keeps the
// space's order and only active parameters, survives JSON with its kinds,
// and PointOf gives the point back.
func TestValuesRoundTrip(t *testing.T) {
	s := mustParse(t, kindsYAML)
	for seed := uint64(1); seed <= 32; seed++ {
		rng := rand.New(rand.NewPCG(seed, 17))
		for range 50 {
			p := s.Decode(searchtest.RandomUnit(rng, s.Dim()))
			vs := s.Values(p)
			last := -1
			for _, nv := range vs {
				i := s.Index(nv.Name)
				if i <= last {
					t.Fatalf("Values out of space order: %v", vs)
				}
				last = i
				if nv.Value != p[i] || nv.Value.IsAbsent() {
					t.Fatalf("Values: %s = %v, point has %v", nv.Name, nv.Value, p[i])
				}
			}
			active := 0
			for _, v := range p {
				if !v.IsAbsent() {
					active++
				}
			}
			if len(vs) != active {
				t.Fatalf("Values has %d entries, point has %d active", len(vs), active)
			}
			b, err := json.Marshal(vs)
			if err != nil {
				t.Fatal(err)
			}
			var back value.Values
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			q, err := s.PointOf(back)
			if err != nil {
				t.Fatalf("PointOf(%s): %v", b, err)
			}
			for i := range p {
				if q[i] != p[i] {
					t.Fatalf("PointOf(JSON(value.Values(p))): %s = %v (kind %v), want %v (kind %v); JSON %s",
						s.Params[i].Name, q[i], q[i].Kind(), p[i], p[i].Kind(), b)
				}
			}
		}
	}
}

// TestPointOfCoerces: JSON and hand-written values need not carry the
// parameter's own kind (an integral float for an int, 64 for 64.0); PointOf
// converts them and rejects what does not fit.
func TestPointOfCoerces(t *testing.T) {
	s := threeParamSpace(t)
	p, err := s.PointOf(value.Values{
		{Name: "f", Value: value.Int(2)},
		{Name: "i", Value: value.Float(3)},
		{Name: "c", Value: value.Float(64)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := search.Point{value.Float(2), value.Int(3), value.Int(64)}
	for i := range want {
		if p[i] != want[i] {
			t.Errorf("%s = %v (kind %v), want %v (kind %v)", s.Params[i].Name, p[i], p[i].Kind(), want[i], want[i].Kind())
		}
	}
	for _, c := range []struct {
		why  string
		vs   value.Values
		want string
	}{
		{"unknown name", value.Values{{Name: "f", Value: value.Float(1)}, {Name: "i", Value: value.Int(1)}, {Name: "c", Value: value.Int(32)}, {Name: "zz", Value: value.Int(1)}}, `"zz"`},
		{"fraction for an int", value.Values{{Name: "f", Value: value.Float(1)}, {Name: "i", Value: value.Float(1.5)}, {Name: "c", Value: value.Int(32)}}, `"i"`},
		{"text for a float", value.Values{{Name: "f", Value: value.String("1")}, {Name: "i", Value: value.Int(1)}, {Name: "c", Value: value.Int(32)}}, `"f"`},
		{"not a choice", value.Values{{Name: "f", Value: value.Float(1)}, {Name: "i", Value: value.Int(1)}, {Name: "c", Value: value.Int(48)}}, `"c"`},
		{"out of range", value.Values{{Name: "f", Value: value.Float(11)}, {Name: "i", Value: value.Int(1)}, {Name: "c", Value: value.Int(32)}}, `"f"`},
		{"missing", value.Values{{Name: "f", Value: value.Float(1)}, {Name: "c", Value: value.Int(32)}}, `"i"`},
	} {
		if _, err := s.PointOf(c.vs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: PointOf = %v, want an error naming %s", c.why, err, c.want)
		}
	}
}

func threeParamSpace(t *testing.T) *search.Space {
	return mustParse(t, `
objective: {metric: loss, direction: minimize}
trainer: {plugin: ./trainer}
parameters:
  f: {type: float, low: 0, high: 10}
  i: {type: int, low: 0, high: 10}
  c: {type: categorical, choices: [32, 64]}
`)
}
