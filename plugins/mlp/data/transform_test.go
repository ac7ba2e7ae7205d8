package data

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func prepared(t *testing.T, csv string) *Dataset {
	t.Helper()
	tb, err := Read("t.csv", strings.NewReader(csv), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestQuantileNormalTiesAndRange(t *testing.T) {
	ref := []float64{0, 0, 0, 0, 1, 2, 3}
	// the point mass at 0 (ranks 0..3 of 6) maps to the middle of its range
	if got, want := quantileNormal(ref, 0), math.Sqrt2*math.Erfinv(2*(1.5/6)-1); math.Abs(got-want) > 1e-12 {
		t.Errorf("tied zeros -> %v, want %v", got, want)
	}
	// between references: linear in rank
	if got, want := quantileNormal(ref, 1.5), math.Sqrt2*math.Erfinv(2*(4.5/6)-1); math.Abs(got-want) > 1e-12 {
		t.Errorf("1.5 -> %v, want %v", got, want)
	}
	// outside the training range: clipped, finite, ordered
	lo, hi := quantileNormal(ref, -5), quantileNormal(ref, 99)
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo >= quantileNormal(ref, 0) || hi <= quantileNormal(ref, 3)-1e-9 {
		t.Errorf("out of range: %v %v", lo, hi)
	}
	if quantileNormal(ref, 3) != hi {
		t.Errorf("the maximum and beyond differ: %v %v", quantileNormal(ref, 3), hi)
	}
}

func TestNumericTransforms(t *testing.T) {
	var b strings.Builder
	b.WriteString("gain,age,target\n")
	for i := range 200 {
		gain := 0
		if i%10 == 0 {
			gain = 1000 * (i + 1) // heavy tail over a point mass at 0
		}
		fmt.Fprintf(&b, "%d,%d,%d\n", gain, 20+i%50, i%2)
	}
	ds := prepared(t, b.String())
	rows := make([]int, 200)
	for i := range rows {
		rows[i] = i
	}
	p, err := Fit(ds, rows, PrepOptions{NumericTransform: TransformLog})
	if err != nil {
		t.Fatal(err)
	}
	// gain is skewed: log1p applied; age is not: unchanged
	if p.cols[0].tf != tfLog || p.cols[1].tf != tfNone {
		t.Fatalf("log applied to %v %v, want gain only", p.cols[0].tf, p.cols[1].tf)
	}
	m := p.Transform(ds, []int{0, 1})
	if math.Abs(float64(m[0])-math.Log1p(1000)) > 1e-4 || m[1] != 20 || m[2] != 0 || m[3] != 21 {
		t.Errorf("log rows %v", m)
	}
	q, err := Fit(ds, rows, PrepOptions{NumericTransform: TransformQuantile, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	x := q.Transform(ds, rows)
	var s, ss float64
	for i := range rows {
		v := float64(x[i*2+1]) // age after quantile + scaling
		s += v
		ss += v * v
	}
	if math.Abs(s/200) > 1e-6 || math.Abs(ss/200-1) > 1e-4 {
		t.Errorf("quantile then standardize: mean %v, variance %v", s/200, ss/200)
	}
	// monotone: a larger gain never maps lower
	if !(x[10*2] > x[0] && x[20*2] > x[10*2]) {
		t.Errorf("quantile not monotone: %v %v %v", x[0], x[20], x[40])
	}
	if _, err := Fit(ds, rows, PrepOptions{NumericTransform: "box-cox"}); err == nil || !strings.Contains(err.Error(), "numeric_transform") {
		t.Errorf("unknown transform: %v", err)
	}
}

func TestMaxLevelsAndFrequency(t *testing.T) {
	csv := "c,target\na,0\na,1\na,0\nb,1\nb,0\nc,1\n?,0\nd,1\n"
	ds := prepared(t, csv)
	train := []int{0, 1, 2, 3, 4, 5, 6} // d is unseen; ? imputed to a
	p, err := Fit(ds, train, PrepOptions{MaxLevels: 2, CategoricalEncoding: EncodingOneHotFrequency})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Names, " "); got != "c=a c=b c=(other) c(frequency)" {
		t.Fatalf("features %q", got)
	}
	m := p.Transform(ds, []int{0, 3, 5, 6, 7})
	w := p.Width
	row := func(i int) []float32 { return m[i*w : (i+1)*w] }
	if r := row(0); r[0] != 1 || r[1] != 0 || r[2] != 0 {
		t.Errorf("a: %v", r)
	}
	if r := row(2); r[0] != 0 || r[1] != 0 || r[2] != 1 {
		t.Errorf("c (rare): %v", r)
	}
	if r := row(3); r[0] != 1 {
		t.Errorf("missing (imputed a): %v", r)
	}
	if r := row(4); r[2] != 1 {
		t.Errorf("d (unseen) goes to other: %v", r)
	}
	// frequency: a (4 of 7) > b (2) > c (1) > d (0, unseen)
	if !(row(0)[3] > row(1)[3] && row(1)[3] > row(2)[3] && row(2)[3] > row(4)[3]) {
		t.Errorf("frequencies not ordered: %v %v %v %v", row(0)[3], row(1)[3], row(2)[3], row(4)[3])
	}
	all, err := Fit(ds, train, PrepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(all.Names, " "); got != "c=a c=b c=c" {
		t.Errorf("default encoding %q", got)
	}
	if _, err := Fit(ds, train, PrepOptions{MaxLevels: -1}); err == nil {
		t.Error("max_levels -1 accepted")
	}
}
