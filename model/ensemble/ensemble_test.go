package ensemble

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func metric(t *testing.T, name string) Metric {
	t.Helper()
	m, err := MetricByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// twoCols turns P(class 1) into two columns of class probabilities.
func twoCols(p1 []float32) []float32 {
	out := make([]float32, 0, 2*len(p1))
	for _, v := range p1 {
		out = append(out, 1-v, v)
	}
	return out
}

// A is wrong (mildly) on row 3, B on row 1; each is right with confidence
// where the other is wrong, so their average is right everywhere:
// [0.1 0.325 0.9 0.65] against labels [0 0 1 1].
var (
	compY = []float64{0, 0, 1, 1}
	compA = []float32{0.1, 0.1, 0.9, 0.4}
	compB = []float32{0.1, 0.55, 0.9, 0.9}
)

func TestComplementaryClassifiers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		a, b  []float32
		width int
	}{
		{"one column", compA, compB, 1},
		{"two columns", twoCols(compA), twoCols(compB), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cands := []Candidate{{Name: "A", Width: tc.width, Pred: tc.a}, {Name: "B", Width: tc.width, Pred: tc.b}}
			res, err := Select(cands, compY, metric(t, "accuracy"), Options{Size: 4})
			if err != nil {
				t.Fatal(err)
			}
			// round 1: A and B tie at 0.75, A first; round 2: A+B scores 1;
			// rounds 3 and 4 tie at 1 (A first), so the best prefix is 2 rounds.
			if want := []float64{0.75, 1, 1, 1}; !reflect.DeepEqual(res.Trajectory, want) {
				t.Errorf("trajectory %v, want %v", res.Trajectory, want)
			}
			if want := []int{0, 1, 0, 0}; !reflect.DeepEqual(res.Picks, want) {
				t.Errorf("picks %v, want %v", res.Picks, want)
			}
			if !reflect.DeepEqual(res.Weights, []int{1, 1}) || res.Rounds != 2 || res.Score != 1 || res.Members() != 2 {
				t.Errorf("weights %v rounds %d score %v members %d, want [1 1] 2 1 2", res.Weights, res.Rounds, res.Score, res.Members())
			}
			if res.Best != 0 || res.BestScore != 0.75 || !res.Maximize || res.Metric != "accuracy" {
				t.Errorf("best %d (%v), maximize %v, metric %s", res.Best, res.BestScore, res.Maximize, res.Metric)
			}

			// The same pair under log loss: B alone is better than A alone
			// (B's wrong row is less wrong), and A+B beats both.
			res, err = Select(cands, compY, metric(t, "val_loss"), Options{Size: 2})
			if err != nil {
				t.Fatal(err)
			}
			ll := func(p ...float64) float64 {
				var s float64
				for _, v := range p {
					s -= math.Log(v)
				}
				return s / float64(len(p))
			}
			lossA, lossB, lossAB := ll(.9, .9, .9, .4), ll(.9, .45, .9, .9), ll(.9, .675, .9, .65)
			if res.Best != 1 || math.Abs(res.BestScore-lossB) > 1e-6 {
				t.Errorf("best single %d %v, want B %v (A %v)", res.Best, res.BestScore, lossB, lossA)
			}
			if math.Abs(res.Score-lossAB) > 1e-6 || lossAB >= lossB || !reflect.DeepEqual(res.Weights, []int{1, 1}) {
				t.Errorf("ensemble log loss %v weights %v, want %v [1 1]", res.Score, res.Weights, lossAB)
			}
		})
	}
}

// Regression: A = y+1, B = y-1, C = y+0.5. C is the best single model
// (RMSE 0.5); C+B has bias -0.25; 2C+B has bias 0, RMSE 0.
func TestRegressionByHand(t *testing.T) {
	y := []float64{1, 2, 3, 4}
	shift := func(d float32) []float32 {
		out := make([]float32, len(y))
		for i, v := range y {
			out[i] = float32(v) + d
		}
		return out
	}
	cands := []Candidate{{Name: "A", Width: 1, Pred: shift(1)}, {Name: "B", Width: 1, Pred: shift(-1)}, {Name: "C", Width: 1, Pred: shift(0.5)}}
	res, err := Select(cands, y, metric(t, "rmse"), Options{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Best != 2 || res.BestScore != 0.5 || res.Maximize {
		t.Errorf("best %d %v maximize %v, want C 0.5 false", res.Best, res.BestScore, res.Maximize)
	}
	if !reflect.DeepEqual(res.Picks, []int{2, 1, 2}) || !reflect.DeepEqual(res.Weights, []int{0, 1, 2}) {
		t.Errorf("picks %v weights %v, want [2 1 2] [0 1 2]", res.Picks, res.Weights)
	}
	want := []float64{0.5, 0.25, 0}
	for i := range want {
		if !near(res.Trajectory[i], want[i]) {
			t.Errorf("trajectory %v, want %v", res.Trajectory, want)
		}
	}
	if res.Rounds != 3 || res.Members() != 2 {
		t.Errorf("rounds %d members %d, want 3 2", res.Rounds, res.Members())
	}
	avg, err := Average([][]float32{cands[0].Pred, cands[1].Pred, cands[2].Pred}, res.Weights)
	if err != nil {
		t.Fatal(err)
	}
	for i := range y {
		if !near(avg[i], y[i]) {
			t.Errorf("average %v, want %v", avg, y)
		}
	}
	for _, name := range []string{"mae", "r2"} {
		res, err := Select(cands, y, metric(t, name), Options{Size: 3})
		if err != nil || !reflect.DeepEqual(res.Weights, []int{0, 1, 2}) {
			t.Errorf("%s: weights %v (%v), want [0 1 2]", name, res.Weights, err)
		}
	}
}

// A round may make the ensemble worse; the best prefix is returned.
func TestBestPrefix(t *testing.T) {
	y := []float64{0, 0}
	cands := []Candidate{{Name: "A", Width: 1, Pred: []float32{1, -1}}, {Name: "B", Width: 1, Pred: []float32{-1, 1}}}
	res, err := Select(cands, y, metric(t, "rmse"), Options{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	// A (tie with B, first), then B (A+B = 0), then A again: (2A+B)/3 = A/3.
	if want := []float64{1, 0, 1.0 / 3}; !near(res.Trajectory[0], want[0]) || !near(res.Trajectory[1], want[1]) || !near(res.Trajectory[2], want[2]) {
		t.Errorf("trajectory %v, want %v", res.Trajectory, want)
	}
	if res.Rounds != 2 || !reflect.DeepEqual(res.Weights, []int{1, 1}) || res.Score != 0 || !reflect.DeepEqual(res.Picks, []int{0, 1, 0}) {
		t.Errorf("rounds %d weights %v score %v picks %v, want 2 [1 1] 0 [0 1 0]", res.Rounds, res.Weights, res.Score, res.Picks)
	}
}

func TestTiesGoToTheFirstCandidate(t *testing.T) {
	p := []float32{0.2, 0.7, 0.4}
	cands := []Candidate{{Name: "x", Width: 1, Pred: []float32{0.9, 0.1, 0.9}}, {Name: "a", Width: 1, Pred: p}, {Name: "b", Width: 1, Pred: p}, {Name: "c", Width: 1, Pred: p}}
	res, err := Select(cands, []float64{0, 1, 0}, metric(t, "log_loss"), Options{Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Best != 1 || res.Weights[2] != 0 || res.Weights[3] != 0 || res.Weights[1] == 0 {
		t.Errorf("best %d weights %v: the copies b and c must never win over a", res.Best, res.Weights)
	}
}

func randomCands(seed uint64, n, rows, classes int) ([]Candidate, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, rows)
	for i := range y {
		y[i] = float64(r.IntN(classes))
	}
	cands := make([]Candidate, n)
	for c := range cands {
		p := make([]float32, rows*classes)
		for i := 0; i < rows; i++ {
			var s float64
			row := make([]float64, classes)
			for k := range row {
				row[k] = r.ExpFloat64()
				if k == int(y[i]) {
					row[k] += 0.8 // better than chance
				}
				s += row[k]
			}
			for k := range row {
				p[i*classes+k] = float32(row[k] / s)
			}
		}
		cands[c] = Candidate{Name: "c" + string(rune('a'+c)), Digest: "d", Width: classes, Pred: p}
	}
	return cands, y
}

func TestDeterministicAndNeverWorseThanBestSingle(t *testing.T) {
	cands, y := randomCands(7, 12, 300, 3)
	for _, name := range []string{"accuracy", "balanced_accuracy", "f1", "log_loss"} {
		m := metric(t, name)
		a, err := Select(cands, y, m, Options{Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Select(cands, y, m, Options{Size: 20})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs differ:\n%+v\n%+v", name, a, b)
		}
		sum := 0
		for _, w := range a.Weights {
			sum += w
		}
		if sum != a.Rounds || len(a.Trajectory) != 20 || len(a.Picks) != 20 {
			t.Errorf("%s: weights sum %d, rounds %d, %d scores, %d picks", name, sum, a.Rounds, len(a.Trajectory), len(a.Picks))
		}
		if m.Better(a.BestScore, a.Score) {
			t.Errorf("%s: ensemble %v worse than the best single %v", name, a.Score, a.BestScore)
		}
		preds := make([][]float32, len(cands))
		for i, c := range cands {
			preds[i] = c.Pred
		}
		avg, _ := Average(preds, a.Weights)
		if s := m.Score(avg, 3, y); !near(s, a.Score) {
			t.Errorf("%s: Average's score %v, selection's %v", name, s, a.Score)
		}
	}
	// Noisy classifiers that are better than chance: the average of
	// several beats the best one on log loss.
	res, _ := Select(cands, y, metric(t, "log_loss"), Options{Size: 20})
	if res.Members() < 3 || !(res.Score < res.BestScore-0.05) {
		t.Errorf("log loss: %d members, %v against best single %v", res.Members(), res.Score, res.BestScore)
	}
}

func TestInitWithTheBestN(t *testing.T) {
	cands, y := randomCands(3, 6, 200, 2)
	m := metric(t, "accuracy")
	single := make([]float64, len(cands))
	for i, c := range cands {
		p := make([]float64, len(c.Pred))
		for j, v := range c.Pred {
			p[j] = float64(v)
		}
		single[i] = m.Score(p, 2, y)
	}
	order := rank(single, m)
	res, err := Select(cands, y, m, Options{Size: 6, Init: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Picks[:3], order[:3]) || res.Rounds < 3 {
		t.Errorf("picks %v rounds %d, want the best three %v first", res.Picks, res.Rounds, order[:3])
	}
	if _, err := Select(cands, y, m, Options{Size: 2, Init: 3}); err == nil || !strings.Contains(err.Error(), "init 3 exceeds its size 2") {
		t.Errorf("init above size: %v", err)
	}
}

func TestRefused(t *testing.T) {
	good := func() []Candidate {
		return []Candidate{{Name: "trial 1", Digest: "abc", Width: 1, Pred: []float32{0.1, 0.9}}, {Name: "trial 2", Digest: "abc", Width: 1, Pred: []float32{0.2, 0.8}}}
	}
	y := []float64{0, 1}
	acc := metric(t, "accuracy")
	for _, tc := range []struct {
		name   string
		edit   func(c []Candidate) []Candidate
		y      []float64
		m      Metric
		size   int
		want   []string
		reject bool
	}{
		{name: "NaN", edit: func(c []Candidate) []Candidate { c[1].Pred[1] = float32(math.NaN()); return c }, want: []string{`"trial 2"`, "row 1", "not finite"}},
		{name: "Inf", edit: func(c []Candidate) []Candidate { c[0].Pred[0] = float32(math.Inf(1)); return c }, want: []string{`"trial 1"`, "row 0", "+Inf"}},
		{name: "digest", edit: func(c []Candidate) []Candidate { c[1].Digest = "xyz"; return c }, want: []string{`"trial 2"`, `"xyz"`, `"abc"`, "same rows"}},
		{name: "rows", edit: func(c []Candidate) []Candidate { c[1].Pred = c[1].Pred[:1]; return c }, want: []string{`"trial 2"`, "1 predictions", "2 rows"}},
		{name: "width", edit: func(c []Candidate) []Candidate { c[1].Width = 2; return c }, want: []string{`"trial 2"`, "2 prediction columns"}},
		{name: "empty", edit: func([]Candidate) []Candidate { return nil }, want: []string{"no candidates"}},
		{name: "label", y: []float64{0, 2}, want: []string{"row 1", "not a class index"}},
		{name: "regression of probabilities", edit: func(c []Candidate) []Candidate {
			c[0].Width, c[1].Width = 2, 2
			c[0].Pred, c[1].Pred = twoCols(c[0].Pred), twoCols(c[1].Pred)
			return c
		}, m: metric(t, "rmse"), want: []string{"rmse", "one prediction column", "has 2"}},
		{name: "auc of three classes", edit: func(c []Candidate) []Candidate {
			c[0].Width, c[0].Pred = 3, []float32{1, 0, 0, 0, 1, 0}
			return c
		}, m: metric(t, "auc"), want: []string{"auc", "two classes", "has 3"}},
		{name: "size", size: -1, want: []string{"size -1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			if tc.edit != nil {
				c = tc.edit(c)
			}
			yy, m, size := y, acc, 3
			if tc.y != nil {
				yy = tc.y
			}
			if tc.m.Name != "" {
				m = tc.m
			}
			if tc.size != 0 {
				size = tc.size
			}
			_, err := Select(c, yy, m, Options{Size: size})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		objective string
		class     bool
		classes   int
		want      string
		followed  bool
	}{
		{"val_accuracy", true, 2, "accuracy", true},
		{"val_loss", true, 3, "log_loss", true},
		{"val_auc", true, 2, "auc", true},
		{"val_auc", true, 3, "log_loss", false},
		{"val_f1", true, 3, "f1", true},
		{"val_rmse", false, 0, "rmse", true},
		{"val_r2", false, 0, "r2", true},
		{"val_loss", false, 0, "rmse", false}, // scaled-target loss: not computable
		{"test_accuracy", true, 2, "log_loss", false},
		{"val_r2", true, 2, "log_loss", false},
		{"latency", false, 0, "rmse", false},
	} {
		m, followed := ForObjective(tc.objective, tc.class, tc.classes)
		if m.Name != tc.want || followed != tc.followed {
			t.Errorf("ForObjective(%s, %v, %d) = %s %v, want %s %v", tc.objective, tc.class, tc.classes, m.Name, followed, tc.want, tc.followed)
		}
	}
	if _, err := MetricByName("precision"); err == nil || !strings.Contains(err.Error(), "accuracy, balanced_accuracy") {
		t.Errorf("unknown metric: %v", err)
	}
	// balanced accuracy by hand: 3 of class 0 (2 right), 1 of class 1 (right)
	p := []float64{0.1, 0.2, 0.7, 0.9}
	if s := metric(t, "balanced_accuracy").Score(p, 1, []float64{0, 0, 0, 1}); !near(s, (2.0/3+1)/2) {
		t.Errorf("balanced accuracy %v, want %v", s, (2.0/3+1)/2)
	}
	if s := metric(t, "auc").Score(p, 1, []float64{0, 0, 1, 1}); s != 1 {
		t.Errorf("auc %v, want 1", s)
	}
	if _, err := Average([][]float32{{1}, {2}}, []int{0, 0}); err == nil {
		t.Error("Average with zero weights accepted")
	}
}
