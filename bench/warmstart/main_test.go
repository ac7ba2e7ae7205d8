package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"automl/search/benchfn"
)

// TestReach: the warm study reaches the cold study's final best at its
// first trial at least as good (ties count), never when it does not get
// there, and the figure is undefined when the cold study is short.
func TestReach(t *testing.T) {
	cold := []float64{5, 4, 3, 2}
	tests := []struct {
		name string
		warm []float64
		want float64
	}{
		{"at once", []float64{1, 1, 1, 1}, 1},
		{"tie counts", []float64{9, 2, 2, 2}, 2},
		{"never", []float64{9, 8, 2.5, 2.1}, math.Inf(1)},
	}
	for _, tc := range tests {
		p := pair{Cold: cold, Warm: tc.warm}
		if got := p.reach(4); got != tc.want {
			t.Errorf("%s: reach = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := (pair{Cold: cold[:3], Warm: cold}).reach(4); !math.IsNaN(got) {
		t.Errorf("a cold study shorter than the budget: reach = %v, want NaN", got)
	}
}

// TestQuantileKeepsNever: a median among runs that never got there is
// never, not a number between.
func TestQuantileKeepsNever(t *testing.T) {
	inf := math.Inf(1)
	if got := quantile([]float64{10, 20, inf}, 0.5); got != 20 {
		t.Errorf("median of 10, 20, never = %v, want 20", got)
	}
	if got := quantile([]float64{10, inf}, 0.5); !math.IsInf(got, 1) {
		t.Errorf("median of 10, never = %v, want never", got)
	}
	if got := quantile([]float64{10, 20, 30, 40}, 0.5); got != 25 {
		t.Errorf("median of 10..40 = %v, want 25", got)
	}
}

// TestVerdict: the overall line says met only when the median over every
// function and seed is at most half the budget.
func TestVerdict(t *testing.T) {
	trace := func(vals ...float64) []float64 { return vals }
	mk := func(fn string, warm []float64) pair {
		return pair{Func: fn, Algo: "tpe", Source: 2, Cold: trace(4, 3, 2, 1), Warm: warm, Min: 0}
	}
	var buf bytes.Buffer
	printTables(&buf, []pair{mk("a", trace(1, 1, 1, 1)), mk("b", trace(2, 1, 1, 1)), mk("c", trace(9, 9, 9, 9))}, 4)
	if out := buf.String(); !strings.Contains(out, "median 2 trials") || !strings.Contains(out, "2 of 3 pairs within 2 (met") {
		t.Errorf("reach 1, 2, never within a budget of 4: want median 2 and met, got\n%s", out)
	}
	buf.Reset()
	printTables(&buf, []pair{mk("a", trace(1, 1, 1, 1)), mk("b", trace(9, 9, 1, 1)), mk("c", trace(9, 9, 9, 9))}, 4)
	if out := buf.String(); !strings.Contains(out, "median 3 trials") || !strings.Contains(out, "NOT met") {
		t.Errorf("reach 1, 3, never within a budget of 4: want median 3 and NOT met, got\n%s", out)
	}
}

// TestRunPair: a small pair of studies through the scheduler: the related
// study's results reach the warm study as imported trials, which are not
// among its own, and a seed gives the same studies again.
func TestRunPair(t *testing.T) {
	f, _ := benchfn.Get("branin")
	p, err := runPair(f, "tpe", 3, 8, 12, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fit != 8 {
		t.Errorf("imported %d of the related study's 8 results, want all (a shift keeps them in the space)", p.Fit)
	}
	if len(p.Cold) != 12 || len(p.Warm) != 12 {
		t.Fatalf("cold and warm studies ran %d and %d trials of their own, want 12 each", len(p.Cold), len(p.Warm))
	}
	for i := 1; i < 12; i++ {
		if p.Warm[i] > p.Warm[i-1] || p.Cold[i] > p.Cold[i-1] {
			t.Fatalf("best so far rose at trial %d: cold %v, warm %v", i+1, p.Cold, p.Warm)
		}
	}
	same := true
	for i := range p.Warm {
		same = same && p.Warm[i] == p.Cold[i]
	}
	if same {
		t.Errorf("the warm study ran as the cold one (same seed): the imported results changed nothing: %v", p.Warm)
	}
	if p.Cold[11]-f.Min < 0 || p.Warm[11]-f.Min < 0 {
		t.Errorf("a best below the minimum %v: cold %v, warm %v", f.Min, p.Cold[11], p.Warm[11])
	}
	again, err := runPair(f, "tpe", 3, 8, 12, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Warm {
		if again.Warm[i] != p.Warm[i] || again.Cold[i] != p.Cold[i] {
			t.Fatalf("the same seed gave other studies at trial %d: %v %v, then %v %v", i+1, p.Cold, p.Warm, again.Cold, again.Warm)
		}
	}
}
