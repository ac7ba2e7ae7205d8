package data

import (
	"math"
	"slices"
)

// PrepOptions say how features are encoded.
type PrepOptions struct {
	// Impute fills missing numbers with the training "median" (default)
	// or "mean"; missing categories always get the most frequent level.
	Impute string
	// Indicator adds a 0/1 column per feature that has missing values in
	// the training rows.
	Indicator bool
	// Standardize rescales numeric features to zero mean and unit variance
	// over the training rows.
	Standardize bool
	// NumericTransform maps imputed numbers before scaling: "none" (the
	// default), "log" (sign(x)*log1p(|x|) on columns whose training
	// skewness exceeds LogSkew) or "quantile" (to a standard normal through
	// the training quantiles).
	NumericTransform string
	// MaxLevels keeps one-hot columns for the MaxLevels most frequent
	// training levels of a categorical column and puts the rest, and
	// levels unseen in training, in one "other" column (0: every level).
	MaxLevels int
	// CategoricalEncoding is "onehot" (the default) or "onehot+frequency":
	// one-hot plus a numeric column holding the level's training frequency.
	CategoricalEncoding string
}

// ImputeNames lists the accepted Impute values.
var ImputeNames = []string{"median", "mean"}

// Preprocessor turns table rows into a dense feature matrix. It is fitted
// on training rows only, so validation and test rows never leak into it.
type Preprocessor struct {
	cols []colPrep
	// Width is the number of output features.
	Width int
	// Names labels the output features (col, col=level, col_missing).
	Names []string
}

type colPrep struct {
	col       int
	cat       bool
	fill      float64 // numeric fill value, or the categorical fill code
	indicator int     // output offset of the missing indicator, -1 for none
	mean, std float64 // standardisation (std 1 and mean 0 when off)
	// oneHot maps a level code to its output offset (-1: level unseen in
	// training, encoded as all zeros).
	oneHot []int
	out    int // first output offset
	// other is the output offset of the "other" level column (-1: none;
	// only with MaxLevels).
	other int
	// freq holds each level's training frequency, scaled, written at
	// freqOut (-1: no frequency column).
	freq    []float64
	freqOut int
	// tf is the numeric transform (tfNone, tfLog, tfQuantile); qref the
	// quantile transform's sorted reference values.
	tf   uint8
	qref []float64
}

// Fit learns the imputation, encoding and scaling from the given rows.
func Fit(ds *Dataset, rows []int, o PrepOptions) (*Preprocessor, error) {
	if len(rows) == 0 {
		return nil, errorf(ErrSplit, ds.Source, 0, "", "no training rows")
	}
	if err := checkOptions(&o); err != nil {
		return nil, err
	}
	p := &Preprocessor{}
	for _, ci := range ds.Features {
		c := ds.Cols[ci]
		cp := colPrep{col: ci, cat: c.Categorical, indicator: -1, std: 1, out: p.Width, other: -1, freqOut: -1}
		missing := 0
		if c.Categorical {
			counts := make([]int, len(c.Levels))
			for _, r := range rows {
				if code := c.Codes[r]; code >= 0 {
					counts[code]++
				} else {
					missing++
				}
			}
			best := 0
			for i, n := range counts {
				if n > counts[best] {
					best = i
				}
			}
			cp.fill = float64(best)
			if missing > 0 {
				counts[best] += missing // imputed rows count as the fill level
			}
			keep := keepLevels(counts, o.MaxLevels)
			cp.oneHot = make([]int, len(c.Levels))
			for code := range counts {
				cp.oneHot[code] = -1
				if keep[code] {
					cp.oneHot[code] = p.Width
					p.Names = append(p.Names, c.Name+"="+c.Levels[code])
					p.Width++
				}
			}
			if o.MaxLevels > 0 && slices.Contains(keep, false) {
				cp.other = p.Width
				p.Names = append(p.Names, c.Name+"=(other)")
				p.Width++
			}
			if o.CategoricalEncoding == EncodingOneHotFrequency {
				cp.fitFrequency(counts, len(rows))
				cp.freqOut = p.Width
				p.Names = append(p.Names, c.Name+"(frequency)")
				p.Width++
			}
		} else {
			vals := make([]float64, 0, len(rows))
			for _, r := range rows {
				if v := c.Num[r]; !math.IsNaN(v) {
					vals = append(vals, v)
				}
			}
			missing = len(rows) - len(vals)
			cp.fill = 0
			if len(vals) > 0 {
				if o.Impute == "mean" {
					cp.fill = mean(vals)
				} else {
					cp.fill = median(vals)
				}
			}
			imputed := make([]float64, len(rows))
			for i, r := range rows {
				if v := c.Num[r]; !math.IsNaN(v) {
					imputed[i] = v
				} else {
					imputed[i] = cp.fill
				}
			}
			cp.fitNumeric(imputed, o.NumericTransform)
			if o.Standardize {
				for i, v := range imputed {
					imputed[i] = cp.apply(v)
				}
				cp.mean = mean(imputed)
				var ss float64
				for _, v := range imputed {
					ss += (v - cp.mean) * (v - cp.mean)
				}
				if sd := math.Sqrt(ss / float64(len(rows))); sd > 0 {
					cp.std = sd
				}
			}
			p.Names = append(p.Names, c.Name)
			p.Width++
		}
		if o.Indicator && missing > 0 {
			cp.indicator = p.Width
			p.Names = append(p.Names, c.Name+"_missing")
			p.Width++
		}
		p.cols = append(p.cols, cp)
	}
	if p.Width == 0 {
		return nil, errorf(ErrBadValue, ds.Source, 0, "", "no usable features")
	}
	return p, nil
}

// Transform encodes rows into a len(rows) x Width row-major matrix.
func (p *Preprocessor) Transform(ds *Dataset, rows []int) []float32 {
	return p.TransformTo(nil, ds, rows)
}

// TransformTo is Transform into dst's storage when it holds enough (a
// caller encoding chunk after chunk allocates once), else a new slice.
func (p *Preprocessor) TransformTo(dst []float32, ds *Dataset, rows []int) []float32 {
	out := dst[:0]
	if n := len(rows) * p.Width; cap(out) >= n {
		out = out[:n]
		clear(out)
	} else {
		out = make([]float32, n)
	}
	for i, r := range rows {
		row := out[i*p.Width : (i+1)*p.Width]
		for _, cp := range p.cols {
			c := ds.Cols[cp.col]
			miss := false
			if cp.cat {
				code := int(c.Codes[r])
				if code < 0 {
					code, miss = int(cp.fill), true
				}
				if o := cp.oneHot[code]; o >= 0 {
					row[o] = 1
				} else if cp.other >= 0 {
					row[cp.other] = 1
				}
				if cp.freqOut >= 0 {
					row[cp.freqOut] = float32(cp.freq[code])
				}
			} else {
				v := c.Num[r]
				if math.IsNaN(v) {
					v, miss = cp.fill, true
				}
				row[cp.out] = float32((cp.apply(v) - cp.mean) / cp.std)
			}
			if miss && cp.indicator >= 0 {
				row[cp.indicator] = 1
			}
		}
	}
	return out
}

// fitFrequency stores each level's share of the n training rows,
// standardised over those rows (unseen levels: share 0).
func (cp *colPrep) fitFrequency(counts []int, n int) {
	share := make([]float64, len(counts))
	var m, ss float64
	for code, k := range counts {
		share[code] = float64(k) / float64(n)
		m += float64(k) * share[code]
	}
	m /= float64(n)
	for code, k := range counts {
		ss += float64(k) * (share[code] - m) * (share[code] - m)
	}
	sd := math.Sqrt(ss / float64(n))
	if sd == 0 {
		sd = 1
	}
	// one more entry, share 0, for a level no table code names (a model
	// predicting rows with a level it never saw)
	cp.freq = make([]float64, len(counts)+1)
	for code := range share {
		cp.freq[code] = (share[code] - m) / sd
	}
	cp.freq[len(counts)] = -m / sd
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// median sorts a copy; even counts average the middle pair.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
