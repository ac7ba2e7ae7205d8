package search_test

import (
	"testing"

	"automl/search"
	"automl/search/value"
)

// fitSpace is a space edited since trials were recorded: lr narrowed to
// [0.001, 0.5], optimizer without sgd, units on steps of 16, dropout
// added with a default, beta2 added (only for adamw) without one, and
// momentum kept for the momentum optimizer.
func fitSpace(t *testing.T) *search.Space {
	t.Helper()
	s, err := search.NewSpace([]search.Param{
		{Name: "lr", Type: search.FloatParam, Low: 0.001, High: 0.5, Log: true},
		{Name: "optimizer", Type: search.CategoricalParam, Choices: []value.Value{value.String("adam"), value.String("momentum"), value.String("adamw")}},
		{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.99, When: []search.Condition{{Parent: "optimizer", Values: []value.Value{value.String("momentum")}}}},
		{Name: "beta2", Type: search.FloatParam, Low: 0.9, High: 0.999, When: []search.Condition{{Parent: "optimizer", Values: []value.Value{value.String("adamw")}}}},
		{Name: "units", Type: search.IntParam, Low: 16, High: 512, Step: 16},
		{Name: "dropout", Type: search.FloatParam, Low: 0, High: 0.5, Default: value.Float(0.1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFitPlacesEarlierTrialsInAnEditedSpace(t *testing.T) {
	s := fitSpace(t)
	lr, opt, mom, units := value.Float, value.String, value.Float, value.Int
	for _, c := range []struct {
		name string
		vs   value.Values
		want string // the point's key, or the reason it does not fit
		fits bool
	}{
		{"a removed parameter is left out, an added one takes its default",
			value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("adam")}, {Name: "units", Value: units(64)}, {Name: "l2", Value: lr(1e-4)}},
			"0.01|adam|||64|0.1", true},
		{"a value the trial had stays, default or not",
			value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("momentum")}, {Name: "momentum", Value: mom(0.9)}, {Name: "units", Value: units(32)}, {Name: "dropout", Value: lr(0.3)}},
			"0.01|momentum|0.9||32|0.3", true},
		{"an int recorded as a whole float is read as an int",
			value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("adam")}, {Name: "units", Value: lr(48)}},
			"0.01|adam|||48|0.1", true},
		{"a value of a parameter now inactive is left out",
			value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("adam")}, {Name: "momentum", Value: mom(0.9)}, {Name: "units", Value: units(64)}},
			"0.01|adam|||64|0.1", true},
		{"above a narrowed bound", value.Values{{Name: "lr", Value: lr(0.8)}, {Name: "optimizer", Value: opt("adam")}, {Name: "units", Value: units(64)}}, "lr > 0.5", false},
		{"below a narrowed bound", value.Values{{Name: "lr", Value: lr(1e-4)}, {Name: "optimizer", Value: opt("adam")}, {Name: "units", Value: units(64)}}, "lr < 0.001", false},
		{"a removed choice", value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("sgd")}, {Name: "units", Value: units(64)}}, "optimizer = sgd", false},
		{"off a new step", value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("adam")}, {Name: "units", Value: units(40)}}, "units = 40, not on its step 16", false},
		{"an active parameter without a value or default", value.Values{{Name: "lr", Value: lr(0.01)}, {Name: "optimizer", Value: opt("momentum")}, {Name: "units", Value: units(64)}}, "momentum has no value and no default", false},
		{"a parameter missing that has no default", value.Values{{Name: "optimizer", Value: opt("adam")}, {Name: "units", Value: units(64)}}, "lr has no value and no default", false},
	} {
		p, err := s.Fit(c.vs)
		switch {
		case c.fits && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.fits && p.Key() != c.want:
			t.Errorf("%s: point %s, want %s", c.name, p.Key(), c.want)
		case c.fits:
			if err := s.Check(p); err != nil {
				t.Errorf("%s: the fitted point is not a point of the space: %v", c.name, err)
			}
		case err == nil:
			t.Errorf("%s: fits as %s, want %q", c.name, p.Key(), c.want)
		case err.Error() != c.want:
			t.Errorf("%s: %q, want %q", c.name, err, c.want)
		}
	}
}

// TestFitAgreesWithPointOf: a configuration of the space itself fits as
// PointOf reads it (the unedited study's history is unchanged).
func TestFitAgreesWithPointOf(t *testing.T) {
	s := fitSpace(t)
	vs := value.Values{{Name: "lr", Value: value.Float(0.02)}, {Name: "optimizer", Value: value.String("adamw")}, {Name: "beta2", Value: value.Float(0.95)}, {Name: "units", Value: value.Int(128)}, {Name: "dropout", Value: value.Float(0.2)}}
	want, err := s.PointOf(vs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Fit(vs)
	if err != nil || !got.Equal(want) {
		t.Fatalf("Fit = %v, %v; PointOf = %v", got, err, want)
	}
}
