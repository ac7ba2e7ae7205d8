package mlprun

import (
	"context"
	"flag"
	"testing"

	"automl/trial"
)

func TestValueTypesAsASpaceFile(t *testing.T) {
	for in, want := range map[string]any{"3": 3, "0.5": 0.5, "1e-3": 1e-3, "true": true, "64-64": "64-64", "relu": "relu"} {
		if got := Value(in); got != want {
			t.Errorf("Value(%q) = %#v, want %#v", in, got, want)
		}
	}
}

func TestMedianOfUnsortedValues(t *testing.T) {
	v := []float64{3, 1, 2}
	if m := Median(v); m != 2 {
		t.Errorf("median of %v = %v, want 2", v, m)
	}
	if v[0] != 3 {
		t.Errorf("Median sorted its argument: %v", v)
	}
	if m := Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 values = %v, want 2.5", m)
	}
}

func TestListFlagRepeats(t *testing.T) {
	var l ListFlag
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Var(&l, "set", "")
	if err := fs.Parse([]string{"-set", "a=1", "-set", "b=2"}); err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l.String() != "a=1,b=2" {
		t.Errorf("flags %v", l)
	}
	if d, err := (NopReporter{}).Report(context.Background(), 1, nil); err != nil || d != trial.Continue {
		t.Errorf("NopReporter: %v, %v", d, err)
	}
}
