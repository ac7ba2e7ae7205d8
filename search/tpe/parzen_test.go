package tpe

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// TestParzenMatchesOptuna compares our estimators' scores with Optuna
// 3.1's on fixed observations (testdata/optuna_golden.py makes the file):
// continuous, ordinal and categorical dims, univariate and multivariate,
// with and without consider_endpoints, above and below 25 observations.
func TestParzenMatchesOptuna(t *testing.T) {
	raw, err := os.ReadFile("testdata/optuna_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			Name              string
			Params            [][3]any
			Obs               [][]float64
			Points            [][]float64
			ConsiderEndpoints bool      `json:"consider_endpoints"`
			PriorWeight       float64   `json:"prior_weight"`
			LogPDF            []float64 `json:"log_pdf"`
		}
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	for _, c := range golden.Cases {
		t.Run(c.Name, func(t *testing.T) {
			dims := make([]*dim, len(c.Params))
			toModel := make([]func(float64) float64, len(c.Params))
			for i, p := range c.Params {
				n := int(p[2].(float64))
				switch p[1] {
				case "cont":
					dims[i] = &dim{kind: continuous}
					toModel[i] = func(x float64) float64 { return x }
				case "int":
					dims[i] = &dim{kind: ordinal, levels: n}
					toModel[i] = func(x float64) float64 { return (x + 0.5) / float64(n) }
				case "cat":
					dims[i] = &dim{kind: categorical, levels: n}
					toModel[i] = func(x float64) float64 { return x }
				}
			}
			rows := func(cols [][]float64) [][]float64 {
				out := make([][]float64, len(cols[0]))
				for r := range out {
					out[r] = make([]float64, len(cols))
					for c := range cols {
						out[r][c] = toModel[c](cols[c][r])
					}
				}
				return out
			}
			o := DefaultOptions()
			o.ConsiderEndpoints, o.PriorWeight = c.ConsiderEndpoints, c.PriorWeight
			got := newParzen(dims, rows(c.Obs), &o, nil).logPDF(rows(c.Points))
			for i, want := range c.LogPDF {
				if math.Abs(got[i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("point %d: log pdf %.12g, Optuna %.12g", i, got[i], want)
				}
			}
		})
	}
}

func TestDefaultWeights(t *testing.T) {
	for _, n := range []int{0, 1, 24, 25, 26, 100} {
		w := defaultWeights(n)
		if len(w) != n {
			t.Fatalf("n=%d: %d weights", n, len(w))
		}
		for i := range w {
			if w[i] <= 0 || w[i] > 1 || i > 0 && w[i] < w[i-1] {
				t.Fatalf("n=%d: weights not in (0, 1] and non-decreasing: %v", n, w)
			}
		}
		if n > 25 {
			if w[0] != 1/float64(n) || w[n-26] != 1 && n-25 > 1 && math.Abs(w[n-26]-1) > 1e-12 {
				t.Errorf("n=%d: ramp from %v to %v, want 1/n to 1", n, w[0], w[n-26])
			}
		}
	}
}

func TestNBelow(t *testing.T) {
	o := DefaultOptions()
	for _, c := range []struct{ n, want int }{{1, 1}, {10, 1}, {11, 2}, {30, 3}, {250, 25}, {1000, 25}} {
		if got := o.nBelow(c.n); got != c.want {
			t.Errorf("nBelow(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestDecompose(t *testing.T) {
	act := func(idx ...int) []bool {
		b := make([]bool, 5)
		for _, i := range idx {
			b[i] = true
		}
		return b
	}
	// Params 0 and 1 always active; 2 and 3 active together; 4 alone.
	got := decompose([][]bool{act(0, 1, 2, 3), act(0, 1), act(0, 1, 4), act(0, 1, 2, 3)}, 5)
	want := [][]int{{0, 1}, {2, 3}, {4}}
	if len(got) != len(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("groups %v, want %v", got, want)
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("groups %v, want %v", got, want)
			}
		}
	}
}

func TestTruncNormalStaysInsideAndMatchesMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	// Means from scipy.stats.truncnorm.
	cases := []struct{ mu, sigma, lo, hi, mean float64 }{
		{0.5, 0.1, 0, 1, 0.5},
		{0, 1, 0, 1, 0.4598622},    // both bounds on one side of the mean
		{-3, 0.5, 0, 1, 0.0792407}, // far lower tail: piles up at the low end
		{5, 1, 0, 1, 0.7831692},    // upper tail
		{40, 0.01, 0, 1, 1},        // nothing representable: the nearest bound
		{0.3, 1e-9, 0.3, 0.3, 0.3}, // degenerate interval
	}
	for _, c := range cases {
		sum := 0.0
		const n = 20000
		for i := 0; i < n; i++ {
			x := truncNormal(rng, c.mu, c.sigma, c.lo, c.hi)
			if x < c.lo || x > c.hi || math.IsNaN(x) {
				t.Fatalf("%+v: drew %v", c, x)
			}
			sum += x
		}
		if m := sum / n; math.Abs(m-c.mean) > 0.005 {
			t.Errorf("%+v: mean %.4f, want %.4f", c, m, c.mean)
		}
	}
}
