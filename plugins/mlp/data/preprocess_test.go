package data

import (
	"math"
	"strings"
	"testing"
)

func TestPreprocessFitsOnTrainingRowsOnly(t *testing.T) {
	csv := "x,c,target\n1,a,0\n?,b,1\n3,a,0\n100,z,1\n"
	tb, err := Read("t.csv", strings.NewReader(csv), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	train := []int{0, 1, 2}
	p, err := Fit(ds, train, PrepOptions{Standardize: true, Indicator: true})
	if err != nil {
		t.Fatal(err)
	}
	// x (median 2 fills row 1), x_missing, c=a, c=b; "z" unseen in training.
	if got := strings.Join(p.Names, " "); got != "x x_missing c=a c=b" {
		t.Fatalf("features %q", got)
	}
	m := p.Transform(ds, []int{0, 1, 2, 3})
	sd := math.Sqrt(2.0 / 3) // of 1, 2, 3
	want := []float32{
		float32(-1 / sd), 0, 1, 0,
		0, 1, 0, 1,
		float32(1 / sd), 0, 1, 0,
		float32(98 / sd), 0, 0, 0, // the test row: scaled by training stats, unseen level all zero
	}
	for i := range want {
		if math.Abs(float64(m[i]-want[i])) > 1e-6 {
			t.Fatalf("matrix %v, want %v", m, want)
		}
	}
	pm, _ := Fit(ds, train, PrepOptions{Impute: "mean"})
	if v := pm.Transform(ds, []int{1})[0]; v != 2 {
		t.Errorf("mean imputation gave %v, want 2", v)
	}
	if _, err := Fit(ds, train, PrepOptions{Impute: "mode"}); err == nil {
		t.Error("unknown impute strategy accepted")
	}
}
