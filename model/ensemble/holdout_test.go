package ensemble

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"automl/model"
)

// holdout makes a binary holdout of P(class 1) per row, validation and
// test alike.
func holdout(trial int, digest string, val, test []float32) *model.Holdout {
	split := func(p1 []float32, y []float32, d string) *model.Split {
		return &model.Split{Rows: len(p1), Digest: d, Y: y, Width: 2, P: twoCols(p1)}
	}
	h := &model.Holdout{Trial: trial, Task: model.Binary, Classes: []string{"no", "yes"}, Val: split(val, []float32{0, 0, 1, 1}, digest)}
	if test != nil {
		h.Test = split(test, []float32{0, 1, 1, 0}, "test-"+digest)
	}
	return h
}

func TestFromHoldouts(t *testing.T) {
	a := holdout(1, "v", compA, []float32{0.2, 0.7, 0.6, 0.4})
	b := holdout(2, "v", compB, []float32{0.4, 0.3, 0.9, 0.7})
	cands := []Candidate{FromHoldout("trial 1", a), FromHoldout("trial 2", b)}
	if c := cands[0]; c.Digest != "v" || c.Width != 2 || len(c.Pred) != 8 {
		t.Fatalf("candidate %+v", c)
	}
	m, followed, err := MetricFor("", "val_accuracy", a)
	if err != nil || m.Name != "accuracy" || !followed {
		t.Fatalf("MetricFor: %s %v %v", m.Name, followed, err)
	}
	res, err := Select(cands, Labels(a.Val), m, Options{Size: 2})
	if err != nil || !reflect.DeepEqual(res.Weights, []int{1, 1}) || res.Score != 1 {
		t.Fatalf("select: %+v %v", res, err)
	}
	hs := []*model.Holdout{a, b}
	if v, ok := SplitScore(m, hs, res.Weights, Val); !ok || v != 1 {
		t.Errorf("validation score %v %v, want 1", v, ok)
	}
	// test: (a+b)/2 = [0.3 0.5 0.75 0.55] -> [0 0 1 1] against [0 1 1 0]: 2 of 4
	if v, ok := SplitScore(m, hs, res.Weights, Test); !ok || v != 0.5 {
		t.Errorf("test score %v %v, want 0.5", v, ok)
	}
	// a alone on test: [0 1 1 0]: all right
	if v, ok := SplitScore(m, hs, []int{1, 0}, Test); !ok || v != 1 {
		t.Errorf("a's test score %v %v, want 1", v, ok)
	}
	b.Test.Digest = "other rows"
	if _, ok := SplitScore(m, hs, res.Weights, Test); ok {
		t.Error("test rows of different digests scored together")
	}
	if _, ok := SplitScore(m, hs, []int{1, 0}, Test); !ok {
		t.Error("a member of weight 0 must not matter")
	}
	b.Test = nil
	if _, ok := SplitScore(m, hs, res.Weights, Test); ok {
		t.Error("a member without test rows scored")
	}
	ll, _ := MetricByName("log_loss")
	want := -(3*math.Log(0.9) + math.Log(0.4)) / 4 // a's validation rows: right with 0.9 thrice, 0.4 once
	if v, ok := SplitScore(ll, hs, []int{1, 0}, Val); !ok || math.Abs(v-want) > 1e-6 {
		t.Errorf("a's validation log loss %v %v, want %v", v, ok, want)
	}
}

func TestMetricFor(t *testing.T) {
	bin := holdout(1, "v", compA, nil)
	multi := &model.Holdout{Task: model.Multiclass, Classes: []string{"a", "b", "c"}, Val: &model.Split{Width: 3}}
	reg := &model.Holdout{Task: model.Regression, Val: &model.Split{Width: 1}}
	for _, tc := range []struct {
		name, objective string
		h               *model.Holdout
		want            string
		followed        bool
		err             string
	}{
		{"", "val_loss", reg, "rmse", false, ""},
		{"", "val_mae", reg, "mae", true, ""},
		{"", "val_auc", bin, "auc", true, ""},
		{"", "val_auc", multi, "log_loss", false, ""},
		{"r2", "val_accuracy", reg, "r2", true, ""},
		{"accuracy", "val_rmse", reg, "", false, "is for classification; the models predict a regression target"},
		{"rmse", "val_accuracy", bin, "", false, "is for regression; the models predict binary classes"},
		{"auc", "val_accuracy", multi, "", false, "is for two classes; the models predict 3"},
		{"precision", "val_accuracy", bin, "", false, `unknown ensemble metric "precision"`},
	} {
		m, followed, err := MetricFor(tc.name, tc.objective, tc.h)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("MetricFor(%q, %q): error %v, want %q", tc.name, tc.objective, err, tc.err)
			}
			continue
		}
		if err != nil || m.Name != tc.want || followed != tc.followed {
			t.Errorf("MetricFor(%q, %q) = %s %v %v, want %s %v", tc.name, tc.objective, m.Name, followed, err, tc.want, tc.followed)
		}
	}
}
