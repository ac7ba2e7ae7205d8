package onnx

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// testMissing are the tokens the tests read as missing categories.
var testMissing = []string{"", "?", "NA"}

// randomSpec builds a spec over four columns (two numeric, two
// categorical; odd names) and `nets` networks, each with its own fitted
// preprocessing laid out in a shuffled feature order and random weights;
// unequal weights when weighted.
func randomSpec(rng *rand.Rand, task data.Task, act nn.Activation, nets int, weighted bool) *Spec {
	s := &Spec{Name: "test", Task: task, Target: "y", Missing: testMissing}
	s.Columns = []Column{{Name: "age (years)"}, {Name: "capital-gain"}, {Name: "native country", Categorical: true}, {Name: "sex", Categorical: true}}
	out := 1
	switch task {
	case data.Binary:
		s.Classes = []string{"<=50K", ">50K"}
	case data.Multiclass:
		s.Classes = []string{"setosa", "versicolor", "virginica", "x"}
		out = len(s.Classes)
	}
	for k := range nets {
		width := 1 + 1 + 1 + 3 + 1 + 2 // num1+ind, num2, cat1 (3 of 4 levels)+ind, cat2 (2 levels)
		off := rng.Perm(width)
		lo := []int{off[3], off[4], -1, off[5]}
		if k%2 == 1 { // another fold saw other levels
			lo = []int{-1, off[3], off[4], off[5]}
		}
		n := Net{Weight: 1, TargetMean: 12.5 + float64(k), TargetStd: 3.25 + float64(k)/4}
		if weighted {
			n.Weight = float64(1 + k%3)
		}
		n.Inputs = []Input{
			{Name: "age (years)", Fill: 41 + float64(k), Mean: 38.5, Std: 13.2, Out: off[0], Indicator: off[1]},
			{Name: "capital-gain", Fill: 0, Mean: 0, Std: 1, Out: off[2], Indicator: -1},
			{Name: "native country", Levels: []string{"a", "b", "c", "d"}, LevelOut: lo, FillLevel: 1, Indicator: off[6]},
			{Name: "sex", Levels: []string{"F", "M"}, LevelOut: []int{off[7], off[8]}, FillLevel: k % 2, Indicator: -1},
		}
		sizes := []int{width, 5, 4, out}
		for l := 0; l+1 < len(sizes); l++ {
			d := Dense{In: sizes[l], Out: sizes[l+1], Act: act}
			if l+2 == len(sizes) {
				d.Act = nn.Identity
			}
			d.W = make([]float32, d.In*d.Out)
			d.B = make([]float32, d.Out)
			for i := range d.W {
				d.W[i] = float32(rng.NormFloat64())
			}
			for i := range d.B {
				d.B[i] = float32(rng.NormFloat64() * 0.5)
			}
			n.Layers = append(n.Layers, d)
		}
		s.Nets = append(s.Nets, n)
	}
	return s
}

// randomColumns draws n rows for randomSpec's columns: missing values,
// unseen and unused levels, large and small numbers.
func randomColumns(rng *rand.Rand, n int) map[string][]any {
	cols := map[string][]any{}
	for range n {
		num := func(scale float64) any {
			if rng.IntN(8) == 0 {
				return nil
			}
			return math.Round(rng.NormFloat64()*scale*1000) / 1000
		}
		cols["age (years)"] = append(cols["age (years)"], num(15))
		cols["capital-gain"] = append(cols["capital-gain"], num(2))
		cols["native country"] = append(cols["native country"], []string{"a", "b", "c", "d", "e", "", "?", "NA"}[rng.IntN(8)])
		cols["sex"] = append(cols["sex"], []string{"F", "M", "M", "", "other"}[rng.IntN(5)])
	}
	return cols
}

// reference predicts with a spec in Go the way the trainer encodes rows:
// it returns the probabilities (rows x classes) or the values.
func reference(s *Spec, cols map[string][]any, n int) [][]float64 {
	out := make([][]float64, n)
	for r := range n {
		var total float64
		for _, net := range s.Nets {
			h := encode(s, net, cols, r)
			for _, d := range net.Layers {
				y := make([]float64, d.Out)
				for j := range y {
					y[j] = float64(d.B[j])
					for i, v := range h {
						y[j] += v * float64(d.W[i*d.Out+j])
					}
					y[j] = act(d.Act, y[j])
				}
				h = y
			}
			p := refHead(s, net, h)
			if out[r] == nil {
				out[r] = make([]float64, len(p))
			}
			for j := range p {
				out[r][j] += net.Weight * p[j]
			}
			total += net.Weight
		}
		for j := range out[r] {
			out[r][j] /= total
		}
	}
	return out
}

// encode is row r's features for a net.
func encode(s *Spec, net Net, cols map[string][]any, r int) []float64 {
	x := make([]float64, net.Layers[0].In)
	for _, in := range net.Inputs {
		cell := cols[in.Name][r]
		miss := false
		if in.LevelOut != nil {
			level := slices.Index(in.Levels, cell.(string))
			if slices.Contains(s.Missing, cell.(string)) {
				level, miss = in.FillLevel, true
			}
			if level >= 0 && in.LevelOut[level] >= 0 {
				x[in.LevelOut[level]] = 1
			}
		} else {
			v, ok := cell.(float64)
			if !ok {
				v, miss = in.Fill, true
			}
			x[in.Out] = float64(float32((v - in.Mean) / in.Std))
		}
		if miss && in.Indicator >= 0 {
			x[in.Indicator] = 1
		}
	}
	return x
}

func act(a nn.Activation, z float64) float64 {
	switch a {
	case nn.ReLU:
		return math.Max(z, 0)
	case nn.LeakyReLU:
		if z < 0 {
			return z * leakySlope
		}
	case nn.Tanh:
		return math.Tanh(z)
	case nn.Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case nn.GELU:
		return 0.5 * z * (1 + math.Erf(z/math.Sqrt2))
	}
	return z
}

func refHead(s *Spec, net Net, z []float64) []float64 {
	switch s.Task {
	case data.Regression:
		return []float64{z[0]*net.TargetStd + net.TargetMean}
	case data.Binary:
		p := act(nn.Sigmoid, z[0])
		return []float64{1 - p, p}
	}
	m := slices.Max(z)
	var sum float64
	p := make([]float64, len(z))
	for j, v := range z {
		p[j] = math.Exp(v - m)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return p
}

// compare checks the graph's outputs against the reference to tol.
func compare(t *testing.T, s *Spec, got *outputs, want [][]float64, tol float64) {
	t.Helper()
	if s.Task == data.Regression {
		if len(got.Value) != len(want) {
			t.Fatalf("%d values, want %d", len(got.Value), len(want))
		}
		for r, w := range want {
			if d := math.Abs(got.Value[r][0] - w[0]); d > tol*math.Max(1, math.Abs(w[0])) {
				t.Fatalf("row %d: value %v, want %v (diff %g)", r, got.Value[r][0], w[0], d)
			}
		}
		return
	}
	if len(got.Probabilities) != len(want) || len(got.Label) != len(want) {
		t.Fatalf("%d probability rows and %d labels, want %d", len(got.Probabilities), len(got.Label), len(want))
	}
	for r, w := range want {
		for j := range w {
			if d := math.Abs(got.Probabilities[r][j] - w[j]); d > tol {
				t.Fatalf("row %d class %d: probability %v, want %v (diff %g)", r, j, got.Probabilities[r][j], w[j], d)
			}
		}
		best := 0
		for j, p := range got.Probabilities[r] {
			if p > got.Probabilities[r][best] {
				best = j
			}
		}
		if got.Label[r] != s.Classes[best] {
			t.Fatalf("row %d: label %q, want %q (probabilities %v)", r, got.Label[r], s.Classes[best], got.Probabilities[r])
		}
	}
}

// TestGraphMatchesReference evaluates exported specs of every task and
// activation on
// 1,000 rows with missing values and unseen levels, and compares with the
// Go reference to 1e-5. Several nets are averaged (equal weights: Mean;
// unequal: a weighted Sum), each with its own preprocessing.
func TestGraphMatchesReference(t *testing.T) {
	cases := []struct {
		task     data.Task
		act      nn.Activation
		nets     int
		weighted bool
	}{
		{data.Binary, nn.ReLU, 1, false},
		{data.Binary, nn.GELU, 3, false},
		{data.Binary, nn.Tanh, 4, true},
		{data.Multiclass, nn.Tanh, 3, true},
		{data.Multiclass, nn.LeakyReLU, 1, false},
		{data.Multiclass, nn.ReLU, 2, false},
		{data.Regression, nn.Sigmoid, 3, false},
		{data.Regression, nn.ReLU, 5, true},
		{data.Regression, nn.GELU, 1, false},
	}
	for i, c := range cases {
		t.Run(c.task.String()+"_"+c.act.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			s := randomSpec(rng, c.task, c.act, c.nets, c.weighted)
			b, err := MarshalSpec(s)
			if err != nil {
				t.Fatal(err)
			}
			cols := randomColumns(rng, 1000)
			_, got := check(t, b, cols)
			compare(t, s, got, reference(s, cols, 1000), 1e-5)
		})
	}
}

// TestDescription checks what onnx reads of a written model: versions,
// typed inputs in column order, outputs, the operators, metadata.
func TestDescription(t *testing.T) {
	s := randomSpec(rand.New(rand.NewPCG(1, 2)), data.Binary, nn.ReLU, 2, false)
	b, err := MarshalSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := check(t, b, nil)
	if d.IRVersion != IRVersion || d.Producer != "automl" || d.Opsets[""] != OpsetVersion || d.Opsets[mlDomain] != MLOpsetVersion {
		t.Errorf("ir %d producer %q opsets %v", d.IRVersion, d.Producer, d.Opsets)
	}
	wantIn := []string{"age (years):11", "capital-gain:11", "native country:8", "sex:8"}
	var gotIn []string
	for _, in := range d.Inputs {
		gotIn = append(gotIn, in.Name+":"+strconv.Itoa(in.ElemType))
		if len(in.Shape) != 2 || in.Shape[0] != batch || in.Shape[1] != float64(1) {
			t.Errorf("input %s shape %v, want [N 1]", in.Name, in.Shape)
		}
	}
	if !slices.Equal(gotIn, wantIn) {
		t.Errorf("inputs %v, want %v", gotIn, wantIn)
	}
	if len(d.Outputs) != 2 || d.Outputs[0].Name != OutputLabel || d.Outputs[1].Name != OutputProbabilities || d.Outputs[1].Shape[1] != float64(2) {
		t.Errorf("outputs %+v", d.Outputs)
	}
	ops := strings.Join(d.Ops, " ")
	for _, op := range []string{"IsNaN", "Where", "LabelEncoder", "OneHotEncoder", "Gemm", "Relu", "Sigmoid", "Mean", "ArgMax"} {
		if !strings.Contains(ops, op) {
			t.Errorf("no %s node in %s", op, ops)
		}
	}
	if n := strings.Count(ops, "Gemm"); n != 6 {
		t.Errorf("%d Gemm nodes, want 6 (2 nets x 3 layers)", n)
	}
	if d.Metadata["automl.task"] != "binary" || d.Metadata["automl.target"] != "y" {
		t.Errorf("metadata %v", d.Metadata)
	}
}
