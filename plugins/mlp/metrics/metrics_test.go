package metrics

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestAUC(t *testing.T) {
	cases := []struct {
		scores []float64
		y      []float32
		want   float64
	}{
		{[]float64{0.1, 0.4, 0.35, 0.8}, []float32{0, 0, 1, 1}, 0.75}, // scikit-learn's roc_auc_score example
		{[]float64{1, 2, 3, 4}, []float32{0, 0, 1, 1}, 1},
		{[]float64{4, 3, 2, 1}, []float32{0, 0, 1, 1}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []float32{0, 1, 0, 1}, 0.5}, // all tied
		{[]float64{0.2, 0.5, 0.5, 0.9}, []float32{0, 0, 1, 1}, 0.875},
	}
	for _, tc := range cases {
		if got := AUC(tc.scores, tc.y); !near(got, tc.want) {
			t.Errorf("AUC(%v, %v) = %v, want %v", tc.scores, tc.y, got, tc.want)
		}
	}
	if !math.IsNaN(AUC([]float64{1, 2}, []float32{1, 1})) {
		t.Error("AUC with one class is not NaN")
	}
}

func TestClassification(t *testing.T) {
	y := []float32{0, 0, 1, 1, 2, 2}
	pred := []int{0, 1, 1, 1, 2, 0}
	if got := Accuracy(pred, y); !near(got, 4.0/6) {
		t.Errorf("accuracy %v", got)
	}
	// class 0: tp1 fp1 fn1 -> 0.5; class 1: tp2 fp1 fn0 -> 0.8; class 2: tp1 fp0 fn1 -> 2/3
	if got := F1Macro(pred, y, 3); !near(got, (0.5+0.8+2.0/3)/3) {
		t.Errorf("macro F1 %v", got)
	}
	// A class absent from both targets and predictions is not averaged in.
	if got := F1Macro([]int{0, 1}, []float32{0, 1}, 3); !near(got, 1) {
		t.Errorf("macro F1 with an absent class %v, want 1", got)
	}
}

func TestRegress(t *testing.T) {
	r := Regress([]float64{1, 2, 4}, []float64{1, 3, 3})
	// errors 0, -1, 1: RMSE sqrt(2/3), MAE 2/3, R2 = 1 - 2/SStot.
	tot := (1-7.0/3)*(1-7.0/3) + 2*(3-7.0/3)*(3-7.0/3)
	if !near(r.RMSE, math.Sqrt(2.0/3)) || !near(r.MAE, 2.0/3) || !near(r.R2, 1-2/tot) {
		t.Errorf("got %+v", r)
	}
	if c := Regress([]float64{2, 2}, []float64{2, 2}); c.R2 != 1 {
		t.Errorf("perfect constant fit R2 %v", c.R2)
	}
}
