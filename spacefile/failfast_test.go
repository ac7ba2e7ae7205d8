package spacefile_test

import (
	"strings"
	"testing"

	"automl/spacefile"
)

// budget.fail_fast is K trials, true (the default K) or false / 0 (off);
// unset it is on, with the default K.
func TestFailFastForms(t *testing.T) {
	for _, tc := range []struct {
		budget string
		want   int
	}{
		{"{trials: 10}", spacefile.DefaultFailFast},
		{"{trials: 10, fail_fast: 5}", 5},
		{"{trials: 10, fail_fast: true}", spacefile.DefaultFailFast},
		{"{trials: 10, fail_fast: false}", 0},
		{"{trials: 10, fail_fast: 0}", 0},
	} {
		f, err := spacefile.Parse("s.yaml", []byte("objective: {metric: value, direction: minimize}\nbudget: "+tc.budget+
			"\ntrainer: {plugin: funcs, config: {function: branin}}\nparameters:\n  x0: {type: float, low: -5, high: 10}\n  x1: {type: float, low: 0, high: 15}\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.budget, err)
		}
		if got := f.Budget.FailFastAfter(); got != tc.want {
			t.Errorf("%s: fail-fast after %d trials, want %d", tc.budget, got, tc.want)
		}
		// The command line's --fail-fast wins.
		if got := f.Budget.Override(spacefile.Budget{FailFast: new(7)}).FailFastAfter(); got != 7 {
			t.Errorf("%s overridden by 7: %d", tc.budget, got)
		}
	}
	_, err := spacefile.Parse("s.yaml", []byte("objective: {metric: value, direction: minimize}\nbudget: {trials: 10, fail_fast: -1}\ntrainer: {plugin: funcs, config: {function: branin}}\nparameters:\n  x0: {type: float, low: -5, high: 10}\n  x1: {type: float, low: 0, high: 15}\n"))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:2:33: budget.fail_fast: must be a whole number >= 0, got -1") {
		t.Errorf("fail_fast: -1: %v", err)
	}
}
