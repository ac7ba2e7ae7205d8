package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"automl/internal/cputime"
	"automl/plugins/mlp/data"
)

// benchSpec is a binary classifier over `numeric` standardised numeric
// columns with two hidden layers of `units` relu units, random weights.
func benchSpec(numeric, units int) Spec {
	rng := rand.New(rand.NewPCG(9, 9))
	w := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
		}
		return v
	}
	prep := numericPrep(numeric)
	return Spec{Info: Info{Task: Binary, Target: "y", Classes: []string{"0", "1"}}, Missing: data.DefaultMissing,
		Folds: []Fold{{Prep: prep, YStd: 1, Layers: []Layer{
			{In: numeric, Out: units, W: w(numeric * units), B: w(units), Act: "relu"},
			{In: units, Out: units, W: w(units * units), B: w(units), Act: "relu"},
			{In: units, Out: 1, W: w(units), B: w(1)},
		}}}}
}

// numericPrep is the preprocessing of numeric columns f0, f1, ...: no
// missing values, each standardised by mean 0.5 and deviation 2.
func numericPrep(numeric int) data.PrepState {
	prep := data.PrepState{Width: numeric}
	for i := 0; i < numeric; i++ {
		name := fmt.Sprintf("f%d", i)
		prep.Names = append(prep.Names, name)
		prep.Cols = append(prep.Cols, data.ColState{Name: name, Index: i, Fill: 0, Indicator: -1, Mean: 0.5, Std: 2, Out: i})
	}
	return prep
}

// numericRecords is rows of numeric text cells under the header f0, f1,
// ...: normal values times scale, with digits decimals, from the seed.
func numericRecords(rows, numeric int, seed uint64, scale float64, digits int) (header []string, recs [][]string) {
	rng := rand.New(rand.NewPCG(seed, seed))
	header = make([]string, numeric)
	for i := range header {
		header[i] = fmt.Sprintf("f%d", i)
	}
	recs = make([][]string, rows)
	for r := range recs {
		recs[r] = make([]string, numeric)
		for i := range recs[r] {
			recs[r][i] = strconv.FormatFloat(rng.NormFloat64()*scale, 'f', digits, 64)
		}
	}
	return header, recs
}

// BenchmarkPredict measures rows/s of PredictRecords (text cells parsed,
// encoded, two 256-unit relu layers) on 20 numeric columns:
// go test ./model -run XXX -bench Predict -benchtime 20x
func BenchmarkPredict(b *testing.B) {
	const rows, numeric = 20000, 20
	m := mustNew(b, benchSpec(numeric, 256))
	header, recs := numericRecords(rows, numeric, 1, 1, 6)
	for _, threads := range []int{1, 0} {
		name := "threads=all"
		if threads == 1 {
			name = "threads=1"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.PredictRecords(header, recs, Options{Threads: threads}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// adultRecords are n rows shaped like bench/models' adult-like set (as
// gen_data.py adultlike writes them): 6 integer columns, two of them
// heavy-tailed with a point mass at 0, and 7 categoricals of 2 to 42
// levels, about 5% "?" in workclass, occupation and native_country.
func adultRecords(n int, seed uint64) (header []string, recs [][]string) {
	header = []string{"age", "workclass", "fnlwgt", "education_num", "marital_status", "occupation", "relationship",
		"race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "target"}
	rng := rand.New(rand.NewPCG(seed, 22))
	level := func(prefix string, k int, missing float64) string {
		if rng.Float64() < missing {
			return "?"
		}
		if k > 8 && rng.Float64() < 0.9 { // native_country: mostly c0
			return prefix + "0"
		}
		return prefix + strconv.Itoa(rng.IntN(k))
	}
	num := func(v float64) string { return strconv.Itoa(int(math.Round(v))) }
	for range n {
		gain, loss := 0.0, 0.0
		if rng.Float64() < 0.085 {
			gain = math.Exp(8.3 + 1.1*rng.NormFloat64())
		}
		if rng.Float64() < 0.047 {
			loss = max(0, 1850+350*rng.NormFloat64())
		}
		recs = append(recs, []string{num(17 + 20*rng.Float64()*rng.Float64()*3), level("work", 8, 0.055),
			num(math.Exp(12 + 0.6*rng.NormFloat64())), num(min(16, max(1, 10+2.6*rng.NormFloat64()))),
			level("ms", 7, 0), level("occ", 14, 0.057), level("rel", 6, 0), level("race", 5, 0),
			[]string{"Male", "Female"}[rng.IntN(2)], num(gain), num(loss), num(min(99, max(1, 40+12*rng.NormFloat64()))),
			level("c", 42, 0.018), []string{"<=50K", ">50K"}[rng.IntN(2)]})
	}
	return header, recs
}

// adultSpec is tpe's best adult-like architecture of bench/models
// (169-34-34 hidden units, tanh) over the mlp trainer's default
// preprocessing of adult-like rows (median imputation, standardised
// numbers, one-hot categoricals), fitted on 2,000 of those rows; random
// weights.
func adultSpec(tb testing.TB, act string) Spec {
	header, recs := adultRecords(2000, 1)
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	for _, r := range recs {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	t, err := data.Read("adult", strings.NewReader(b.String()), data.LoadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := data.Prepare(t, "target", data.Binary, false)
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([]int, t.Rows)
	for i := range rows {
		rows[i] = i
	}
	pre, err := data.Fit(ds, rows, data.PrepOptions{Standardize: true})
	if err != nil {
		tb.Fatal(err)
	}
	return Spec{Info: Info{Task: Binary, Target: "target", Classes: ds.Classes}, Ignore: []string{"target"}, Missing: data.DefaultMissing,
		Folds: []Fold{{Prep: pre.State(ds), YStd: 1, Layers: randomLayers(pre.Width, []int{169, 34, 34, 1}, act)}}}
}

// randomLayers is a network of the given widths over in inputs, with
// random weights (scaled by 1/√fan-in) and biases, act on every hidden
// layer and none on the last, always the same for the same shape.
func randomLayers(in int, widths []int, act string) []Layer {
	rng := rand.New(rand.NewPCG(9, 9))
	w := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	var layers []Layer
	for i, out := range widths {
		l := Layer{In: in, Out: out, W: w(in*out, 1/math.Sqrt(float64(in))), B: w(out, 0.1), Act: act}
		if i == len(widths)-1 {
			l.Act = ""
		}
		layers = append(layers, l)
		in = out
	}
	return layers
}

// benchmarkPredict runs PredictRecords of recs on each model of acts
// (spec builds it) with 1 and 2 goroutines, reporting rows/s and the
// process's CPU time per row (all threads), which a machine shared with
// other work leaves comparable where wall time is not.
func benchmarkPredict(b *testing.B, spec func(act string) Spec, acts []string, header []string, recs [][]string) {
	for _, act := range acts {
		m := mustNew(b, spec(act))
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", act, threads), func(b *testing.B) {
				cpu := cputime.Process()
				for b.Loop() {
					if _, err := m.PredictRecords(header, recs, Options{Threads: threads}); err != nil {
						b.Fatal(err)
					}
				}
				rows := float64(len(recs)) * float64(b.N)
				b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(cputime.Process()-cpu)/rows, "cpu-ns/row")
			})
		}
	}
}

// BenchmarkPredictAdult measures rows/s of PredictRecords on 10,000
// adult-like rows (bench/models' test split size) with tpe's best
// adult-like architecture there, 169-34-34 tanh (and relu, for
// comparison), on 1 and 2 goroutines (benchmarkPredict):
// go test ./model -run XXX -bench PredictAdult
func BenchmarkPredictAdult(b *testing.B) {
	header, recs := adultRecords(10000, 2)
	benchmarkPredict(b, func(act string) Spec { return adultSpec(b, act) }, []string{"tanh", "relu"}, header, recs)
}

// wineSpec is gp's best wine_quality seed-1 architecture of bench/models
// (256-211-38 relu hidden units, a regression) over 11 standardised
// numeric inputs; random weights.
func wineSpec(act string) Spec {
	const numeric = 11
	prep := numericPrep(numeric)
	layers := randomLayers(numeric, []int{256, 211, 38, 1}, act)
	return Spec{Info: Info{Task: Regression, Target: "quality"}, Missing: data.DefaultMissing,
		Folds: []Fold{{Prep: prep, YMean: 5.8, YStd: 0.9, Layers: layers}}}
}

// BenchmarkPredictWine measures rows/s of PredictRecords on 10,000 rows
// of 11 numeric columns with gp's best wine_quality architecture there,
// 256-211-38 relu (and tanh), on 1 and 2 goroutines (benchmarkPredict):
// go test ./model -run XXX -bench PredictWine
func BenchmarkPredictWine(b *testing.B) {
	const rows, numeric = 10000, 11
	header, recs := numericRecords(rows, numeric, 2, 3, 3)
	benchmarkPredict(b, wineSpec, []string{"relu", "tanh"}, header, recs)
}
