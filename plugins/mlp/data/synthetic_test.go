package data

import (
	"errors"
	"math"
	"testing"
)

func TestSyntheticClassification(t *testing.T) {
	name := "synthetic:classification?n=2000&features=12&informative=4&redundant=2&classes=3&flip_y=0&seed=5"
	tb, err := Synthetic(name)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows != 2000 || len(ds.Features) != 12 || ds.Task != Multiclass {
		t.Fatalf("rows %d features %d task %v", tb.Rows, len(ds.Features), ds.Task)
	}
	counts := ds.CountClasses(allRows(tb.Rows))
	for _, c := range counts {
		if c < 666 || c > 667 {
			t.Errorf("class counts %v, want balanced (flip_y=0)", counts)
		}
	}
	// Informative columns separate the classes: the class means differ by
	// about 2*class_sep on some column; noise columns have mean ~0.
	separated := 0
	for _, ci := range ds.Features {
		m := make([]float64, 3)
		for i, v := range tb.Cols[ci].Num {
			m[int(ds.Y[i])] += v / float64(counts[int(ds.Y[i])])
		}
		if math.Abs(m[0]-m[1]) > 0.5 || math.Abs(m[1]-m[2]) > 0.5 {
			separated++
		}
	}
	if separated < 2 {
		t.Errorf("only %d columns separate the classes", separated)
	}
	again, _ := Synthetic(name)
	if again.Cols[3].Num[17] != tb.Cols[3].Num[17] || again.Digest != tb.Digest {
		t.Error("same spec, different data")
	}
	other, _ := Synthetic("synthetic:classification?n=2000&features=12&informative=4&redundant=2&classes=3&flip_y=0&seed=6")
	if other.Cols[3].Num[17] == tb.Cols[3].Num[17] {
		t.Error("different seeds, same data")
	}
}

func TestSyntheticRegressionIsLinear(t *testing.T) {
	tb, err := Synthetic("synthetic:regression?n_samples=50&n_features=3&n_informative=3&bias=5&random_state=1")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Task != Regression || tb.Rows != 50 {
		t.Fatalf("task %v rows %d", ds.Task, tb.Rows)
	}
	// Without noise y is exactly linear in x: solve for the coefficients
	// from 4 rows and check they predict the rest.
	const p = 3
	a := make([][]float64, p+1)
	for i := range a {
		a[i] = make([]float64, p+2)
		for j := 0; j < p; j++ {
			a[i][j] = tb.Cols[j].Num[i]
		}
		a[i][p], a[i][p+1] = 1, tb.Cols[p].Num[i]
	}
	coef := solve(a)
	for i := 4; i < 50; i++ {
		pred := coef[p]
		for j := 0; j < p; j++ {
			pred += coef[j] * tb.Cols[j].Num[i]
		}
		if math.Abs(pred-tb.Cols[p].Num[i]) > 1e-6 {
			t.Fatalf("row %d: linear prediction %v, target %v", i, pred, tb.Cols[p].Num[i])
		}
	}
	if math.Abs(coef[p]-5) > 1e-9 {
		t.Errorf("intercept %v, want the bias 5", coef[p])
	}
}

// solve runs Gaussian elimination with partial pivoting on an augmented matrix.
func solve(a [][]float64) []float64 {
	n := len(a)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := 0; r < n; r++ {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k <= n; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = a[i][n] / a[i][i]
	}
	return x
}

func TestSyntheticErrors(t *testing.T) {
	for _, name := range []string{
		"synthetic:classification?n=100&colour=3",
		"synthetic:classification?n=abc",
		"synthetic:clustering?n=10",
		"synthetic:classification?features=3&informative=2&redundant=2",
		"synthetic:classification?informative=1&classes=3",
	} {
		if _, err := Synthetic(name); !errors.Is(err, ErrBadValue) {
			t.Errorf("%s: error %v, want ErrBadValue", name, err)
		}
	}
}

func allRows(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}
