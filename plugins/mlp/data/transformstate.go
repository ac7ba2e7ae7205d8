package data

import (
	"fmt"
	"math"
	"slices"
)

// Names of the fitted transforms in a ColState, and their Params:
//
//   - "log": none (sign(x)*log1p(|x|) of the imputed number);
//   - "quantile": the sorted reference quantiles of the imputed number;
//   - "other": [offset] of the column shared by the levels without their
//     own one-hot column (max_levels), unseen levels included;
//   - "frequency": [offset, f_0, ..., f_{L-1}, f_unseen], the scaled
//     training frequency of each level code and of a level never seen.
const (
	stateLog       = "log"
	stateQuantile  = "quantile"
	stateOther     = "other"
	stateFrequency = "frequency"
)

// stateTransforms lists a column's fitted transforms beyond imputation,
// one-hot encoding and standardisation, in the order Transform applies
// them.
func stateTransforms(cp colPrep) []Transform {
	var ts []Transform
	switch cp.tf {
	case tfLog:
		ts = append(ts, Transform{Name: stateLog})
	case tfQuantile:
		ts = append(ts, Transform{Name: stateQuantile, Params: slices.Clone(cp.qref)})
	}
	if cp.other >= 0 {
		ts = append(ts, Transform{Name: stateOther, Params: []float64{float64(cp.other)}})
	}
	if cp.freqOut >= 0 {
		ts = append(ts, Transform{Name: stateFrequency, Params: append([]float64{float64(cp.freqOut)}, cp.freq...)})
	}
	return ts
}

// applyTransforms sets a column's fitted transforms from a state, checking
// each against the column's kind, the feature width and its levels (cp
// has its one-hot map, with the code for an unseen level, already set). A
// name it does not know is refused: a model saved by a newer trainer must
// not predict otherwise than it measured.
func applyTransforms(cp *colPrep, ts []Transform, width int) error {
	cp.other, cp.freqOut = -1, -1
	offset := func(t Transform) (int, error) {
		if len(t.Params) == 0 {
			return 0, fmt.Errorf("transform %q without its output offset", t.Name)
		}
		o := t.Params[0]
		if o != math.Trunc(o) || o < 0 || o >= float64(width) {
			return 0, fmt.Errorf("transform %q: output offset %v of %d features", t.Name, o, width)
		}
		return int(o), nil
	}
	for _, t := range ts {
		for _, v := range t.Params {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("transform %q: non-finite parameter %v", t.Name, v)
			}
		}
		wantCat := t.Name == stateOther || t.Name == stateFrequency
		if (t.Name == stateLog || t.Name == stateQuantile || wantCat) && wantCat != cp.cat {
			return fmt.Errorf("transform %q does not apply to a %s column", t.Name, map[bool]string{true: "categorical", false: "numeric"}[cp.cat])
		}
		switch t.Name {
		case stateLog:
			if len(t.Params) != 0 || cp.tf != tfNone {
				return fmt.Errorf("transform %q: %d parameters, or a second numeric transform", t.Name, len(t.Params))
			}
			cp.tf = tfLog
		case stateQuantile:
			if len(t.Params) < 2 || !slices.IsSorted(t.Params) || cp.tf != tfNone {
				return fmt.Errorf("transform %q: %d reference quantiles (want 2 or more, sorted), or a second numeric transform", t.Name, len(t.Params))
			}
			cp.tf, cp.qref = tfQuantile, slices.Clone(t.Params)
		case stateOther:
			o, err := offset(t)
			if err != nil {
				return err
			}
			if len(t.Params) != 1 {
				return fmt.Errorf("transform %q: %d parameters, want 1", t.Name, len(t.Params))
			}
			cp.other = o
		case stateFrequency:
			o, err := offset(t)
			if err != nil {
				return err
			}
			// one value per code, the unseen level's included
			if len(t.Params)-1 != len(cp.oneHot) {
				return fmt.Errorf("transform %q: %d frequencies for %d level codes", t.Name, len(t.Params)-1, len(cp.oneHot))
			}
			cp.freqOut, cp.freq = o, slices.Clone(t.Params[1:])
		default:
			return fmt.Errorf("unknown transform %q (saved by a newer trainer?)", t.Name)
		}
	}
	return nil
}
