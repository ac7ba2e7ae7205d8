package ensemble

import (
	"math"
	"reflect"
	"testing"
)

// An overfit member: O is nearly exact on the validation rows and far off
// on the test rows; H1..H4 are honest models whose validation errors
// cancel in pairs (H1+H2 and H3+H4 average to the truth) and whose test
// errors are small. Plain selection starts from O and no single addition
// improves on it, so the ensemble is O alone; bags that drew no O select
// H1+H2 or H3+H4, so the bagged ensemble gives the honest models most of
// the weight, and its test RMSE is far below O's.
var (
	overY    = []float64{0, 0, 0, 0}
	overTest = []float64{0, 0}
	overVal  = [][]float32{
		{0.05, 0.05, 0.05, 0.05},
		{0.5, -0.5, 0.5, -0.5}, {-0.5, 0.5, -0.5, 0.5},
		{0.5, 0.5, -0.5, -0.5}, {-0.5, -0.5, 0.5, 0.5},
	}
	overTestPred = [][]float32{{3, 3}, {0.2, -0.2}, {-0.2, 0.2}, {0.3, 0.1}, {-0.1, -0.3}}
)

func overCands() []Candidate {
	c := make([]Candidate, len(overVal))
	for i, p := range overVal {
		c[i] = Candidate{Name: []string{"O", "H1", "H2", "H3", "H4"}[i], Width: 1, Pred: p}
	}
	return c
}

func testRMSE(t *testing.T, w []int) float64 {
	t.Helper()
	avg, err := Average(overTestPred, w)
	if err != nil {
		t.Fatal(err)
	}
	return metric(t, "rmse").Score(avg, 1, overTest)
}

func TestBagsCurbAnOverfitMember(t *testing.T) {
	m := metric(t, "rmse")
	plain, err := Select(overCands(), overY, m, Options{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain.Weights, []int{1, 0, 0, 0, 0}) || !near(plain.Score, 0.05) {
		t.Fatalf("plain selection: weights %v, val %v; want O alone, 0.05", plain.Weights, plain.Score)
	}
	bagged, err := Select(overCands(), overY, m, Options{Size: 10, Bags: 20})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, w := range bagged.Weights {
		total += w
	}
	if total != bagged.Rounds || bagged.Picks != nil || bagged.Trajectory != nil {
		t.Errorf("bagged: weights %v, rounds %d, picks %v, trajectory %v", bagged.Weights, bagged.Rounds, bagged.Picks, bagged.Trajectory)
	}
	// every bag holds 3 of the 5: with O it is O alone (1 round), without
	// it a cancelling pair (2 rounds), so O has under half the weight
	if o := bagged.Weights[0]; o == 0 || 2*o >= total {
		t.Errorf("bagged weights %v: want O in, with under half of the %d", bagged.Weights, total)
	}
	avg, err := Average(overVal, bagged.Weights)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Score(avg, 1, overY); !near(s, bagged.Score) {
		t.Errorf("bagged val score %v, that of its weights %v", bagged.Score, s)
	}
	if p, b := testRMSE(t, plain.Weights), testRMSE(t, bagged.Weights); p != 3 || b > 1.5 {
		t.Errorf("test RMSE plain %v, bagged %v: want 3 and at most 1.5", p, b)
	}
	again, err := Select(overCands(), overY, m, Options{Size: 10, Bags: 20})
	if err != nil || !reflect.DeepEqual(again, bagged) {
		t.Errorf("the same bagged selection twice: %+v, %+v (%v)", bagged, again, err)
	}
	other, err := Select(overCands(), overY, m, Options{Size: 10, Bags: 20, Seed: 7})
	if err != nil || reflect.DeepEqual(other.Weights, bagged.Weights) {
		t.Errorf("another seed, the same weights %v (%v)", other.Weights, err)
	}
	// one bag is a selection among a half only, not among all
	one, err := Select(overCands(), overY, m, Options{Size: 10, Bags: 1})
	if err != nil || !reflect.DeepEqual(one.Weights, plain.Weights) {
		t.Errorf("bags 1: weights %v, want the plain selection's %v (%v)", one.Weights, plain.Weights, err)
	}
}

// With two candidates every bag holds one, which it picks once: the
// weights count the bags that drew each, the better one included or not.
func TestBagsOfOne(t *testing.T) {
	cands := []Candidate{{Name: "A", Width: 1, Pred: []float32{0.1, 0.1}}, {Name: "B", Width: 1, Pred: []float32{1, 1}}}
	res, err := Select(cands, []float64{0, 0}, metric(t, "rmse"), Options{Size: 5, Init: 2, Bags: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounds != 8 || res.Weights[0]+res.Weights[1] != 8 || res.Weights[0] == 0 || res.Weights[1] == 0 {
		t.Errorf("weights %v, rounds %d: want 8 bags of one pick each, both drawn", res.Weights, res.Rounds)
	}
	if _, err := Select(cands, []float64{0, 0}, metric(t, "rmse"), Options{Size: 5, Bags: -1}); err == nil {
		t.Error("bags -1 accepted")
	}
}

func TestBrier(t *testing.T) {
	b := metric(t, "brier")
	if b.Maximize || !b.Classification {
		t.Fatalf("brier: %+v", b)
	}
	// (0.2)² twice for a row of class 0 at 0.8, one column or two
	if s := b.Score([]float64{0.2}, 1, []float64{0}); !near(s, 0.08) {
		t.Errorf("one column: %v, want 0.08", s)
	}
	if s := b.Score([]float64{0.8, 0.2}, 2, []float64{0}); !near(s, 0.08) {
		t.Errorf("two columns: %v, want 0.08", s)
	}
	// three classes, the truth is class 2: 0.25 + 0.09 + 0.64, and a sure hit 0
	if s := b.Score([]float64{0.5, 0.3, 0.2, 0, 1, 0}, 3, []float64{2, 1}); !near(s, 0.98/2) {
		t.Errorf("three classes: %v, want 0.49", s)
	}
	if s := b.Score(nil, 2, nil); !math.IsNaN(s) {
		t.Errorf("no rows: %v, want NaN", s)
	}
}

func TestSmooth(t *testing.T) {
	for name, want := range map[string]string{"accuracy": "log_loss", "balanced_accuracy": "log_loss", "f1": "log_loss",
		"log_loss": "log_loss", "brier": "brier", "auc": "auc", "rmse": "rmse", "r2": "r2"} {
		if got := metric(t, name).Smooth(); got.Name != want {
			t.Errorf("%s.Smooth() = %s, want %s", name, got.Name, want)
		}
	}
}
