package data

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Numeric transforms, applied after imputation and before
// standardisation (PrepOptions.NumericTransform).
const (
	TransformNone     = "none"
	TransformLog      = "log"
	TransformQuantile = "quantile"
)

// TransformNames lists the accepted NumericTransform values.
var TransformNames = []string{TransformNone, TransformLog, TransformQuantile}

// Categorical encodings (PrepOptions.CategoricalEncoding).
const (
	EncodingOneHot          = "onehot"
	EncodingOneHotFrequency = "onehot+frequency"
)

// EncodingNames lists the accepted CategoricalEncoding values.
var EncodingNames = []string{EncodingOneHot, EncodingOneHotFrequency}

// LogSkew is the skewness over the training rows above which the log
// transform applies to a numeric column; columns less skewed are left as
// they are.
const LogSkew = 2.0

// quantileRefs is the number of reference quantiles the quantile
// transform keeps per column (fewer when there are fewer training rows).
const quantileRefs = 1000

// Numeric transform kinds of a fitted column.
const (
	tfNone uint8 = iota
	tfLog
	tfQuantile
)

func checkOptions(o *PrepOptions) error {
	if o.Impute == "" {
		o.Impute = "median"
	}
	if o.NumericTransform == "" {
		o.NumericTransform = TransformNone
	}
	if o.CategoricalEncoding == "" {
		o.CategoricalEncoding = EncodingOneHot
	}
	if !slices.Contains(ImputeNames, o.Impute) {
		return fmt.Errorf("impute: unknown strategy %q; one of %v", o.Impute, ImputeNames)
	}
	if !slices.Contains(TransformNames, o.NumericTransform) {
		return fmt.Errorf("numeric_transform: unknown transform %q; one of %v", o.NumericTransform, TransformNames)
	}
	if !slices.Contains(EncodingNames, o.CategoricalEncoding) {
		return fmt.Errorf("categorical_encoding: unknown encoding %q; one of %v", o.CategoricalEncoding, EncodingNames)
	}
	if o.MaxLevels < 0 {
		return fmt.Errorf("max_levels: want an integer >= 0, got %d", o.MaxLevels)
	}
	return nil
}

// fitNumeric chooses and fits the column's transform on its imputed
// training values.
func (cp *colPrep) fitNumeric(vals []float64, kind string) {
	switch kind {
	case TransformLog:
		if math.Abs(skewness(vals)) > LogSkew {
			cp.tf = tfLog
		}
	case TransformQuantile:
		cp.tf = tfQuantile
		s := slices.Clone(vals)
		slices.Sort(s)
		k := min(quantileRefs, len(s))
		cp.qref = make([]float64, k)
		for i := range k {
			pos := 0.0
			if k > 1 {
				pos = float64(i) * float64(len(s)-1) / float64(k-1)
			}
			lo := int(pos)
			hi := min(lo+1, len(s)-1)
			cp.qref[i] = s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
		}
	}
}

// apply maps an imputed value through the column's transform.
func (cp *colPrep) apply(v float64) float64 {
	switch cp.tf {
	case tfLog:
		return math.Copysign(math.Log1p(math.Abs(v)), v)
	case tfQuantile:
		return quantileNormal(cp.qref, v)
	}
	return v
}

// quantileNormal maps v to the standard normal quantile of its rank among
// the reference quantiles, interpolated linearly between them. Tied
// references (a point mass, such as many zeros) give the middle of their
// range, as scikit-learn's QuantileTransformer does by averaging the
// interpolation from below and from above. Values outside the training
// range clip to its ends.
func quantileNormal(ref []float64, v float64) float64 {
	k := len(ref)
	if k < 2 {
		return 0
	}
	const clip = 1e-7
	var p float64
	switch {
	case v < ref[0]:
		p = 0
	case v > ref[k-1]:
		p = 1
	default:
		lo := sort.SearchFloat64s(ref, v) // first ref >= v
		if ref[lo] == v {
			hi := lo
			for hi+1 < k && ref[hi+1] == v {
				hi++
			}
			p = float64(lo+hi) / 2
		} else {
			p = float64(lo-1) + (v-ref[lo-1])/(ref[lo]-ref[lo-1])
		}
		p /= float64(k - 1)
	}
	p = math.Min(math.Max(p, clip), 1-clip)
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// skewness is the sample skewness (third standardised moment).
func skewness(v []float64) float64 {
	if len(v) < 3 {
		return 0
	}
	m := mean(v)
	var m2, m3 float64
	for _, x := range v {
		d := x - m
		m2 += d * d
		m3 += d * d * d
	}
	n := float64(len(v))
	m2 /= n
	m3 /= n
	if m2 == 0 {
		return 0
	}
	return m3 / math.Pow(m2, 1.5)
}

// keepLevels returns, for a column's training counts, whether each level
// code gets its own one-hot column: the max most frequent levels seen in
// training (ties: the lower code), all of them when max is 0.
func keepLevels(counts []int, max int) []bool {
	keep := make([]bool, len(counts))
	order := make([]int, 0, len(counts))
	for code, n := range counts {
		if n > 0 {
			order = append(order, code)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return counts[order[a]] > counts[order[b]] })
	if max > 0 && len(order) > max {
		order = order[:max]
	}
	for _, code := range order {
		keep[code] = true
	}
	return keep
}
